"use client";
import { Suspense, useEffect, useRef, useState, type FormEvent } from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useAuth, type MfaEnrollment, type SignInStep } from "@/lib/auth";
import { ApiError, errorText, toError } from "@/lib/api";
import { AuthenticatorSetup, RecoveryCodeList } from "@/components/MfaParts";

type Challenge = Exclude<SignInStep, { kind: "done" }>;

// What the CP's SSO callback puts in ?sso_error= when it refuses a sign-in (the details are in the CP's log).
const ssoErrors: Record<string, string> = {
  state: "The single sign-on attempt expired or was started in another browser. Start again.",
  nonce: "Your identity provider's answer did not match this sign-in. Start again.",
  code: "Your identity provider's answer could not be used (it may have been used already). Start again.",
  id_token: "Your identity provider's token could not be verified. Ask your administrator to check the SSO connection.",
  issuer: "The answer came from another identity provider than the one this sign-in went to.",
  connection: "This single sign-on connection is not enabled. Ask your administrator.",
  email_domain: "Your identity provider may not sign in this email address.",
  email_unverified: "Your identity provider has not verified your email address.",
  account_exists: "An account with this email exists outside this organization; ask an administrator to invite it first.",
  account_disabled: "This account is disabled.",
  provider_error: "Your identity provider refused the sign-in.",
  provider_unreachable: "Your identity provider could not be reached. Try again later.",
  saml: "Your identity provider's SAML answer could not be accepted (expired, already used, or not signed as configured). Start again, or ask your administrator to check the SSO connection.",
};

type Discovery = { connection_id: string; protocol: string; start_url: string };

function LoginForm() {
  const { signIn, state } = useAuth();
  const router = useRouter();
  const params = useSearchParams();
  const next = params.get("next");
  const ssoError = params.get("sso_error");
  const [sso, setSso] = useState(ssoError !== null);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(ssoError ? ssoErrors[ssoError] ?? "Single sign-on failed. Start again." : null);
  const [busy, setBusy] = useState(false);
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  // Only a path of this site: never an absolute URL an attacker put in ?next=.
  const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";

  useEffect(() => {
    if (state === "signed-in") router.replace(target);
  }, [state, router, target]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const step = await signIn(email, password);
      if (step.kind !== "done") setChallenge(step);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? "Wrong email or password." : errorText(e));
    } finally {
      setBusy(false);
    }
  }

  // Email first: the CP says which identity provider signs in this email's domain, and the browser goes there.
  async function continueWithSso(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch("/api/cp/v1/auth/sso/discover", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email }),
      });
      if (response.status === 404) {
        setError("Single sign-on is not set up for this email's domain. Sign in with your password.");
        return;
      }
      if (!response.ok) throw await toError(response);
      const found = (await response.json()) as Discovery;
      const start = new URL(found.start_url, window.location.origin);
      if (start.protocol !== "https:" && start.protocol !== "http:") throw new Error("The sign-in address is not a web address.");
      start.searchParams.set("return_to", target);
      window.location.assign(start.toString());
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  }

  const restart = () => { setChallenge(null); setPassword(""); };
  if (challenge?.kind === "mfa") return <SecondFactorForm challenge={challenge} onRestart={restart} />;
  if (challenge?.kind === "mfa_enrollment") return <EnrollmentForm challenge={challenge} onRestart={restart} />;
  if (sso) {
    return (
      <form className="login card stack" onSubmit={continueWithSso} aria-label="Sign in with SSO">
        <h1>Sign in with SSO</h1>
        <label>Work email<input type="email" name="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} /></label>
        {error && <div className="notice error" role="alert">{error}</div>}
        <button className="primary" type="submit" disabled={busy}>{busy ? "Redirecting…" : "Continue"}</button>
        <button className="link" type="button" onClick={() => { setSso(false); setError(null); }}>Use a password instead</button>
      </form>
    );
  }

  return (
    <form className="login card stack" onSubmit={submit} aria-label="Sign in">
      <h1>Sign in to HoneyHive-CS</h1>
      <label>Email<input type="email" name="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} /></label>
      <label>Password<input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      {error && <div className="notice error" role="alert">{error}</div>}
      <button className="primary" type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      <button className="link" type="button" onClick={() => { setSso(true); setError(null); }}>Use single sign-on (SSO)</button>
      <p className="muted small">The first admin&apos;s email and password are in <code>.data/bootstrap.json</code> after <code>./hh up</code>.</p>
    </form>
  );
}

/** The password was right; a code from the authenticator app (or a recovery code) finishes the sign-in. */
function SecondFactorForm({ challenge, onRestart }: { challenge: Challenge; onRestart: () => void }) {
  const { finishMfa } = useAuth();
  const [useRecovery, setUseRecovery] = useState(false);
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await finishMfa(challenge.token, useRecovery ? { recovery_code: value.trim() } : { code: value.replace(/\s/g, "") });
    } catch (e) {
      setError(errorText(e));
      setValue("");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="login card stack" onSubmit={submit} aria-label="Two-factor authentication">
      <h1>Two-factor authentication</h1>
      <p className="muted">{useRecovery ? "Enter one of the recovery codes you saved when you set up two-factor authentication. Each works once." : challenge.detail}</p>
      <label>{useRecovery ? "Recovery code" : "Authentication code"}
        <input name={useRecovery ? "recovery_code" : "code"} data-testid="mfa-code" required autoFocus autoComplete="one-time-code"
          inputMode={useRecovery ? "text" : "numeric"} maxLength={useRecovery ? 24 : 7} value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      {error && <div className="notice error" role="alert">{error}</div>}
      <button className="primary" type="submit" disabled={busy}>{busy ? "Checking…" : "Verify"}</button>
      <div className="row">
        <button type="button" className="link" onClick={() => { setUseRecovery(!useRecovery); setValue(""); setError(null); }}>
          {useRecovery ? "Use the authenticator app" : "Use a recovery code"}
        </button>
        <button type="button" className="link" onClick={onRestart}>Start over</button>
      </div>
    </form>
  );
}

/** An org of the user requires MFA they have not set up: set it up now, then see the recovery codes once. */
function EnrollmentForm({ challenge, onRestart }: { challenge: Challenge; onRestart: () => void }) {
  const { beginEnrollment, confirmEnrollment } = useAuth();
  const [enrollment, setEnrollment] = useState<MfaEnrollment | null>(null);
  const [code, setCode] = useState("");
  const [codes, setCodes] = useState<{ recoveryCodes: string[]; complete: () => Promise<void> } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const started = useRef(false);

  useEffect(() => {
    // Once: each start draws a new secret, and a second one (React's strict mode runs effects twice) would replace the one shown.
    if (started.current) return;
    started.current = true;
    beginEnrollment(challenge.token).then(setEnrollment, (e) => setError(errorText(e)));
  }, [beginEnrollment, challenge.token]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setCodes(await confirmEnrollment(challenge.token, code.replace(/\s/g, "")));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  if (codes) {
    return (
      <div className="login card stack">
        <h1>Save your recovery codes</h1>
        <RecoveryCodeList codes={codes.recoveryCodes} />
        <button className="primary" type="button" onClick={() => void codes.complete()}>I saved them, continue</button>
      </div>
    );
  }
  return (
    <form className="login card stack" onSubmit={submit} aria-label="Set up two-factor authentication">
      <h1>Set up two-factor authentication</h1>
      <p className="muted">{challenge.detail}</p>
      {enrollment && <AuthenticatorSetup enrollment={enrollment} />}
      <label>Code from the app
        <input name="code" data-testid="mfa-code" required inputMode="numeric" autoComplete="one-time-code" maxLength={7} value={code} onChange={(e) => setCode(e.target.value)} />
      </label>
      {error && <div className="notice error" role="alert">{error}</div>}
      <button className="primary" type="submit" disabled={busy || !enrollment}>{busy ? "Checking…" : "Turn on and sign in"}</button>
      <button type="button" className="link" onClick={onRestart}>Start over</button>
    </form>
  );
}

export default function LoginPage() {
  return <Suspense><LoginForm /></Suspense>;
}
