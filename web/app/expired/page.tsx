"use client";
import { Suspense } from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";

function Expired() {
  const next = useSearchParams().get("next") ?? "/";
  return (
    <div className="login card stack" role="alert">
      <h1>Your session has expired</h1>
      <p>You were signed out, either after a period without activity or because you signed out elsewhere. Nothing you saved was lost.</p>
      <Link className="button primary" href={`/login?next=${encodeURIComponent(next)}`}>Sign in again</Link>
    </div>
  );
}

export default function ExpiredPage() {
  return <Suspense><Expired /></Suspense>;
}
