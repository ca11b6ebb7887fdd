"use client";
// Loading, error and empty states, so every page says the same things the same way.
import type { ReactNode } from "react";
import { ApiError, errorText } from "@/lib/api";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return <div className="muted" role="status" aria-live="polite" style={{ padding: 16 }}>{label}</div>;
}

export function ErrorNotice({ error, what }: { error: unknown; what?: string }) {
  const status = error instanceof ApiError ? error.status : undefined;
  const hint =
    status === 403 ? "Your role does not allow this; ask an org admin for the permission named above."
    : status === 404 ? "It may have been deleted, or it belongs to a project you cannot see."
    : status === 502 ? "Start the platform with ./hh up, or check ./hh status."
    : status !== undefined && status >= 500 ? "The server failed; its log (./hh logs host) says why."
    : undefined;
  return (
    <div className="notice error" role="alert">
      <strong>{what ? `Could not ${what}.` : "Something went wrong."}</strong> {errorText(error)}
      {hint && <div className="muted small">{hint}</div>}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" data-testid="empty-state">
      <h2>{title}</h2>
      {children}
    </div>
  );
}
