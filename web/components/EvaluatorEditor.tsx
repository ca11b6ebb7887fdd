"use client";
// The evaluator editor: one form for every metric type. Python code and judge prompts are edited in CodeMirror;
// Python is compiled by the server's sandbox before it is saved (the server stores code as given), and the line a
// compilation or runtime error names is marked in the editor. Saving creates the metric or adds a deployed version.
import { useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "@/lib/api";
import {
  blankDefinition, checkPython, compositeAggregates, createMetric, deleteMetric, deployVersion, listVersions, metricTypes, providers, returnTypes,
  typeLabel, updateMetric, type Metric, type MetricDefinition, type MetricType, type ReturnType, type RunFailure,
} from "@/lib/evaluators";
import type { Filter, FieldType } from "@/lib/filters";
import { formatTime } from "@/lib/format";
import { CodeEditor, focusLine } from "./CodeEditor";
import { ErrorNotice, Loading } from "./Feedback";
import { FilterBuilder } from "./FilterBuilder";
import { JsonView } from "./JsonView";
import { TryMetric } from "./TryMetric";

type Props = {
  metric?: Metric;
  initial: MetricDefinition;
  others: Metric[];
  onSaved: (id: string) => void;
  onDeleted: () => void;
  onDirty: (dirty: boolean) => void;
};

const criteriaLabel: Record<MetricType, string> = {
  PYTHON: "Code",
  LLM: "Judge prompt",
  HUMAN: "Instructions for annotators",
  COMPOSITE: "Aggregate",
};

/** The definition as the server should store it: fields that do not apply to the type or return type are cleared. */
function forSave(d: MetricDefinition): MetricDefinition {
  const threshold: NonNullable<MetricDefinition["threshold"]> = {};
  if (d.threshold) {
    if (d.return_type === "float" || d.type === "COMPOSITE") {
      if (typeof d.threshold.min === "number") threshold.min = d.threshold.min;
      if (typeof d.threshold.max === "number") threshold.max = d.threshold.max;
    }
    if (d.return_type === "boolean" && d.threshold.pass_when !== undefined) threshold.pass_when = d.threshold.pass_when;
    if (d.return_type === "categorical" && d.threshold.passing_categories?.length) threshold.passing_categories = d.threshold.passing_categories;
  }
  return {
    ...d,
    name: d.name.trim(),
    model_provider: d.type === "LLM" ? d.model_provider?.trim() || null : null,
    model_name: d.type === "LLM" ? d.model_name?.trim() || null : null,
    scale: d.return_type === "float" || d.type === "COMPOSITE" ? d.scale : null,
    categories: d.return_type === "categorical" ? d.categories : null,
    child_metrics: d.type === "COMPOSITE" ? d.child_metrics ?? [] : null,
    threshold: Object.keys(threshold).length ? threshold : null,
  };
}

function categoriesText(d: MetricDefinition) {
  return (d.categories ?? []).map((c) => (c.score === null || c.score === undefined ? c.category : `${c.category}: ${c.score}`)).join("\n");
}

function parseCategories(text: string): MetricDefinition["categories"] {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.map((line) => {
    const match = /^(.*?)\s*:\s*(-?\d+(?:\.\d+)?)$/.exec(line);
    return match ? { category: match[1], score: Number(match[2]) } : { category: line, score: null };
  });
}

const numberOrUndefined = (text: string) => (text.trim() === "" || Number.isNaN(Number(text)) ? undefined : Number(text));

export function EvaluatorEditor({ metric, initial, others, onSaved, onDeleted, onDirty }: Props) {
  const client = useQueryClient();
  const [def, setDef] = useState<MetricDefinition>(initial);
  const [dirty, setDirtyState] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [saveError, setSaveError] = useState<unknown>(null);
  const [checkError, setCheckError] = useState<unknown>(null);
  // The error the code's line is marked for: from the check before saving, or from trying it on an event.
  const [codeError, setCodeError] = useState<(RunFailure & { from: "save" | "try" }) | null>(null);
  const [phase, setPhase] = useState<"idle" | "checking" | "saving" | "saved">("idle");
  const [categoryText, setCategoryText] = useState(categoriesText(initial));
  const editorBox = useRef<HTMLDivElement>(null);

  function setDirty(value: boolean) {
    setDirtyState(value);
    onDirty(value);
  }

  function change(patch: Partial<MetricDefinition>) {
    setDef((d) => ({ ...d, ...patch }));
    setDirty(true);
    if (phase === "saved") setPhase("idle");
    for (const key of Object.keys(patch)) if (fieldErrors[key]) setFieldErrors((e) => ({ ...e, [key]: [] }));
  }

  /** A new evaluator changing type starts from that type's template, keeping its name and description. */
  function changeType(type: MetricType) {
    const fresh = blankDefinition(type);
    change({ ...fresh, name: def.name || fresh.name, description: def.description });
    setCategoryText(categoriesText(fresh));
    setCodeError(null);
  }

  function changeCode(criteria: string) {
    change({ criteria });
    // The marked line belonged to the code before this edit.
    if (codeError) setCodeError(null);
  }

  async function save(check = true) {
    setFieldErrors({});
    setSaveError(null);
    setCheckError(null);
    const body = forSave(def);
    if (def.type === "PYTHON" && check) {
      setPhase("checking");
      try {
        const failure = await checkPython(body);
        if (failure) {
          setCodeError({ ...failure, from: "save" });
          setPhase("idle");
          return;
        }
        setCodeError(null);
      } catch (e) {
        setCheckError(e);
        setPhase("idle");
        return;
      }
    }
    setPhase("saving");
    try {
      let id = metric?.id;
      if (metric) await updateMetric(metric.id, body);
      else id = (await createMetric(body)).metric_id;
      await client.invalidateQueries({ queryKey: ["metrics"] });
      if (id) await client.invalidateQueries({ queryKey: ["metric-versions", id] });
      setDirty(false);
      setPhase("saved");
      onSaved(id!);
    } catch (e) {
      if (e instanceof ApiError && e.body && typeof e.body === "object" && "errors" in e.body) {
        setFieldErrors((e.body as { errors: Record<string, string[]> }).errors ?? {});
      }
      setSaveError(e);
      setPhase("idle");
    }
  }

  const remove = useMutation({
    mutationFn: () => deleteMetric(metric!.id),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["metrics"] });
      setDirty(false);
      onDeleted();
    },
  });

  function onKey(event: KeyboardEvent<HTMLFormElement>) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      void save();
    }
  }

  const errorOf = (field: string) => {
    const messages = Object.entries(fieldErrors).filter(([k]) => k === field || k.startsWith(field + ".") || k.startsWith(field + "[")).flatMap(([k, v]) => v.map((m) => (k === field ? m : `${k}: ${m}`)));
    return messages.length ? <div className="field-error" role="alert">{messages.join(" ")}</div> : null;
  };

  const filters: Filter[] = def.filters.filterArray.map((f) => ({
    field: f.field, operator: f.operator, type: f.type as FieldType, ...(f.value === null || f.value === undefined ? {} : { value: f.value }),
  }));
  const isRating = def.return_type === "float";
  const busy = phase === "checking" || phase === "saving";

  return (
    <div className="stack">
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        onKeyDown={onKey}
        aria-label={metric ? `Edit evaluator ${metric.name}` : "New evaluator"}
        data-testid="evaluator-editor"
      >
        <div className="row">
          <h2 style={{ margin: 0 }}>{metric ? metric.name : `New ${typeLabel(def.type)} evaluator`}</h2>
          <span className={`badge ${def.type.toLowerCase()}`}>{typeLabel(def.type)}</span>
          {dirty && <span className="warn small">unsaved changes</span>}
          {phase === "saved" && <span className="good small" role="status" data-testid="saved">Saved{metric ? " as a new deployed version" : ""}.</span>}
          <div style={{ flex: 1 }} />
          {metric && (
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() => window.confirm(`Delete the evaluator “${metric.name}”? Runs and events keep the scores it gave.`) && remove.mutate()}
              data-testid="delete-evaluator"
            >
              {remove.isPending ? "Deleting…" : "Delete"}
            </button>
          )}
          <button type="submit" className="primary" disabled={busy} data-testid="save-evaluator" title="Save (Ctrl+S)">
            {phase === "checking" ? "Checking code…" : phase === "saving" ? "Saving…" : metric ? "Save" : "Create"}
          </button>
        </div>
        {remove.error && <ErrorNotice error={remove.error} what="delete the evaluator" />}
        {saveError !== null && <ErrorNotice error={saveError} what="save the evaluator" />}
        {checkError !== null && (
          <div className="notice error" role="alert">
            <strong>Could not check the code.</strong> {checkError instanceof Error ? checkError.message : String(checkError)}
            <div className="row small">
              <span className="muted">The evaluation engine did not answer, so the code was not compiled.</span>
              <button type="button" className="link" onClick={() => void save(false)}>Save without checking</button>
            </div>
          </div>
        )}

        <div className="form-grid">
          <label>
            Name
            <input value={def.name} onChange={(e) => change({ name: e.target.value })} required maxLength={200} data-testid="evaluator-name" aria-invalid={!!fieldErrors.name?.length} />
            {errorOf("name")}
          </label>
          {!metric ? (
            <label>
              Type
              <select value={def.type} onChange={(e) => changeType(e.target.value as MetricType)} data-testid="evaluator-type">
                {metricTypes.map((t) => <option key={t.type} value={t.type}>{t.label}</option>)}
              </select>
            </label>
          ) : null}
          <label>
            Return type
            <select value={def.return_type} onChange={(e) => change({ return_type: e.target.value as ReturnType })} data-testid="evaluator-return-type">
              {returnTypes.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
            {errorOf("return_type")}
          </label>
          {(isRating || def.type === "COMPOSITE") && (
            <label>
              Scale (1 to N, optional)
              <input type="number" min={1} step={1} value={def.scale ?? ""} onChange={(e) => change({ scale: numberOrUndefined(e.target.value) ?? null })} placeholder="none" />
              {errorOf("scale")}
            </label>
          )}
        </div>
        <label>
          Description
          <input value={def.description} onChange={(e) => change({ description: e.target.value })} placeholder="What this evaluator measures" maxLength={10000} />
        </label>

        {def.type === "LLM" && (
          <div className="form-grid">
            <label>
              Model provider
              <input list="judge-providers" value={def.model_provider ?? ""} onChange={(e) => change({ model_provider: e.target.value })} placeholder="openai" data-testid="judge-provider" />
              <datalist id="judge-providers">{providers.map((p) => <option key={p} value={p} />)}</datalist>
              {errorOf("model_provider")}
            </label>
            <label>
              Model
              <input value={def.model_name ?? ""} onChange={(e) => change({ model_name: e.target.value })} placeholder="gpt-4o-mini" data-testid="judge-model" />
              {errorOf("model_name")}
            </label>
            <p className="muted small" style={{ gridColumn: "span 2", margin: 0 }}>
              The judge is called through the LLM proxy with the workspace&apos;s provider key (Settings → Provider keys), at temperature 0, and asked for a JSON answer: a score of the return type and an explanation.
            </p>
          </div>
        )}

        {def.type === "COMPOSITE" ? (
          <CompositeFields def={def} others={others.filter((m) => m.id !== metric?.id)} change={change} errorOf={errorOf} />
        ) : (
          <div className="stack" ref={editorBox}>
            <div className="row" style={{ justifyContent: "space-between" }}>
              <strong>{criteriaLabel[def.type]}</strong>
              <span className="muted small">
                {def.type === "PYTHON" && <>The function named like the evaluator (else the last one defined) gets the event: <code>inputs</code>, <code>outputs</code>, <code>feedback</code>, <code>metadata</code>, <code>config</code>, <code>metrics</code>, <code>ground_truth</code>.</>}
                {def.type === "LLM" && <>Markdown. <code>{"{{inputs.question}}"}</code>, <code>{"{{outputs.content}}"}</code>, <code>{"{{feedback.ground_truth}}"}</code> or any dotted path of the event are filled in.</>}
                {def.type === "HUMAN" && <>Shown to the people who score events in annotation queues.</>}
              </span>
            </div>
            <div className={codeError ? "has-error-box" : ""}>
              <CodeEditor
                value={def.criteria}
                onChange={changeCode}
                language={def.type === "PYTHON" ? "python" : "markdown"}
                errorLine={codeError?.line ?? null}
                label={criteriaLabel[def.type]}
                height={def.type === "PYTHON" ? "300px" : "240px"}
                testId="criteria-editor"
              />
            </div>
            {errorOf("criteria")}
            {codeError && (
              <div className="result-box failed" role="alert" data-testid="code-error">
                <div className="row">
                  <strong className="bad">{codeError.code === "compilation_error" ? "Syntax error" : codeError.code.replace(/_/g, " ")}</strong>
                  {codeError.line !== null && (
                    <button type="button" className="link" onClick={() => focusLine(editorBox.current, codeError.line!)} data-testid="code-error-line">
                      line {codeError.line}
                    </button>
                  )}
                  {codeError.from === "save" ? (
                    <>
                      <span className="muted small">Not saved: fix the code, then save again.</span>
                      <div style={{ flex: 1 }} />
                      <button type="button" className="link small" onClick={() => void save(false)}>Save anyway</button>
                    </>
                  ) : (
                    <span className="muted small">When run on the event tried below.</span>
                  )}
                </div>
                <pre className="mono">{codeError.message}</pre>
              </div>
            )}
          </div>
        )}

        <Threshold def={def} change={change} categoryText={categoryText} setCategoryText={setCategoryText} errorOf={errorOf} />

        <details className="section">
          <summary>Online evaluation: which production events it scores</summary>
          <div className="stack">
            <div className="row">
              <label style={{ flexDirection: "row", alignItems: "center", color: "var(--text)" }}>
                <input type="checkbox" checked={def.enabled_in_prod} onChange={(e) => change({ enabled_in_prod: e.target.checked })} /> Score new events as they arrive
              </label>
              <label style={{ flexDirection: "row", alignItems: "center" }}>
                Sample
                <input type="number" min={0} max={100} step="any" value={def.sampling_percentage} onChange={(e) => change({ sampling_percentage: Number(e.target.value) })} style={{ width: 80 }} aria-label="Sampling percentage" />
                % of them
              </label>
              <label style={{ flexDirection: "row", alignItems: "center", color: "var(--text)" }}>
                <input type="checkbox" checked={def.needs_ground_truth} onChange={(e) => change({ needs_ground_truth: e.target.checked })} /> Needs ground truth
              </label>
            </div>
            {errorOf("sampling_percentage")}
            <span className="muted small">Only events matching every filter are scored (none: every event).</span>
            <FilterBuilder filters={filters} onChange={(next) => change({ filters: { filterArray: next.map((f) => ({ ...f, value: f.value ?? null })) } })} />
            {errorOf("filters")}
          </div>
        </details>

      </form>
      <TryMetric definition={forSave(def)} onFailure={(failure) => failure && failure.line !== null && def.type === "PYTHON" && setCodeError({ ...failure, from: "try" })} />
      {metric && <Versions metric={metric} />}
    </div>
  );
}

function Threshold({
  def, change, categoryText, setCategoryText, errorOf,
}: {
  def: MetricDefinition;
  change: (patch: Partial<MetricDefinition>) => void;
  categoryText: string;
  setCategoryText: (text: string) => void;
  errorOf: (field: string) => ReactNode;
}) {
  const threshold = def.threshold ?? {};
  if (def.return_type === "string") return null;
  return (
    <fieldset className="card stack" style={{ margin: 0 }}>
      <legend className="muted small">Passing</legend>
      {def.return_type === "float" && (
        <div className="row">
          <label>
            Passes at least
            <input type="number" step="any" value={threshold.min ?? ""} onChange={(e) => change({ threshold: { ...threshold, min: numberOrUndefined(e.target.value) } })} placeholder="no minimum" aria-label="Threshold minimum" />
          </label>
          <label>
            and at most
            <input type="number" step="any" value={threshold.max ?? ""} onChange={(e) => change({ threshold: { ...threshold, max: numberOrUndefined(e.target.value) } })} placeholder="no maximum" aria-label="Threshold maximum" />
          </label>
        </div>
      )}
      {def.return_type === "boolean" && (
        <label style={{ maxWidth: 260 }}>
          Passes when the value is
          <select
            value={threshold.pass_when === undefined ? "" : String(threshold.pass_when)}
            onChange={(e) => change({ threshold: { ...threshold, pass_when: e.target.value === "" ? undefined : e.target.value === "true" } })}
          >
            <option value="">no verdict</option>
            <option value="true">true</option>
            <option value="false">false</option>
          </select>
        </label>
      )}
      {def.return_type === "categorical" && (
        <div className="row" style={{ alignItems: "flex-start" }}>
          <label style={{ minWidth: 260 }}>
            Categories, one a line (<code>name</code> or <code>name: score</code>)
            <textarea
              rows={4}
              value={categoryText}
              onChange={(e) => {
                setCategoryText(e.target.value);
                change({ categories: parseCategories(e.target.value) });
              }}
              placeholder={"good: 1\nbad: 0"}
            />
            {errorOf("categories")}
          </label>
          <div className="stack">
            <span className="muted small">Passing categories</span>
            {(def.categories ?? []).map((c) => (
              <label key={c.category} style={{ flexDirection: "row", alignItems: "center", color: "var(--text)" }}>
                <input
                  type="checkbox"
                  checked={threshold.passing_categories?.includes(c.category) ?? false}
                  onChange={(e) => {
                    const current = threshold.passing_categories ?? [];
                    change({ threshold: { ...threshold, passing_categories: e.target.checked ? [...current, c.category] : current.filter((x) => x !== c.category) } });
                  }}
                />
                {c.category}
              </label>
            ))}
          </div>
        </div>
      )}
      {errorOf("threshold")}
    </fieldset>
  );
}

function CompositeFields({
  def, others, change, errorOf,
}: {
  def: MetricDefinition;
  others: Metric[];
  change: (patch: Partial<MetricDefinition>) => void;
  errorOf: (field: string) => ReactNode;
}) {
  const children = def.child_metrics ?? [];
  const setChild = (i: number, patch: Partial<(typeof children)[number]>) =>
    change({ child_metrics: children.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  return (
    <fieldset className="card stack" style={{ margin: 0 }}>
      <legend className="muted small">Combines</legend>
      <label style={{ maxWidth: 260 }}>
        Aggregate
        <select value={compositeAggregates.includes(def.criteria) ? def.criteria : "weighted_average"} onChange={(e) => change({ criteria: e.target.value })}>
          {compositeAggregates.map((a) => <option key={a} value={a}>{a.replace(/_/g, " ")}</option>)}
        </select>
      </label>
      {children.map((child, i) => (
        <div className="row" key={i}>
          <select aria-label={`Child ${i + 1}`} value={child.name} onChange={(e) => setChild(i, { name: e.target.value, id: others.find((m) => m.name === e.target.value)?.id })}>
            <option value="">Choose an evaluator…</option>
            {others.map((m) => <option key={m.id} value={m.name}>{m.name} ({typeLabel(m.type)})</option>)}
          </select>
          <label style={{ flexDirection: "row", alignItems: "center" }}>
            weight
            <input type="number" step="any" value={child.weight} onChange={(e) => setChild(i, { weight: Number(e.target.value) })} style={{ width: 80 }} />
          </label>
          <label style={{ flexDirection: "row", alignItems: "center" }}>
            scale
            <input type="number" min={1} step={1} value={child.scale ?? ""} onChange={(e) => setChild(i, { scale: numberOrUndefined(e.target.value) ?? null })} style={{ width: 70 }} placeholder="—" />
          </label>
          <button type="button" className="link" onClick={() => change({ child_metrics: children.filter((_, j) => j !== i) })} aria-label={`Remove child ${i + 1}`}>Remove</button>
        </div>
      ))}
      <div>
        <button type="button" onClick={() => change({ child_metrics: [...children, { name: "", weight: 1 }] })} disabled={others.length === 0}>
          Add an evaluator
        </button>
        {others.length === 0 && <span className="muted small"> Create the evaluators to combine first.</span>}
      </div>
      {errorOf("child_metrics")}
    </fieldset>
  );
}

function Versions({ metric }: { metric: Metric }) {
  const client = useQueryClient();
  const versions = useQuery({ queryKey: ["metric-versions", metric.id], queryFn: ({ signal }) => listVersions(metric.id, signal) });
  const deploy = useMutation({
    mutationFn: (name: string) => deployVersion(metric.id, name),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["metric-versions", metric.id] });
      await client.invalidateQueries({ queryKey: ["metrics"] });
    },
  });
  const [open, setOpen] = useState<string | null>(null);
  const shown = useMemo(() => versions.data?.find((v) => v.name === open), [versions.data, open]);
  return (
    <details className="section" data-testid="versions">
      <summary>Versions{versions.data ? ` (${versions.data.length})` : ""}</summary>
      <div className="stack">
        {versions.isLoading && <Loading label="Loading versions…" />}
        {versions.error && <ErrorNotice error={versions.error} what="list the versions" />}
        {deploy.error && <ErrorNotice error={deploy.error} what="deploy the version" />}
        {versions.data && (
          <table>
            <thead><tr><th>Version</th><th>Saved</th><th>Message</th><th /></tr></thead>
            <tbody>
              {versions.data.map((v) => (
                <tr key={v.name}>
                  <td className="mono">{v.name} {v.deployed && <span className="badge status-completed">deployed</span>}</td>
                  <td>{formatTime(v.date)}</td>
                  <td>{v.message}</td>
                  <td className="row">
                    <button type="button" className="link" onClick={() => setOpen(open === v.name ? null : v.name)}>{open === v.name ? "Hide" : "View"}</button>
                    {!v.deployed && (
                      <button type="button" onClick={() => deploy.mutate(v.name)} disabled={deploy.isPending}>Deploy</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {shown && <JsonView value={shown.content} />}
        <span className="muted small">Deploying an older version makes it the one that runs; reload the editor to edit it.</span>
      </div>
    </details>
  );
}
