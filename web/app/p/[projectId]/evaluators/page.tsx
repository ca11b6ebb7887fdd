"use client";
// Evaluators: the project's metric definitions on the left, the selected one (or a new one) in the editor on the
// right. ?id= selects a stored evaluator, ?new=PYTHON|LLM|HUMAN|COMPOSITE starts a new one, so each is a link.
import { Suspense, use, useEffect, useMemo, useState } from "react";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { blankDefinition, definitionOf, listMetrics, metricTypes, typeLabel, type MetricType } from "@/lib/evaluators";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { EvaluatorEditor } from "@/components/EvaluatorEditor";

function Evaluators({ projectId }: { projectId: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const selectedId = params.get("id");
  const newType = params.get("new") as MetricType | null;
  const [dirty, setDirty] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [filter, setFilter] = useState("");

  const metrics = useQuery({ queryKey: ["metrics", projectId], queryFn: ({ signal }) => listMetrics(signal) });
  const selected = metrics.data?.find((m) => m.id === selectedId);

  // Leaving with unsaved edits asks first (closing the tab too).
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  function go(query: string) {
    if (dirty && !window.confirm("Discard the unsaved changes of this evaluator?")) return;
    setDirty(false);
    setNotice(null);
    router.push(query ? `${pathname}?${query}` : pathname);
  }

  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return (metrics.data ?? []).filter((m) => !needle || m.name.toLowerCase().includes(needle) || typeLabel(m.type).toLowerCase().includes(needle));
  }, [metrics.data, filter]);

  const newButtons = (
    <div className="row" role="group" aria-label="New evaluator">
      {metricTypes.map((t) => (
        <button key={t.type} type="button" onClick={() => go(`new=${t.type}`)} title={t.hint} data-testid={`new-${t.type.toLowerCase()}`}>
          + {t.label}
        </button>
      ))}
    </div>
  );

  const editing = newType && metricTypes.some((t) => t.type === newType) ? "new" : selectedId ? "stored" : null;

  return (
    <div className="stack" data-testid="evaluators-page">
      <div className="row">
        <h1 style={{ margin: 0 }}>Evaluators</h1>
        <div style={{ flex: 1 }} />
        {newButtons}
      </div>
      {notice && <div className="notice" role="status" data-testid="evaluator-notice">{notice}</div>}
      {metrics.isLoading && <Loading label="Loading evaluators…" />}
      {metrics.error && <ErrorNotice error={metrics.error} what="list the evaluators" />}

      {metrics.data && metrics.data.length === 0 && !editing && (
        <EmptyState title="No evaluators yet">
          <p>
            An evaluator scores events: a <strong>Python</strong> function, an <strong>LLM judge</strong> prompt, a <strong>human</strong> rating
            given in an annotation queue, or a <strong>composite</strong> of others. Experiments and online evaluation run them; their scores land in the events&apos; <code>metrics</code>.
          </p>
          <div className="row" style={{ justifyContent: "center" }}>{newButtons}</div>
          <p className="small">Or create one with the API: <code>POST /v1/metrics</code> with <code>{`{"name", "type", "criteria"}`}</code>.</p>
        </EmptyState>
      )}

      {metrics.data && (metrics.data.length > 0 || editing) && (
        <div className="split">
          <nav className="stack" aria-label="Evaluators">
            <input aria-label="Filter evaluators" placeholder="Filter by name or type" value={filter} onChange={(e) => setFilter(e.target.value)} />
            <div className="list-pane" data-testid="evaluator-list">
              {shown.map((m) => (
                <Link
                  key={m.id}
                  href={`${pathname}?id=${m.id}`}
                  className={m.id === selectedId ? "active" : ""}
                  aria-current={m.id === selectedId ? "page" : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    go(`id=${m.id}`);
                  }}
                  data-testid="evaluator-item"
                >
                  <div className="row" style={{ justifyContent: "space-between", flexWrap: "nowrap" }}>
                    <strong style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>{m.name}</strong>
                    <span className={`badge ${m.type.toLowerCase()}`}>{typeLabel(m.type)}</span>
                  </div>
                  <div className="muted small">
                    {m.return_type}{m.scale ? ` 1–${m.scale}` : ""}{m.enabled_in_prod ? " · online" : ""}{m.description ? ` · ${m.description}` : ""}
                  </div>
                </Link>
              ))}
              {shown.length === 0 && <div className="muted small" style={{ padding: 10 }}>{metrics.data.length ? "No evaluator matches." : "None yet."}</div>}
            </div>
          </nav>
          <div>
            {editing === "new" && (
              <EvaluatorEditor
                key={`new-${newType}`}
                initial={blankDefinition(newType!)}
                others={metrics.data}
                onDirty={setDirty}
                onSaved={(id) => {
                  setDirty(false);
                  setNotice("Evaluator created.");
                  router.replace(`${pathname}?id=${id}`);
                }}
                onDeleted={() => go("")}
              />
            )}
            {editing === "stored" && selected && (
              <EvaluatorEditor
                key={`${selected.id}/${selected.updated_at ?? ""}`}
                metric={selected}
                initial={definitionOf(selected)}
                others={metrics.data}
                onDirty={setDirty}
                onSaved={() => setNotice(`Saved “${selected.name}”: a new version, deployed.`)}
                onDeleted={() => {
                  setNotice("Evaluator deleted.");
                  router.replace(pathname);
                }}
              />
            )}
            {editing === "stored" && !selected && (
              <ErrorNotice error={new Error(`No evaluator ${selectedId} in this project: it may have been deleted.`)} />
            )}
            {!editing && (
              <div className="empty">
                <h2>Pick an evaluator</h2>
                <p>Choose one on the left to edit it and try it on an event, or create a new one.</p>
              </div>
            )}
          </div>
        </div>
      )}
    </div>
  );
}

export default function Page({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  return (
    <Suspense fallback={<Loading />}>
      <Evaluators projectId={projectId} />
    </Suspense>
  );
}
