"use client";
import { Suspense, useEffect, useState, type FormEvent } from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useAuth } from "@/lib/auth";
import { ApiError, errorText } from "@/lib/api";

function LoginForm() {
  const { signIn, state } = useAuth();
  const router = useRouter();
  const next = useSearchParams().get("next");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
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
      await signIn(email, password);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? "Wrong email or password." : errorText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="login card stack" onSubmit={submit} aria-label="Sign in">
      <h1>Sign in to HoneyHive-CS</h1>
      <label>Email<input type="email" name="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} /></label>
      <label>Password<input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      {error && <div className="notice error" role="alert">{error}</div>}
      <button className="primary" type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      <p className="muted small">The first admin&apos;s email and password are in <code>.data/bootstrap.json</code> after <code>./hh up</code>.</p>
    </form>
  );
}

export default function LoginPage() {
  return <Suspense><LoginForm /></Suspense>;
}
