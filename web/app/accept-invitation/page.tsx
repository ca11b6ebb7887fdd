"use client";
// Where an invitation's link leads (/accept-invitation?token=…): a new user picks a name and password; someone who
// already has an account with the invited email signs in first and accepts as themselves.
import { Suspense, useState, type FormEvent } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useAuth } from "@/lib/auth";
import { ApiError, errorText } from "@/lib/api";
import { acceptInvitation } from "@/lib/settings";

function Accept() {
  const token = useSearchParams().get("token") ?? "";
  const { state, me, signIn } = useAuth();
  const router = useRouter();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [needsSignIn, setNeedsSignIn] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (state !== "signed-in" && password !== confirm) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    try {
      const accepted = await acceptInvitation(state === "signed-in" ? { token } : { token, name: name.trim(), password });
      if (state !== "signed-in") await signIn(accepted.email, password);
      router.replace("/");
    } catch (e) {
      const field = e instanceof ApiError ? (e.body as { field?: string } | undefined)?.field : undefined;
      if (field === "password" || field === "authorization") setNeedsSignIn(true);
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  if (!token) {
    return (
      <div className="login card stack" role="alert">
        <h1>No invitation token</h1>
        <p>This page needs the link from your invitation (it ends in <code>?token=…</code>). Ask whoever invited you to send it again.</p>
        <Link href="/login">Go to sign-in</Link>
      </div>
    );
  }

  return (
    <form className="login card stack" onSubmit={submit} aria-label="Accept the invitation" data-testid="accept-invitation">
      <h1>Join HoneyHive-CS</h1>
      {state === "signed-in" ? (
        <p>You are signed in as <strong>{me?.email}</strong>. Accepting adds the invitation&apos;s role to this account; the invitation must be for this email.</p>
      ) : (
        <>
          <p className="muted">You were invited. Choose your name and a password (at least 12 characters) to create your account.</p>
          <label>Your name<input name="name" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} autoFocus /></label>
          <label>Password<input type="password" name="password" autoComplete="new-password" minLength={12} required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
          <label>Password again<input type="password" name="confirm" autoComplete="new-password" minLength={12} required value={confirm} onChange={(e) => setConfirm(e.target.value)} /></label>
        </>
      )}
      {error && <div className="notice error" role="alert">{error}</div>}
      {needsSignIn && state !== "signed-in" && (
        <p className="small">This email already has an account: <Link href={`/login?next=${encodeURIComponent(`/accept-invitation?token=${token}`)}`}>sign in</Link>, then accept.</p>
      )}
      <button className="primary" type="submit" disabled={busy || state === "loading"}>{busy ? "Accepting…" : "Accept invitation"}</button>
    </form>
  );
}

export default function AcceptInvitationPage() {
  return <Suspense><Accept /></Suspense>;
}
