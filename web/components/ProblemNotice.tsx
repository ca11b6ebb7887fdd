"use client";
// An API error as ErrorNotice shows it, plus, for a 403, the permission the server named and who can grant it.
import { ErrorNotice } from "./Feedback";
import { requiredPermission } from "@/lib/settings";

export function ProblemNotice({ error, what }: { error: unknown; what?: string }) {
  if (!error) return null;
  const permission = requiredPermission(error);
  return (
    <div className="stack" style={{ gap: 4 }} data-testid={permission ? "permission-error" : "api-error"}>
      <ErrorNotice error={error} what={what} />
      {permission && (
        <div className="muted small">
          Missing permission: <code data-testid="required-permission">{permission}</code>. An org owner or admin can grant it under Settings → Members and roles.
        </div>
      )}
    </div>
  );
}

/** A button's reason for being disabled, said next to it (a title alone is not read by everyone). */
export function NeedsPermission({ permission }: { permission: string }) {
  return <span className="muted small" data-testid="needs-permission">Needs the <code>{permission}</code> permission.</span>;
}
