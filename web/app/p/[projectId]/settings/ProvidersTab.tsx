"use client";
// The workspace's LLM provider keys (the playground, LLM evaluators and the proxy use them). Write-only: a key is
// typed into a password field, sent once, and from then on only the masked form the server keeps (a vendor prefix
// and at most the last 4 characters) is shown. Replacing a key sends a new one; nothing ever reads a key back.
import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { deleteSecret, listSecrets, providerKinds, providerPattern, putSecret, rewrapSecrets, type ProviderSecret } from "@/lib/settings";
import { usePermissions } from "@/lib/permissions";
import { formatTime } from "@/lib/format";
import { EmptyState, Loading } from "@/components/Feedback";
import { ProblemNotice } from "@/components/ProblemNotice";
import { ConfirmDialog, Dialog } from "@/components/Dialog";

export function ProvidersTab({ projectId }: { projectId: string }) {
  const queryClient = useQueryClient();
  const { can, project } = usePermissions(projectId);
  const secrets = useQuery({ queryKey: ["provider-secrets", projectId], queryFn: listSecrets, retry: false });
  const [editing, setEditing] = useState<ProviderSecret | null>(null);
  const [deleting, setDeleting] = useState<ProviderSecret | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const mayManage = can("secrets:manage");
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["provider-secrets", projectId] }).then(() => queryClient.invalidateQueries({ queryKey: ["models"] }));

  const remove = useMutation({
    mutationFn: (secret: ProviderSecret) => deleteSecret(secret.provider),
    onSuccess: async (_, secret) => {
      setDeleting(null);
      setMessage(`The ${secret.provider} key was deleted.`);
      await refresh();
    },
  });
  const rewrap = useMutation({
    mutationFn: rewrapSecrets,
    onSuccess: (result) =>
      setMessage(`${result.rewrapped} key(s) re-encrypted under master key ${result.key_id}` + (result.unreadable ? `; ${result.unreadable} could not be read and must be stored again.` : ".")),
  });

  return (
    <div className="stack" data-testid="provider-keys">
      <p className="muted" style={{ margin: 0 }}>
        Provider keys belong to the workspace{project?.workspaceName ? <> <strong>{project.workspaceName}</strong></> : null}: every project in it uses them for the playground,
        LLM evaluators and the OpenAI-compatible proxy (<code>/v1/chat/completions</code>). They are encrypted at rest and never shown again once saved.
      </p>
      {mayManage !== false && <SecretForm
        key="new"
        onSaved={async (secret) => {
          setMessage(`The ${secret.provider} key was saved (${secret.masked_value}).`);
          await refresh();
        }}
      />}
      {message && <div className="notice" role="status" data-testid="provider-message">{message}</div>}
      <div className="row">
        <h2 style={{ margin: 0 }}>Keys of this workspace</h2>
        <div style={{ flex: 1 }} />
        {mayManage !== false && <button
          type="button"
          disabled={rewrap.isPending || !secrets.data?.length}
          onClick={() => rewrap.mutate()}
          title="After an operator rotates Secrets:MasterKey, re-encrypts every key of the workspace under the new master key."
        >
          {rewrap.isPending ? "Re-encrypting…" : "Rotate encryption"}
        </button>}
      </div>
      {rewrap.error && <ProblemNotice error={rewrap.error} what="re-encrypt the keys" />}
      {secrets.isLoading && <Loading label="Loading provider keys…" />}
      {secrets.error && <ProblemNotice error={secrets.error} what="list the workspace's provider keys" />}
      {secrets.data && secrets.data.length === 0 && (
        <EmptyState title="No provider keys yet">
          <p>Add a key above to run prompts in the playground and LLM-judge evaluators. The name is how models are addressed:
            a key named <code>openai</code> serves <code>openai/gpt-4o-mini</code>.</p>
          <p className="small">Through the API: <code>PUT /v1/provider-secrets/openai</code> with <code>{'{"value": "sk-…"}'}</code>.</p>
        </EmptyState>
      )}
      {secrets.data && secrets.data.length > 0 && (
        <div className="card" style={{ padding: 0, overflowX: "auto" }}>
          <table aria-label="Provider keys">
            <thead><tr><th>Provider</th><th>Kind</th><th>Key</th><th>Base URL</th><th>Settings</th><th>Updated</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {secrets.data.map((secret) => (
                <tr key={secret.provider} data-testid="provider-row" data-provider={secret.provider}>
                  <td><strong>{secret.provider}</strong></td>
                  <td>{secret.kind ?? <span className="warn" title="The proxy cannot call a provider without a kind">none</span>}</td>
                  <td><code data-testid="provider-masked">{secret.masked_value}</code></td>
                  <td className="small">{secret.base_url ?? <span className="muted">default</span>}</td>
                  <td className="small">{secret.settings && Object.keys(secret.settings).length ? Object.entries(secret.settings).map(([k, v]) => `${k}=${v}`).join(", ") : <span className="muted">—</span>}</td>
                  <td className="nowrap">{formatTime(secret.updated_at)}</td>
                  <td className="nowrap">
                    <div className="row" style={{ gap: 4, flexWrap: "nowrap" }}>
                      <button type="button" disabled={mayManage === false} onClick={() => setEditing(secret)} aria-label={`Replace the ${secret.provider} key`}>Replace</button>
                      <button type="button" className="danger" disabled={mayManage === false} onClick={() => { remove.reset(); setDeleting(secret); }} aria-label={`Delete the ${secret.provider} key`}>Delete</button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && (
        <Dialog title={`Replace the ${editing.provider} key`} onClose={() => setEditing(null)} testId="replace-key-dialog">
          <p className="muted small" style={{ margin: 0 }}>The current key ({editing.masked_value}) is overwritten; calls use the new one at once.</p>
          <SecretForm
            existing={editing}
            onSaved={async (secret) => {
              setEditing(null);
              setMessage(`The ${secret.provider} key was replaced (${secret.masked_value}).`);
              await refresh();
            }}
            onCancel={() => setEditing(null)}
          />
        </Dialog>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the ${deleting.provider} key?`}
          confirmLabel="Delete key"
          busy={remove.isPending}
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate(deleting)}
          error={remove.error ? <ProblemNotice error={remove.error} what="delete the key" /> : undefined}
        >
          <p>Calls to <code>{deleting.provider}/…</code> models from every project of the workspace will fail until a key is stored again.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** Adds a key, or replaces one (existing: provider fixed, kind and base URL kept unless changed; the key must be typed again). */
function SecretForm({ existing, onSaved, onCancel }: { existing?: ProviderSecret; onSaved: (secret: ProviderSecret) => void; onCancel?: () => void }) {
  const [provider, setProvider] = useState(existing?.provider ?? "");
  const [kind, setKind] = useState(existing?.kind ?? "");
  const [baseUrl, setBaseUrl] = useState(existing?.base_url ?? "");
  const [settings, setSettings] = useState<Record<string, string>>(existing?.settings ?? {});
  // Uncontrolled: React would mirror a controlled input's value into its DOM attribute; the key stays in the field only.
  const keyInput = useRef<HTMLInputElement>(null);
  const [hasValue, setHasValue] = useState(false);
  const disabled = false;
  const name = provider.trim().toLowerCase();
  const implied = providerKinds.find((k) => k.kind === name) ?? (name === "azure-openai" ? providerKinds.find((k) => k.kind === "azure") : undefined);
  const effective = providerKinds.find((k) => k.kind === (kind || implied?.kind));
  const nameValid = providerPattern.test(name);

  const save = useMutation({
    mutationFn: () => {
      const filled = Object.fromEntries(Object.entries(settings).filter(([key, v]) => v.trim() && effective?.settings.includes(key)));
      return putSecret(name, {
        value: keyInput.current?.value ?? "",
        ...(kind ? { kind } : {}),
        ...(baseUrl.trim() ? { base_url: baseUrl.trim() } : {}),
        ...(Object.keys(filled).length ? { settings: filled } : {}),
      });
    },
    onSuccess: (secret) => {
      // The key leaves the page's memory as soon as the server has it.
      if (keyInput.current) keyInput.current.value = "";
      setHasValue(false);
      if (!existing) {
        setProvider("");
        setKind("");
        setBaseUrl("");
        setSettings({});
      }
      save.reset();
      onSaved(secret);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (nameValid && hasValue) save.mutate();
  }

  return (
    <form className={existing ? "stack" : "card stack"} onSubmit={submit} aria-label={existing ? "Replace a provider key" : "Add a provider key"} data-testid="provider-form" autoComplete="off">
      {!existing && <h2 style={{ margin: 0 }}>Add a provider key</h2>}
      <div className="row" style={{ alignItems: "flex-end" }}>
        <label>Provider name
          <input
            value={provider}
            onChange={(e) => setProvider(e.target.value)}
            list="provider-names"
            placeholder="openai"
            required
            disabled={disabled || Boolean(existing)}
            aria-invalid={provider !== "" && !nameValid}
          />
          <datalist id="provider-names">{providerKinds.filter((k) => k.kind !== "openai-compatible").map((k) => <option key={k.kind} value={k.kind}>{k.label}</option>)}</datalist>
        </label>
        <label>Kind
          <select value={kind} onChange={(e) => setKind(e.target.value)} disabled={disabled} aria-label="Provider kind">
            <option value="">{implied ? `${implied.label} (from the name)` : "choose…"}</option>
            {providerKinds.map((k) => <option key={k.kind} value={k.kind}>{k.label}</option>)}
          </select>
        </label>
        <label style={{ minWidth: 280, flex: 1 }}>API key
          <input
            type="password"
            ref={keyInput}
            defaultValue=""
            onChange={(e) => setHasValue(e.target.value.length > 0)}
            placeholder={existing ? "the new key" : "sk-…"}
            autoComplete="new-password"
            spellCheck={false}
            required
            disabled={disabled}
            data-testid="provider-key-input"
          />
        </label>
      </div>
      {(effective?.needsBaseUrl || baseUrl || (name && !implied && !kind)) && (
        <label>Base URL {effective?.needsBaseUrl ? "(required for this kind)" : "(optional)"}
          <input value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="https://my-resource.openai.azure.com or http://host:11434/v1" disabled={disabled} />
        </label>
      )}
      {effective && effective.settings.length > 0 && (
        <div className="row">
          {effective.settings.map((key) => (
            <label key={key}>{key} (optional)
              <input value={settings[key] ?? ""} onChange={(e) => setSettings({ ...settings, [key]: e.target.value })} disabled={disabled} />
            </label>
          ))}
        </div>
      )}
      {provider !== "" && !nameValid && <div className="bad small">The name must be 1–64 letters, digits, “_”, “-” or “.”, starting with a letter or digit.</div>}
      {name && !implied && !kind && <div className="warn small">“{name}” implies no provider kind: choose one so the proxy knows how to call it.</div>}
      {save.error && <ProblemNotice error={save.error} what="save the key" />}
      <div className="row">
        <button type="submit" className="primary" disabled={disabled || save.isPending || !nameValid || !hasValue}>
          {save.isPending ? "Saving…" : existing ? "Replace key" : "Save key"}
        </button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
