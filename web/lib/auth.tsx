"use client";
// The signed-in user. The access token (10 minutes) lives in memory only; the refresh token is an httpOnly
// cookie the CP rotates. On load the provider tries the cookie, so a reload keeps the user signed in; a
// refresh that fails after the user was signed in means the session expired (shown at /expired).
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useRouter } from "next/navigation";
import { ApiError, setTokenSource, toError } from "./api";

export type MeOrg = { id: string; name: string; role: string };
export type Me = { id: string; email: string; name: string | null; orgs: MeOrg[] };
/** "expired": the session ended without the user signing out (the /expired page explains). */
export type AuthState = "loading" | "signed-in" | "signed-out" | "expired";

type TokenResponse = { access_token: string; expires_in: number };

/**
 * Where a password sign-in stands: done, or a challenge (services/ControlPlane.Api/Accounts/AuthApi.cs
 * MfaChallengeResponse): "mfa" wants a TOTP or recovery code, "mfa_enrollment" an authenticator set up first
 * because an org of the user requires MFA.
 */
export type SignInStep =
  | { kind: "done" }
  | { kind: "mfa" | "mfa_enrollment"; token: string; detail: string };

/** Enrolment as the CP answers it (services/ControlPlane.Api/Mfa/MfaApi.cs): shown once, never stored here. */
export type MfaEnrollment = { secret: string; otpauth_uri: string; qr_code: string };

export type SecondFactor = { code: string } | { recovery_code: string };

type AuthContextValue = {
  state: AuthState;
  me: Me | null;
  signIn: (email: string, password: string) => Promise<SignInStep>;
  /** Finishes an "mfa" challenge with a code or a recovery code. */
  finishMfa: (token: string, factor: SecondFactor) => Promise<void>;
  /** Starts enrolment for an "mfa_enrollment" challenge. */
  beginEnrollment: (token: string) => Promise<MfaEnrollment>;
  /** Confirms it with the first code: the recovery codes to show once, and complete() to sign in once they were seen. */
  confirmEnrollment: (token: string, code: string) => Promise<{ recoveryCodes: string[]; complete: () => Promise<void> }>;
  signOut: () => Promise<void>;
};

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const router = useRouter();
  const token = useRef<string | null>(null);
  const refreshing = useRef<Promise<string | null> | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [state, setState] = useState<AuthState>("loading");
  const [me, setMe] = useState<Me | null>(null);
  const onExpired = useRef<() => void>(() => {});
  const signedOut = useRef(false);

  const accept = useCallback((answer: TokenResponse) => {
    token.current = answer.access_token;
    if (timer.current) clearTimeout(timer.current);
    // Refresh a minute before the token ends so a user reading a trace is never interrupted.
    const renewIn = Math.max(30, answer.expires_in - 60) * 1000;
    timer.current = setTimeout(async () => {
      // A renewal refused (signed out elsewhere, session revoked) ends this session now, not at the next click.
      if (!(await refresh())) onExpired.current();
    }, renewIn);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const refresh = useCallback(async (): Promise<string | null> => {
    refreshing.current ??= (async () => {
      try {
        const response = await fetch("/api/cp/v1/auth/refresh", { method: "POST", credentials: "same-origin" });
        if (!response.ok) return null;
        accept((await response.json()) as TokenResponse);
        return token.current;
      } catch {
        return null;
      } finally {
        setTimeout(() => (refreshing.current = null), 0);
      }
    })();
    return refreshing.current;
  }, [accept]);

  const loadMe = useCallback(async () => {
    const response = await fetch("/api/cp/v1/auth/me", { headers: { authorization: `Bearer ${token.current}` } });
    if (!response.ok) throw await toError(response);
    setMe((await response.json()) as Me);
    setState("signed-in");
  }, []);

  const expired = useCallback(() => {
    // A call refused after the user signed out is no expiry; neither is one while the session is already over.
    if (signedOut.current || token.current === null) return;
    token.current = null;
    setMe(null);
    setState("expired");
    router.push(`/expired?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }, [router]);

  useEffect(() => {
    setTokenSource({ token: () => token.current, refresh, expired });
    onExpired.current = expired;
  }, [refresh, expired]);

  useEffect(() => {
    void (async () => {
      if (await refresh()) {
        try {
          await loadMe();
          return;
        } catch {
          /* fall through: treated as signed out */
        }
      }
      setState("signed-out");
    })();
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [refresh, loadMe]);

  const post = useCallback(async (path: string, body: unknown) => {
    const response = await fetch(`/api/cp/v1/auth/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    if (!response.ok) throw await toError(response);
    return response.json();
  }, []);

  const signedIn = useCallback(async (answer: TokenResponse) => {
    signedOut.current = false;
    accept(answer);
    await loadMe();
  }, [accept, loadMe]);

  const signIn = useCallback(async (email: string, password: string): Promise<SignInStep> => {
    const answer = await post("login", { email, password });
    if (answer.challenge) return { kind: answer.challenge, token: answer.challenge_token, detail: answer.detail };
    await signedIn(answer as TokenResponse);
    return { kind: "done" };
  }, [post, signedIn]);

  const finishMfa = useCallback(async (token: string, factor: SecondFactor) => {
    await signedIn(await post("login/mfa", { challenge_token: token, ...factor }));
  }, [post, signedIn]);

  const beginEnrollment = useCallback((token: string) => post("login/mfa/enroll", { challenge_token: token }) as Promise<MfaEnrollment>, [post]);

  const confirmEnrollment = useCallback(async (token: string, code: string) => {
    const answer = await post("login/mfa/enroll/confirm", { challenge_token: token, code });
    // The session exists already (its cookie is set); the page shows the codes before it moves on to it.
    return { recoveryCodes: answer.recovery_codes as string[], complete: () => signedIn(answer as TokenResponse) };
  }, [post, signedIn]);

  const signOut = useCallback(async () => {
    signedOut.current = true;
    try {
      await fetch("/api/cp/v1/auth/logout", {
        method: "POST",
        headers: token.current ? { authorization: `Bearer ${token.current}` } : {},
        credentials: "same-origin",
      });
    } finally {
      token.current = null;
      if (timer.current) clearTimeout(timer.current);
      setMe(null);
      setState("signed-out");
      router.push("/login");
    }
  }, [router]);

  const value = useMemo(() => ({ state, me, signIn, finishMfa, beginEnrollment, confirmEnrollment, signOut }),
    [state, me, signIn, finishMfa, beginEnrollment, confirmEnrollment, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth() {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

export { ApiError };
