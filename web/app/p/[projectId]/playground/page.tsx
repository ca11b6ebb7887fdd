"use client";
// The playground: pick a saved prompt configuration (or start blank) and a model, edit the messages, fill the
// {{variables}}, set temperature and max tokens, run it and watch the answer stream in; then keep the edits as the
// configuration's next version (a save never overwrites) or as a new configuration. Each run is traced: its tokens,
// cost and latency are read back from the model event the proxy writes into a session of its own.
import { Suspense, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import Link from "next/link";
import { useParams, usePathname, useRouter, useSearchParams } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  createConfiguration, findTrace, getConfiguration, listConfigurations, listModels, listVersions, render, RunError, saveVersion, splitModel, streamRun,
  variablesOf, type Configuration, type ConfigurationParameters, type Message, type RunResult, type TracedCall,
} from "@/lib/playground";
import { encodeFilters } from "@/lib/filters";
import { formatCost, formatDuration, formatNumber, formatTime } from "@/lib/format";
import { EmptyState, Loading } from "@/components/Feedback";
import { ProblemNotice } from "@/components/ProblemNotice";
import { PromptEditor } from "@/components/PromptEditor";
import { Dialog } from "@/components/Dialog";
import { JsonView } from "@/components/JsonView";

type Draft = {
  /** "alias:NAME" or "provider:NAME" (then modelName is the provider's model). */
  target: string;
  modelName: string;
  messages: Message[];
  /** A completion configuration's template is one prompt string, not messages. */
  promptOnly: boolean;
  temperature: string;
  maxTokens: string;
};

const blankDraft: Draft = {
  target: "",
  modelName: "",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "{{question}}" },
  ],
  promptOnly: false,
  temperature: "",
  maxTokens: "",
};

function draftOf(configuration: Configuration): Draft {
  const p = configuration.parameters;
  const template = p.template;
  const h = p.hyperparameters ?? {};
  return {
    target: `provider:${configuration.provider}`,
    modelName: p.model,
    messages: typeof template === "string" ? [{ role: "user", content: template }] : (template ?? []).map((m) => ({ role: m.role, content: m.content })),
    promptOnly: typeof template === "string",
    temperature: typeof h.temperature === "number" ? String(h.temperature) : "",
    maxTokens: typeof h.max_tokens === "number" ? String(h.max_tokens) : "",
  };
}

function modelOf(draft: Draft): string {
  if (draft.target.startsWith("alias:")) return draft.target.slice(6);
  if (draft.target.startsWith("provider:")) return draft.modelName.trim() ? `${draft.target.slice(9)}/${draft.modelName.trim()}` : "";
  return "";
}

function hyperparametersOf(draft: Draft): { values: Record<string, number>; problems: string[] } {
  const values: Record<string, number> = {};
  const problems: string[] = [];
  if (draft.temperature.trim()) {
    const t = Number(draft.temperature);
    if (Number.isNaN(t) || t < 0 || t > 2) problems.push("Temperature must be a number from 0 to 2.");
    else values.temperature = t;
  }
  if (draft.maxTokens.trim()) {
    const m = Number(draft.maxTokens);
    if (!Number.isInteger(m) || m < 1) problems.push("Max tokens must be a whole number of at least 1.");
    else values.max_tokens = m;
  }
  return { values, problems };
}

/** The configuration's parameters with the draft's edits over them (other parameters kept as they were). */
function parametersOf(draft: Draft, base: ConfigurationParameters | null): { provider: string | null; parameters: ConfigurationParameters } {
  const { provider, model } = splitModel(modelOf(draft));
  const hyperparameters: Record<string, unknown> = { ...(base?.hyperparameters ?? {}) };
  const { values } = hyperparametersOf(draft);
  delete hyperparameters.temperature;
  delete hyperparameters.max_tokens;
  Object.assign(hyperparameters, values);
  return {
    provider,
    parameters: {
      ...(base ?? {}),
      call_type: draft.promptOnly ? "completion" : "chat",
      model,
      hyperparameters,
      template: draft.promptOnly ? (draft.messages[0]?.content ?? "") : draft.messages,
    },
  };
}

function uuid(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function Playground() {
  const { projectId } = useParams<{ projectId: string }>();
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const queryClient = useQueryClient();
  const configId = search.get("config") ?? "";
  const versionParam = search.get("version");
  const version = versionParam && /^\d+$/.test(versionParam) ? Number(versionParam) : null;

  const configurations = useQuery({ queryKey: ["configurations"], queryFn: listConfigurations });
  const models = useQuery({ queryKey: ["models"], queryFn: listModels, retry: false });
  const configuration = useQuery({ queryKey: ["configuration", configId], queryFn: () => getConfiguration(configId), enabled: Boolean(configId) });
  const versions = useQuery({ queryKey: ["configuration-versions", configId], queryFn: () => listVersions(configId), enabled: Boolean(configId) });
  const loaded: Configuration | null = !configId ? null
    : version !== null ? versions.data?.find((v) => v.version === version)?.configuration ?? null
    : configuration.data ?? null;

  const [draft, setDraft] = useState<Draft>(blankDraft);
  const [inputs, setInputs] = useState<Record<string, string>>({});
  const [saveNote, setSaveNote] = useState<string | null>(null);
  const [askName, setAskName] = useState(false);

  // A new configuration (or version) picked: its content becomes the draft.
  const loadedKey = loaded ? `${loaded.id}@${loaded.version}` : configId ? "loading" : "blank";
  useEffect(() => {
    if (loaded) setDraft(draftOf(loaded));
    else if (!configId) setDraft(blankDraft);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loadedKey]);

  const variables = useMemo(() => variablesOf(draft.messages), [draft.messages]);
  const model = modelOf(draft);
  const dirty = loaded ? JSON.stringify(draftOf(loaded)) !== JSON.stringify(draft) : false;

  function pick(params: { config?: string; version?: number | null }) {
    const next = new URLSearchParams();
    if (params.config) next.set("config", params.config);
    if (params.config && params.version) next.set("version", String(params.version));
    setSaveNote(null);
    router.replace(`${pathname}${next.size ? "?" + next.toString() : ""}`, { scroll: false });
  }

  const saveAsVersion = useMutation({
    mutationFn: () => {
      const { provider, parameters } = parametersOf(draft, loaded!.parameters);
      return saveVersion(loaded!.id, { name: loaded!.name, provider: provider ?? loaded!.provider, parameters });
    },
    onSuccess: async (answer) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ["configuration", configId] }),
        queryClient.invalidateQueries({ queryKey: ["configuration-versions", configId] }),
        queryClient.invalidateQueries({ queryKey: ["configurations"] }),
      ]);
      pick({ config: configId });
      setSaveNote(`Saved as version ${answer.version} of “${loaded!.name}”.`);
    },
  });

  const saveAsNew = useMutation({
    mutationFn: (name: string) => {
      const { provider, parameters } = parametersOf(draft, loaded?.parameters ?? null);
      return createConfiguration({ name, type: "LLM", provider: provider ?? loaded?.provider ?? "openai", parameters });
    },
    onSuccess: async (answer, name) => {
      setAskName(false);
      await queryClient.invalidateQueries({ queryKey: ["configurations"] });
      pick({ config: answer.insertedId });
      setSaveNote(`Saved as the new configuration “${name}” (version 1).`);
    },
  });

  const noModels = models.data && models.data.length === 0;
  const hyper = hyperparametersOf(draft);
  const canSave = Boolean(model) && draft.messages.length > 0 && hyper.problems.length === 0;

  return (
    <div className="stack" data-testid="playground">
      <div className="row">
        <h1 style={{ margin: 0 }}>Playground</h1>
        <div style={{ flex: 1 }} />
        <label className="row" style={{ flexDirection: "row", alignItems: "center" }}>
          <span>Configuration</span>
          <select
            aria-label="Configuration"
            data-testid="configuration-select"
            value={configId}
            onChange={(e) => pick({ config: e.target.value })}
            style={{ minWidth: 240 }}
          >
            <option value="">New prompt (blank)</option>
            {configId && !configurations.data?.some((c) => c.id === configId) && <option value={configId}>{configuration.data?.name ?? configId}</option>}
            {configurations.data?.slice().sort((a, b) => a.name.localeCompare(b.name)).map((c) => (
              <option key={c.id} value={c.id}>{c.name} (v{c.version})</option>
            ))}
          </select>
        </label>
        {configId && (
          <label className="row" style={{ flexDirection: "row", alignItems: "center" }}>
            <span>Version</span>
            <select
              aria-label="Version"
              data-testid="version-select"
              value={version ?? ""}
              onChange={(e) => pick({ config: configId, version: e.target.value ? Number(e.target.value) : null })}
              disabled={!versions.data}
            >
              <option value="">{configuration.data ? `v${configuration.data.version} (current)` : "current"}</option>
              {versions.data?.filter((v) => !v.current).map((v) => (
                <option key={v.version} value={v.version}>v{v.version} · {formatTime(v.created_at)}</option>
              ))}
            </select>
          </label>
        )}
      </div>

      {configurations.error && <ProblemNotice error={configurations.error} what="list the prompt configurations" />}
      {configurations.data && configurations.data.length === 0 && !configId && (
        <div className="notice small" data-testid="no-configurations">
          No saved configurations in this project yet. Write a prompt below, run it, then <strong>Save as configuration</strong>;
          or create one with <code>POST /v1/configurations</code> (the SDK&apos;s <code>configurations.create</code>).
        </div>
      )}
      {configuration.error && <ProblemNotice error={configuration.error} what="open the configuration" />}
      {versions.error && version !== null && <ProblemNotice error={versions.error} what="read the configuration's versions" />}
      {configId && !loaded && !configuration.error && <Loading label="Loading the configuration…" />}

      <div className="playground">
        <div className="stack">
          <MessagesEditor draft={draft} setDraft={setDraft} />
          <RunPanel
            projectId={projectId}
            draft={draft}
            inputs={inputs}
            variables={variables}
            loaded={loaded}
            version={version}
            onSave={
              <div className="row">
                {loaded && (
                  <button type="button" onClick={() => { setSaveNote(null); saveAsVersion.mutate(); }} disabled={!canSave || !dirty || saveAsVersion.isPending}
                    title={dirty ? "Keep these edits as the configuration's next version" : "Nothing changed since this version"} data-testid="save-version">
                    {saveAsVersion.isPending ? "Saving…" : "Save as new version"}
                  </button>
                )}
                <button type="button" onClick={() => { saveAsNew.reset(); setAskName(true); }} disabled={!canSave} data-testid="save-new">
                  {loaded ? "Save as new configuration" : "Save as configuration"}
                </button>
                {loaded && dirty && <span className="warn small" data-testid="unsaved">Unsaved edits</span>}
              </div>
            }
          />
          {saveAsVersion.error && <ProblemNotice error={saveAsVersion.error} what="save the new version" />}
          {saveNote && <div className="notice" role="status" data-testid="save-note">{saveNote}</div>}
        </div>

        <aside className="stack" aria-label="Model, parameters and variables">
          <ModelPicker draft={draft} setDraft={setDraft} models={models} projectId={projectId} configuredProvider={loaded?.provider} />
          {noModels && (
            <div className="notice warn-notice small" data-testid="no-provider-keys">
              This workspace has no provider keys, so no model can run.{" "}
              <Link href={`/p/${projectId}/settings?tab=providers`}>Add one in Settings → Provider keys</Link>.
            </div>
          )}
          <section className="card stack" aria-labelledby="params-heading">
            <h2 id="params-heading" style={{ margin: 0 }}>Parameters</h2>
            <div className="row">
              <label style={{ width: 130 }}>Temperature
                <input type="number" min={0} max={2} step={0.1} value={draft.temperature} placeholder="default" onChange={(e) => setDraft({ ...draft, temperature: e.target.value })} data-testid="temperature" />
              </label>
              <label style={{ width: 130 }}>Max tokens
                <input type="number" min={1} step={1} value={draft.maxTokens} placeholder="default" onChange={(e) => setDraft({ ...draft, maxTokens: e.target.value })} data-testid="max-tokens" />
              </label>
            </div>
            {hyper.problems.map((p) => <div key={p} className="bad small">{p}</div>)}
            {loaded && <OtherParameters parameters={loaded.parameters} />}
          </section>
          <section className="card stack" aria-labelledby="vars-heading" data-testid="variables">
            <h2 id="vars-heading" style={{ margin: 0 }}>Variables</h2>
            {variables.length === 0 ? (
              <p className="muted small" style={{ margin: 0 }}>Write <code>{"{{name}}"}</code> in a message to add a variable, filled from here on each run.</p>
            ) : variables.map((name) => (
              <label key={name}>{name}
                <textarea rows={2} value={inputs[name] ?? ""} onChange={(e) => setInputs({ ...inputs, [name]: e.target.value })} data-testid={`variable-${name}`} aria-label={`Variable ${name}`} />
              </label>
            ))}
          </section>
        </aside>
      </div>

      {askName && (
        <NameDialog
          initial={loaded ? `${loaded.name} copy` : ""}
          busy={saveAsNew.isPending}
          error={saveAsNew.error}
          onCancel={() => setAskName(false)}
          onSave={(name) => saveAsNew.mutate(name)}
        />
      )}
    </div>
  );
}

function MessagesEditor({ draft, setDraft }: { draft: Draft; setDraft: (d: Draft) => void }) {
  const update = (i: number, message: Partial<Message>) => setDraft({ ...draft, messages: draft.messages.map((m, j) => (j === i ? { ...m, ...message } : m)) });
  const move = (i: number, by: number) => {
    const messages = [...draft.messages];
    const [m] = messages.splice(i, 1);
    messages.splice(i + by, 0, m);
    setDraft({ ...draft, messages });
  };
  return (
    <section className="stack" aria-labelledby="messages-heading" data-testid="messages">
      <h2 id="messages-heading" style={{ margin: 0 }}>{draft.promptOnly ? "Prompt" : "Messages"}</h2>
      {draft.promptOnly && <p className="muted small" style={{ margin: 0 }}>This configuration is a completion prompt: one text, sent as a user message.</p>}
      {draft.messages.length === 0 && <EmptyState title="No messages"><p>Add a system or user message to start.</p></EmptyState>}
      {draft.messages.map((message, i) => (
        <div key={i} className={`msg ${message.role}`} data-testid="message">
          <div className="msg-head">
            {draft.promptOnly ? <span className="small muted">PROMPT</span> : (
              <select aria-label={`Role of message ${i + 1}`} value={message.role} onChange={(e) => update(i, { role: e.target.value })} data-testid="message-role">
                {["system", "user", "assistant"].concat(["system", "user", "assistant"].includes(message.role) ? [] : [message.role]).map((r) => <option key={r} value={r}>{r}</option>)}
              </select>
            )}
            <div style={{ flex: 1 }} />
            {!draft.promptOnly && (
              <>
                <button type="button" className="link" onClick={() => move(i, -1)} disabled={i === 0} aria-label={`Move message ${i + 1} up`}>↑</button>
                <button type="button" className="link" onClick={() => move(i, 1)} disabled={i === draft.messages.length - 1} aria-label={`Move message ${i + 1} down`}>↓</button>
                <button type="button" className="link" onClick={() => setDraft({ ...draft, messages: draft.messages.filter((_, j) => j !== i) })} aria-label={`Delete message ${i + 1}`}>Delete</button>
              </>
            )}
          </div>
          <PromptEditor value={message.content} onChange={(content) => update(i, { content })} label={`Message ${i + 1} (${message.role})`} placeholder="Type the message; {{variables}} are filled on each run" testId="message-content" />
        </div>
      ))}
      {!draft.promptOnly && (
        <div className="row">
          <button type="button" onClick={() => setDraft({ ...draft, messages: [...draft.messages, { role: draft.messages.at(-1)?.role === "user" ? "assistant" : "user", content: "" }] })} data-testid="add-message">
            Add message
          </button>
        </div>
      )}
    </section>
  );
}

function ModelPicker({ draft, setDraft, models, projectId, configuredProvider }: {
  draft: Draft;
  setDraft: (d: Draft) => void;
  models: ReturnType<typeof useQuery<Awaited<ReturnType<typeof listModels>>>>;
  projectId: string;
  configuredProvider?: string;
}) {
  const aliases = models.data?.filter((m) => m.owned_by === "alias").map((m) => m.id) ?? [];
  const providers = models.data?.filter((m) => m.owned_by !== "alias").map((m) => m.owned_by) ?? [];
  const currentProvider = draft.target.startsWith("provider:") ? draft.target.slice(9) : null;
  const missingKey = currentProvider && models.data && !providers.includes(currentProvider);
  return (
    <section className="card stack" aria-labelledby="model-heading" data-testid="model-picker">
      <h2 id="model-heading" style={{ margin: 0 }}>Model</h2>
      {models.isLoading && <Loading label="Loading models…" />}
      {models.error && <ProblemNotice error={models.error} what="list the workspace's models" />}
      <label>Provider or alias
        <select value={draft.target} onChange={(e) => setDraft({ ...draft, target: e.target.value })} data-testid="model-target" aria-label="Provider or alias">
          <option value="">choose…</option>
          {aliases.length > 0 && (
            <optgroup label="Aliases">
              {aliases.map((a) => <option key={a} value={`alias:${a}`}>{a}</option>)}
            </optgroup>
          )}
          <optgroup label="Providers with a key">
            {providers.map((p) => <option key={p} value={`provider:${p}`}>{p}</option>)}
          </optgroup>
          {currentProvider && !providers.includes(currentProvider) && <option value={draft.target}>{currentProvider} (no key)</option>}
          {configuredProvider && configuredProvider !== currentProvider && !providers.includes(configuredProvider) && (
            <option value={`provider:${configuredProvider}`}>{configuredProvider} (no key)</option>
          )}
        </select>
      </label>
      {draft.target.startsWith("provider:") && (
        <label>Model name
          <input value={draft.modelName} onChange={(e) => setDraft({ ...draft, modelName: e.target.value })} placeholder="e.g. gpt-4o-mini" data-testid="model-name" spellCheck={false} />
        </label>
      )}
      {missingKey && (
        <div className="warn small" data-testid="model-no-key">
          The workspace has no key for “{currentProvider}”. <Link href={`/p/${projectId}/settings?tab=providers`}>Add it in Settings → Provider keys</Link>.
        </div>
      )}
      {modelOf(draft) && <div className="muted small">Runs as <code data-testid="model-string">{modelOf(draft)}</code></div>}
    </section>
  );
}

function OtherParameters({ parameters }: { parameters: ConfigurationParameters }) {
  const other: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parameters.hyperparameters ?? {})) if (key !== "temperature" && key !== "max_tokens") other[key] = value;
  for (const key of ["responseFormat", "selectedFunctions", "functionCallParams", "forceFunction"]) if (parameters[key] !== undefined && parameters[key] !== null) other[key] = parameters[key];
  if (Object.keys(other).length === 0) return null;
  return (
    <details className="section">
      <summary className="small">Other parameters (kept on save)</summary>
      <div><JsonView value={other} /></div>
    </details>
  );
}

function NameDialog({ initial, busy, error, onCancel, onSave }: { initial: string; busy: boolean; error: unknown; onCancel: () => void; onSave: (name: string) => void }) {
  const [name, setName] = useState(initial);
  return (
    <Dialog title="Save as a configuration" onClose={onCancel} testId="name-dialog">
      <form className="stack" onSubmit={(e) => { e.preventDefault(); if (name.trim()) onSave(name.trim()); }}>
        <label>Name<input value={name} maxLength={200} required onChange={(e) => setName(e.target.value)} data-autofocus data-testid="configuration-name" /></label>
        {error ? <ProblemNotice error={error} what="save the configuration" /> : null}
        <div className="row" style={{ justifyContent: "flex-end" }}>
          <button type="button" onClick={onCancel}>Cancel</button>
          <button type="submit" className="primary" disabled={busy || !name.trim()}>{busy ? "Saving…" : "Save"}</button>
        </div>
      </form>
    </Dialog>
  );
}

type Run = {
  status: "running" | "done" | "failed" | "stopped";
  text: string;
  result: RunResult | null;
  error: RunError | null;
  sessionId: string;
  trace: TracedCall | null;
  traceState: "waiting" | "found" | "missing";
};

function RunPanel({ projectId, draft, inputs, variables, loaded, version, onSave }: {
  projectId: string;
  draft: Draft;
  inputs: Record<string, string>;
  variables: string[];
  loaded: Configuration | null;
  version: number | null;
  onSave: ReactNode;
}) {
  const [run, setRun] = useState<Run | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);
  const generation = useRef(0);
  useEffect(() => () => controller.current?.abort(), []);

  const model = modelOf(draft);
  const hyper = hyperparametersOf(draft);
  const running = run?.status === "running";

  async function start() {
    if (controller.current && !controller.current.signal.aborted && running) return;
    setProblem(null);
    const missing = variables.filter((v) => !(inputs[v] ?? "").length);
    const problems = [
      ...(!model ? ["Choose a model (a provider and its model name, or an alias)."] : []),
      ...(draft.messages.length === 0 ? ["Add at least one message."] : []),
      ...(missing.length ? [`Fill the variable${missing.length > 1 ? "s" : ""} ${missing.map((m) => `“${m}”`).join(", ")}.`] : []),
      ...hyper.problems,
    ];
    if (problems.length) {
      setProblem(problems.join(" "));
      return;
    }
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    const mine = ++generation.current;
    const sessionId = uuid();
    const values = Object.fromEntries(variables.map((v) => [v, inputs[v] ?? ""]));
    setRun({ status: "running", text: "", result: null, error: null, sessionId, trace: null, traceState: "waiting" });
    const update = (change: Partial<Run>) => {
      if (generation.current === mine) setRun((r) => (r ? { ...r, ...change } : r));
    };

    const body: Record<string, unknown> = loaded
      ? {
          configuration_id: loaded.id,
          ...(version !== null ? { version } : {}),
          inputs: values,
          model,
          ...(Object.keys(hyper.values).length ? { hyperparameters: hyper.values } : {}),
          template: draft.promptOnly ? (draft.messages[0]?.content ?? "") : draft.messages,
          stream: true,
        }
      : { model, messages: render(draft.messages, values), stream: true, stream_options: { include_usage: true }, ...hyper.values };
    let traced = true;
    try {
      const result = await streamRun(loaded ? "/v1/playground/run" : "/v1/chat/completions", body, {
        sessionId,
        signal: abort.signal,
        onText: (text) => update({ text }),
      });
      update({ status: "done", result, text: result.text });
    } catch (error) {
      if (abort.signal.aborted) {
        update({ status: "stopped" });
      } else {
        const failure = error instanceof RunError ? error : new RunError(0, String(error));
        // Refusals before the provider was called (a missing variable, key or permission) leave no trace to read.
        traced = failure.status === 200 || failure.status >= 500 || failure.status === 429 || failure.status === 401;
        update({ status: "failed", error: failure });
      }
    }
    if (!traced) {
      update({ traceState: "missing" });
      return;
    }
    // The proxy traces every call that reached it, failed ones included: read its tokens, cost and duration.
    for (let attempt = 0; attempt < 25 && generation.current === mine; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, attempt === 0 ? 500 : 1000));
      try {
        const trace = await findTrace(sessionId);
        if (trace) {
          update({ trace, traceState: "found" });
          return;
        }
      } catch {
        break; // no events:read: the run's own numbers are all there is
      }
    }
    update({ traceState: "missing" });
  }

  // Ctrl+Enter (⌘+Enter) runs from anywhere on the page, the message editors included.
  const startRef = useRef(start);
  startRef.current = start;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        event.stopPropagation();
        void startRef.current();
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, []);

  return (
    <section className="stack" aria-labelledby="answer-heading">
      <div className="row">
        <button type="button" className="primary" onClick={() => void start()} disabled={running} data-testid="run" aria-keyshortcuts="Control+Enter">
          {running ? "Running…" : "Run"}
        </button>
        {running && <button type="button" onClick={() => controller.current?.abort()} data-testid="stop">Stop</button>}
        <div style={{ flex: 1 }} />
        {onSave}
      </div>
      {problem && <div className="notice error" role="alert" data-testid="run-problem">{problem}</div>}
      <h2 id="answer-heading" style={{ margin: 0 }}>Answer</h2>
      <div className="card stack" data-testid="answer-panel" aria-live="polite" aria-busy={running}>
        {!run && <p className="muted" style={{ margin: 0 }} data-testid="answer-empty">Run the prompt to see the model&apos;s answer here, as it streams.</p>}
        {run && (run.text || run.status === "running") && (
          <pre className="answer" data-testid="answer">{run.text}{run.status === "running" && <span className="muted">▍</span>}</pre>
        )}
        {run?.result && run.result.toolCalls.length > 0 && (
          <details className="section" open><summary>Tool calls</summary><div><JsonView value={run.result.toolCalls} /></div></details>
        )}
        {run?.status === "done" && !run.text && !run.result?.toolCalls.length && <p className="muted" style={{ margin: 0 }}>The model answered with no text.</p>}
        {run?.status === "stopped" && <p className="muted" style={{ margin: 0 }}>Stopped.</p>}
        {run?.error && <RunErrorNotice error={run.error} projectId={projectId} />}
        {run && run.status !== "running" && <RunStats run={run} projectId={projectId} />}
      </div>
    </section>
  );
}

function RunStats({ run, projectId }: { run: Run; projectId: string }) {
  const usage = run.result?.usage;
  const metadata = (run.trace?.metadata ?? {}) as Record<string, unknown>;
  const number = (value: unknown) => (typeof value === "number" ? value : typeof value === "string" && value !== "" && !Number.isNaN(Number(value)) ? Number(value) : undefined);
  const prompt = usage?.prompt_tokens ?? number(metadata.prompt_tokens);
  const completion = usage?.completion_tokens ?? number(metadata.completion_tokens);
  const total = usage?.total_tokens ?? number(metadata.total_tokens) ?? (prompt !== undefined && completion !== undefined ? prompt + completion : undefined);
  const cost = number(metadata.cost);
  const filters = encodeFilters([{ field: "session_id", operator: "is", value: run.sessionId, type: "string" }]);
  return (
    <div className="stack" style={{ gap: 6 }}>
      {(run.result || total !== undefined || cost !== undefined) && <dl className="stats" data-testid="run-stats">
        {run.result?.firstTokenMs != null && <div><dt>First token</dt><dd>{formatDuration(run.result.firstTokenMs)}</dd></div>}
        {run.result && <div><dt>Total time</dt><dd data-testid="stat-latency">{formatDuration(run.result.totalMs)}</dd></div>}
        {total !== undefined && <div><dt>Tokens</dt><dd data-testid="stat-tokens">{formatNumber(total)}{prompt !== undefined && completion !== undefined ? ` (${formatNumber(prompt)} in, ${formatNumber(completion)} out)` : ""}</dd></div>}
        {cost !== undefined && <div><dt>Cost</dt><dd data-testid="stat-cost">{formatCost(cost)}</dd></div>}
        {run.result?.model && <div><dt>Model</dt><dd>{run.result.model}</dd></div>}
        {run.result?.finishReason && <div><dt>Finish</dt><dd>{run.result.finishReason}</dd></div>}
        {run.result?.configurationVersion != null && <div><dt>Version run</dt><dd>v{run.result.configurationVersion}</dd></div>}
      </dl>}
      <div className="muted small">
        {run.traceState === "waiting" && "Reading the trace for tokens and cost…"}
        {run.traceState === "found" && <>Traced: <Link href={`/p/${projectId}/events?filters=${encodeURIComponent(filters)}`} data-testid="trace-link">open the model event</Link>{cost === undefined && run.status === "done" && " (no price known for this model, so no cost)"}.</>}
        {run.traceState === "missing" && (run.status === "failed" && run.error && !(run.error.status === 200 || run.error.status >= 429) ? "Nothing was sent to the provider." : "The trace has not arrived yet; it will show under Events.")}
      </div>
    </div>
  );
}

function RunErrorNotice({ error, projectId }: { error: RunError; projectId: string }) {
  const providers = <Link href={`/p/${projectId}/settings?tab=providers`}>Settings → Provider keys</Link>;
  let next: ReactNode;
  if (error.code === "provider_not_configured") next = <>Add the provider&apos;s key in {providers}, or pick a model of a provider that has one.</>;
  else if (error.code === "missing_template_variable") next = <>Fill every variable under Variables.</>;
  else if (error.type === "permission_error" || error.status === 403) next = <>Your role here does not allow this; an org admin can grant the permission named above (Settings → Members and roles).</>;
  else if (error.type === "authentication_error" || error.status === 401) next = <>The provider refused the workspace&apos;s key: replace it in {providers}.</>;
  else if (error.status === 429) next = <>Too many calls right now: wait a moment and run again.</>;
  else if (error.status === 404) next = <>The configuration or model does not exist (any more): pick another.</>;
  else if (error.status === 400) next = <>Change what the message names and run again.</>;
  else next = <>The provider or the proxy failed. Run again; if it keeps failing, check the provider&apos;s key and base URL in {providers}.</>;
  return (
    <div className="notice error" role="alert" data-testid="run-error">
      <strong>The run failed{error.status && error.status !== 200 ? ` (${error.status})` : " midway"}.</strong> {error.message}
      <div className="small" style={{ marginTop: 4 }}>{next}</div>
    </div>
  );
}

export default function PlaygroundPage() {
  return (
    <Suspense fallback={<Loading />}>
      <Playground />
    </Suspense>
  );
}
