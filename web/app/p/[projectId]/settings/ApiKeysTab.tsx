"use client";
// The project's API keys: listed masked with when each was last used, created with a name and scopes (the key is
// shown once, in a dialog, then only its prefix), revoked after a confirmation. Revoked keys stay listed, greyed.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createKey, keyScopes, keyStatus, listKeys, revokeKey, type CreatedKey, type ProjectKey } from "@/lib/settings";
import { formatTime } from "@/lib/format";
import { usePermissions } from "@/lib/permissions";
import { EmptyState, Loading } from "@/components/Feedback";
import { ProblemNotice, NeedsPermission } from "@/components/ProblemNotice";
import { ConfirmDialog, Dialog } from "@/components/Dialog";
import { CopyButton } from "@/components/CopyButton";

const lifetimes = [
  { key: "never", label: "Never", days: null },
  { key: "30", label: "In 30 days", days: 30 },
  { key: "90", label: "In 90 days", days: 90 },
  { key: "365", label: "In a year", days: 365 },
] as const;

export function ApiKeysTab({ projectId }: { projectId: string }) {
  const queryClient = useQueryClient();
  const { can } = usePermissions(projectId);
  const keys = useQuery({ queryKey: ["api-keys", projectId], queryFn: () => listKeys(projectId) });
  const [showRevoked, setShowRevoked] = useState(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<ProjectKey | null>(null);
  const [creating, setCreating] = useState(false);
  const mayManage = can("keys:manage");

  const revoke = useMutation({
    mutationFn: (key: ProjectKey) => revokeKey(key.id),
    onSuccess: async () => {
      setRevoking(null);
      await queryClient.invalidateQueries({ queryKey: ["api-keys", projectId] });
    },
  });

  const rows = (keys.data ?? []).filter((k) => showRevoked || keyStatus(k) !== "revoked");
  const revokedCount = (keys.data ?? []).filter((k) => keyStatus(k) === "revoked").length;

  return (
    <div className="stack" data-testid="api-keys">
      <p className="muted" style={{ margin: 0 }}>
        Project API keys authenticate SDKs, OpenTelemetry exporters and scripts against this project
        (<code>Authorization: Bearer &lt;key&gt;</code>). A key is shown once, when it is created; only its first characters are kept for display.
      </p>
      <div className="row">
        <h2 style={{ margin: 0 }}>Keys</h2>
        <div style={{ flex: 1 }} />
        {revokedCount > 0 && (
          <label className="check">
            <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} data-testid="show-revoked" />
            Show {revokedCount} revoked
          </label>
        )}
        {mayManage === false && <NeedsPermission permission="keys:manage" />}
        <button type="button" className="primary" disabled={mayManage === false} onClick={() => setCreating(true)} data-testid="create-key">Create key</button>
      </div>
      {creating && (
        <Dialog title="Create an API key" onClose={() => setCreating(false)} testId="create-key-dialog">
          <CreateKeyForm
            projectId={projectId}
            onCancel={() => setCreating(false)}
            onCreated={(key) => {
              setCreating(false);
              setCreated(key);
              void queryClient.invalidateQueries({ queryKey: ["api-keys", projectId] });
            }}
          />
        </Dialog>
      )}
      {keys.isLoading && <Loading label="Loading API keys…" />}
      {keys.error && <ProblemNotice error={keys.error} what="list this project's API keys" />}
      {keys.data && rows.length === 0 && (
        <EmptyState title={keys.data.length === 0 ? "No API keys yet" : "No active API keys"}>
          <p>Create a key to send traces from your application: give it the <code>ingest</code> scope for an app that only sends data,
            or <code>ingest</code>, <code>read</code> and <code>write</code> for the SDK&apos;s experiments and datasets.</p>
        </EmptyState>
      )}
      {rows.length > 0 && (
        <div className="card" style={{ padding: 0, overflowX: "auto" }}>
          <table aria-label="API keys">
            <thead>
              <tr><th>Name</th><th>Key</th><th>Scopes</th><th>Created</th><th>Last used</th><th>Expires</th><th>Status</th><th><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {rows.map((key) => {
                const status = keyStatus(key);
                return (
                  <tr key={key.id} data-testid="api-key-row" data-key-id={key.id} className={status === "active" ? "" : "inactive"}>
                    <td>{key.name}</td>
                    <td><code data-testid="api-key-masked">{key.masked}</code></td>
                    <td><div className="row" style={{ gap: 4 }}>{key.scopes.map((s) => <span key={s} className="badge">{s}</span>)}</div></td>
                    <td className="nowrap small">{formatTime(key.created_at)}</td>
                    <td className="nowrap small" data-testid="api-key-last-used">{key.last_used_at ? formatTime(key.last_used_at) : <span className="muted">never</span>}</td>
                    <td className="nowrap">{key.expires_at ? formatTime(key.expires_at) : <span className="muted">never</span>}</td>
                    <td data-testid="api-key-status">
                      <span className={status === "active" ? "good" : "bad"}>{status}</span>
                      {key.revoked_at && <div className="muted small">{formatTime(key.revoked_at)}</div>}
                    </td>
                    <td>
                      {status !== "revoked" && (
                        <button type="button" className="danger" disabled={mayManage === false} onClick={() => { revoke.reset(); setRevoking(key); }}
                          aria-label={`Revoke ${key.name}`}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {created && <NewKeyDialog created={created} onClose={() => setCreated(null)} />}
      {revoking && (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke key"
          busy={revoke.isPending}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking)}
          error={revoke.error ? <ProblemNotice error={revoke.error} what="revoke the key" /> : undefined}
          testId="revoke-dialog"
        >
          <p>Every request made with <code>{revoking.masked}</code> will be refused from now on (the data planes learn of it within seconds).
            Applications using it stop sending data until they get a new key. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function CreateKeyForm({ projectId, onCreated, onCancel }: { projectId: string; onCreated: (key: CreatedKey) => void; onCancel: () => void }) {
  const disabled = false;
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["ingest", "read", "write"]);
  const [lifetime, setLifetime] = useState<string>("never");
  const create = useMutation({
    mutationFn: () => {
      const days = lifetimes.find((l) => l.key === lifetime)?.days ?? null;
      return createKey(projectId, {
        name: name.trim(),
        scopes,
        ...(days ? { expires_at: new Date(Date.now() + days * 86_400_000).toISOString() } : {}),
      });
    },
    onSuccess: (key) => {
      onCreated(key);
      setName("");
      // The key lives only in the dialog's state: nothing else keeps the answer.
      create.reset();
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim() || scopes.length === 0) return;
    create.mutate();
  }

  return (
    <form className="stack" onSubmit={submit} aria-label="Create an API key" data-testid="create-key-form">
      <div className="row" style={{ alignItems: "flex-end" }}>
        <label style={{ minWidth: 300, flex: 1 }}>Name
          <input value={name} maxLength={100} required placeholder="e.g. production-app" onChange={(e) => setName(e.target.value)} disabled={disabled} data-autofocus data-testid="key-name" />
        </label>
        <label>Expires
          <select value={lifetime} onChange={(e) => setLifetime(e.target.value)} disabled={disabled}>
            {lifetimes.map((l) => <option key={l.key} value={l.key}>{l.label}</option>)}
          </select>
        </label>
      </div>
      <fieldset className="scopes" disabled={disabled}>
        <legend className="muted small">Scopes</legend>
        {keyScopes.map((scope) => (
          <label key={scope.name} className="check">
            <input
              type="checkbox"
              name="scope"
              value={scope.name}
              checked={scopes.includes(scope.name)}
              onChange={(e) => setScopes(e.target.checked ? [...scopes, scope.name] : scopes.filter((s) => s !== scope.name))}
            />
            <span><code>{scope.name}</code> <span className="muted">{scope.text}</span></span>
          </label>
        ))}
      </fieldset>
      {scopes.length === 0 && <div className="warn small">Pick at least one scope.</div>}
      {create.error && <ProblemNotice error={create.error} what="create the key" />}
      <div className="row" style={{ justifyContent: "flex-end" }}>
        <button type="button" onClick={onCancel}>Cancel</button>
        <button className="primary" type="submit" disabled={disabled || create.isPending || !name.trim() || scopes.length === 0} data-testid="create-key-submit">
          {create.isPending ? "Creating…" : "Create key"}
        </button>
      </div>
    </form>
  );
}

function NewKeyDialog({ created, onClose }: { created: CreatedKey; onClose: () => void }) {
  return (
    <Dialog title="Your new API key" onClose={onClose} dismissable={false} testId="new-key-dialog">
      <div className="notice warn-notice" role="alert">
        <strong>Copy this key now.</strong> This is the only time it is shown: HoneyHive keeps a hash of it, not the key.
        If you lose it, revoke it and create another.
      </div>
      <label>Key “{created.name}” ({created.scopes.join(", ")})
        <div className="row" style={{ flexWrap: "nowrap" }}>
          <input
            readOnly
            value={created.key}
            className="mono"
            style={{ flex: 1 }}
            data-testid="new-key-value"
            aria-label="New API key"
            onFocus={(e) => e.currentTarget.select()}
          />
          <CopyButton value={created.key} label="Copy key" />
        </div>
      </label>
      <p className="muted small" style={{ margin: 0 }}>
        Send it as <code>Authorization: Bearer &lt;key&gt;</code>; the data planes accept it within a few seconds
        {created.expires_at ? `, until ${new Date(created.expires_at).toLocaleDateString()}` : ""}.
      </p>
      <div className="row" style={{ justifyContent: "flex-end" }}>
        <button type="button" className="primary" onClick={onClose}>I have stored the key</button>
      </div>
    </Dialog>
  );
}
