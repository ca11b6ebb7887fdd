"use client";
// One experiment run: each metric's aggregate (with the function the user picks), how many datapoints passed and
// failed, and the per-datapoint table (its input and output, every metric value, pass or fail); a row opens the
// datapoint's trace. A run still in progress refreshes on its own.
import { Suspense, use, useMemo, useState } from "react";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import {
  aggregateFunctions, getRun, listRuns, metricKey, runLabel, runSessions, runSummary, textPreview,
  type DatapointResult, type MetricDetail, type Run,
} from "@/lib/experiments";
import { formatNumber, formatTime } from "@/lib/format";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { VirtualTable, type Column } from "@/components/VirtualTable";
import { JsonView } from "@/components/JsonView";
import { CopyButton } from "@/components/CopyButton";
import { MetricNumber, PassFail, RunStatus } from "@/components/RunBits";

type Row = DatapointResult & { key: string; input: string; output: string; values: Map<string, { value: number; passed?: boolean }[]> };
type Show = "all" | "passed" | "failed";

function RunPage({ projectId, runId }: { projectId: string; runId: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const aggregate = params.get("agg") ?? "average";
  const [show, setShow] = useState<Show>("all");
  const [text, setText] = useState("");

  const run = useQuery({
    queryKey: ["run", projectId, runId],
    queryFn: ({ signal }) => getRun(runId, signal),
    refetchInterval: (q) => (q.state.data && ["pending", "running"].includes(q.state.data.status) ? 5_000 : false),
  });
  const live = run.data ? ["pending", "running"].includes(run.data.status) : false;
  const summary = useQuery({
    queryKey: ["run-summary", projectId, runId, aggregate],
    queryFn: ({ signal }) => runSummary(runId, aggregate, signal),
    enabled: run.isSuccess,
    placeholderData: keepPreviousData,
    refetchInterval: live ? 5_000 : false,
  });
  const sessions = useQuery({
    queryKey: ["run-sessions", projectId, runId],
    queryFn: ({ signal }) => runSessions(runId, signal),
    enabled: run.isSuccess,
    refetchInterval: live ? 10_000 : false,
  });
  const others = useQuery({
    queryKey: ["runs", projectId, "compare-candidates"],
    queryFn: ({ signal }) => listRuns({ page: 1, limit: 100, sort_by: "created_at", sort_order: "desc" }, signal),
    enabled: run.isSuccess,
    staleTime: 30_000,
  });

  const details = summary.data?.metrics.details ?? [];
  // A metric column per metric name; the event it scored joins the header only when one name scored several kinds.
  const metricColumns = useMemo(() => {
    const names = new Map<string, number>();
    for (const d of details) names.set(d.metric_name, (names.get(d.metric_name) ?? 0) + 1);
    return details.map((d) => ({ key: metricKey(d), label: names.get(d.metric_name)! > 1 ? `${d.metric_name} (${d.event_name})` : d.metric_name }));
  }, [details]);

  const rows: Row[] = useMemo(() => {
    return (summary.data?.datapoints ?? []).map((d) => {
      const values = new Map<string, { value: number; passed?: boolean }[]>();
      for (const m of d.metrics) {
        const key = metricKey(m);
        values.set(key, [...(values.get(key) ?? []), { value: m.value, passed: m.passed }]);
      }
      const session = sessions.data?.get(d.session_id);
      return { ...d, key: `${d.datapoint_id ?? ""}/${d.session_id}`, values, input: textPreview(session?.inputs), output: textPreview(session?.outputs) };
    });
  }, [summary.data, sessions.data]);

  const visible = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return rows.filter((r) =>
      (show === "all" || (show === "passed") === r.passed) &&
      (!needle || [r.datapoint_id, r.session_id, r.input, r.output].some((v) => v?.toLowerCase().includes(needle))));
  }, [rows, show, text]);

  function setAggregate(value: string) {
    const next = new URLSearchParams(params.toString());
    if (value === "average") next.delete("agg");
    else next.set("agg", value);
    router.replace(next.toString() ? `${pathname}?${next}` : pathname);
  }

  if (run.isLoading) return <Loading label="Loading the run…" />;
  if (run.error) {
    return (
      <div className="stack">
        <Link href={`/p/${projectId}/experiments`}>← Experiments</Link>
        <ErrorNotice error={run.error} what="open this run" />
      </div>
    );
  }
  const r = run.data!;
  const passed = summary.data?.passed.length ?? 0;
  const failed = summary.data?.failed.length ?? 0;
  const total = passed + failed;

  const columns: Column<Row>[] = [
    { id: "result", header: "Result", width: "80px", cell: (row) => <PassFail passed={row.passed} /> },
    { id: "datapoint", header: "Datapoint", width: "minmax(120px, 1fr)", cell: (row) => <span className="mono small" title={row.datapoint_id}>{row.datapoint_id ?? "—"}</span> },
    { id: "input", header: "Input", width: "minmax(160px, 2fr)", cell: (row) => <span title={row.input}>{row.input || <span className="muted">—</span>}</span> },
    { id: "output", header: "Output", width: "minmax(160px, 2fr)", cell: (row) => <span title={row.output}>{row.output || <span className="muted">—</span>}</span> },
    ...metricColumns.map((m): Column<Row> => ({
      id: `m:${m.key}`,
      header: m.label,
      width: "minmax(90px, 1fr)",
      cell: (row) => {
        const values = row.values.get(m.key);
        if (!values?.length) return <span className="muted">—</span>;
        return (
          <span data-testid="metric-cell" data-metric={m.label}>
            {values.map((v, i) => (
              <span key={i} className={`mono ${v.passed === true ? "good" : v.passed === false ? "bad" : ""}`}>
                {i > 0 ? ", " : ""}{formatNumber(v.value, 3)}
              </span>
            ))}
          </span>
        );
      },
    })),
    {
      id: "trace",
      header: "Trace",
      width: "90px",
      cell: (row) => <Link href={`/p/${projectId}/sessions/${encodeURIComponent(row.session_id)}`} onClick={(e) => e.stopPropagation()}>Open →</Link>,
    },
  ];

  const candidates = (others.data?.evaluations ?? []).filter((o) => o.id !== r.id);

  return (
    <div className="stack" data-testid="run-page">
      <div className="row small"><Link href={`/p/${projectId}/experiments`}>← Experiments</Link></div>
      <div className="row">
        <h1 style={{ margin: 0 }} data-testid="run-title">{runLabel(r)}</h1>
        <RunStatus status={r.status} />
        {live && <span className="muted small" aria-live="polite">updating every few seconds…</span>}
        <div style={{ flex: 1 }} />
        <label className="row" style={{ flexDirection: "row", alignItems: "center" }}>
          <span>Aggregate</span>
          <select aria-label="Aggregate function" value={aggregate} onChange={(e) => setAggregate(e.target.value)}>
            {aggregateFunctions.map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </label>
        <select
          aria-label="Compare with another run"
          data-testid="compare-with"
          value=""
          onChange={(e) => e.target.value && router.push(`/p/${projectId}/experiments/compare?a=${encodeURIComponent(r.id)}&b=${encodeURIComponent(e.target.value)}`)}
          disabled={candidates.length === 0}
          style={{ maxWidth: 280 }}
        >
          <option value="">{candidates.length ? "Compare with…" : "No other run to compare"}</option>
          {candidates.map((o) => <option key={o.id} value={o.id}>{runLabel(o)} · {formatTime(o.created_at)}</option>)}
        </select>
      </div>
      <RunFacts run={r} />

      {summary.error && <ErrorNotice error={summary.error} what="read this run's results" />}
      {summary.isLoading && <Loading label="Computing the run's results…" />}

      {summary.data && (
        <>
          <div className="row stat-row" data-testid="run-stats">
            <Stat label="Datapoints" value={String(total)} />
            <Stat label="Passed" value={String(passed)} tone="good" testId="passed-count" />
            <Stat label="Failed" value={String(failed)} tone={failed ? "bad" : undefined} testId="failed-count" />
            <Stat label="Pass rate" value={total ? `${formatNumber((passed / total) * 100, 1)}%` : "—"} />
          </div>

          <h2>Metrics <span className="muted small">({aggregate} over each metric&apos;s values)</span></h2>
          {details.length === 0 ? (
            <EmptyState title="No metric values yet">
              <p>
                None of this run&apos;s events carries a numeric or boolean metric. Evaluators write theirs into the events&apos; <code>metrics</code>;
                score this run with <code>POST /v1/runs/{r.id}/evaluate</code> and a list of <Link href={`/p/${projectId}/evaluators`}>evaluators</Link>, or send
                events with <code>metrics</code> from your harness.
              </p>
            </EmptyState>
          ) : (
            <div className="metric-cards">
              {details.map((d) => <MetricCard key={metricKey(d)} detail={d} aggregate={aggregate} />)}
            </div>
          )}

          <h2>Datapoints</h2>
          {rows.length === 0 ? (
            <EmptyState title="No sessions in this run yet">
              <p>A session belongs to the run when one of its events has <code>metadata.run_id</code> = <code>{r.id}</code>, or when the run lists it in <code>event_ids</code>. Sessions arrive a second or two after they are sent.</p>
            </EmptyState>
          ) : (
            <>
              <div className="row">
                <div className="segmented" role="group" aria-label="Show datapoints">
                  {(["all", "passed", "failed"] as Show[]).map((s) => (
                    <button key={s} type="button" className={show === s ? "active" : ""} aria-pressed={show === s} onClick={() => setShow(s)}>
                      {s === "all" ? `All (${rows.length})` : s === "passed" ? `Passed (${rows.filter((x) => x.passed).length})` : `Failed (${rows.filter((x) => !x.passed).length})`}
                    </button>
                  ))}
                </div>
                <input aria-label="Search datapoints" placeholder="Search input, output or id" value={text} onChange={(e) => setText(e.target.value)} style={{ minWidth: 240 }} />
                {sessions.error && <span className="warn small">Inputs and outputs could not be read: {String((sessions.error as Error).message)}</span>}
                <span className="muted small">A row opens its trace (Enter or click).</span>
              </div>
              <VirtualTable
                label="Datapoint results"
                rows={visible}
                columns={columns}
                rowKey={(row) => row.key}
                onOpen={(row) => router.push(`/p/${projectId}/sessions/${encodeURIComponent(row.session_id)}`)}
                height={`min(70vh, ${(visible.length + 1) * 34 + 4}px)`}
              />
              {visible.length === 0 && <p className="muted">No datapoint matches.</p>}
            </>
          )}
        </>
      )}

      <details className="section">
        <summary>Configuration, metadata and passing ranges</summary>
        <div className="stack">
          <h3>Configuration</h3>
          <JsonView value={r.configuration} />
          <h3>Metadata</h3>
          <JsonView value={r.metadata} />
          <h3>Passing ranges</h3>
          <JsonView value={r.passing_ranges} />
        </div>
      </details>
    </div>
  );
}

function RunFacts({ run }: { run: Run }) {
  return (
    <dl className="kv small" data-testid="run-facts">
      <dt>Run id</dt>
      <dd><span className="mono">{run.id}</span> <CopyButton value={run.id} /></dd>
      {run.description && (<><dt>Description</dt><dd>{run.description}</dd></>)}
      <dt>Dataset</dt>
      <dd className="mono">{run.dataset_id ?? "—"}</dd>
      <dt>Evaluators</dt>
      <dd>{run.evaluators.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join(", ") || "—"}</dd>
      <dt>Created</dt>
      <dd>{formatTime(run.created_at)} · updated {formatTime(run.updated_at)}</dd>
    </dl>
  );
}

function Stat({ label, value, tone, testId }: { label: string; value: string; tone?: "good" | "bad"; testId?: string }) {
  return (
    <div className="card stat">
      <div className="muted small">{label}</div>
      <div className={`stat-value ${tone ?? ""}`} data-testid={testId}>{value}</div>
    </div>
  );
}

function MetricCard({ detail, aggregate }: { detail: MetricDetail; aggregate: string }) {
  const values = detail.values;
  const min = values.length ? Math.min(...values) : undefined;
  const max = values.length ? Math.max(...values) : undefined;
  const passed = detail.datapoints.passed.length;
  const failed = detail.datapoints.failed.length;
  const range = detail.passing_range;
  return (
    <section className="card metric-card" data-testid="metric-card" data-metric={detail.metric_name} aria-label={`Metric ${detail.metric_name}`}>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <strong>{detail.metric_name}</strong>
        <span className={`badge ${detail.event_type}`}>{detail.event_type} · {detail.event_name}</span>
      </div>
      <div className="stat-value" data-testid="metric-aggregate">{formatNumber(detail.aggregate, 3)}</div>
      <div className="muted small">{aggregate} of {values.length} value{values.length === 1 ? "" : "s"} · min <MetricNumber value={min} /> · max <MetricNumber value={max} /></div>
      <Histogram values={values} />
      <div className="row small">
        {passed + failed > 0 ? (
          <>
            <span className="good" data-testid="metric-passed">{passed} passed</span>
            <span className="bad" data-testid="metric-failed">{failed} failed</span>
          </>
        ) : (
          <span className="muted">no pass/fail: no passing range, not boolean</span>
        )}
        {range && <span className="muted">passing range {range.min ?? "−∞"} … {range.max ?? "∞"}</span>}
      </div>
    </section>
  );
}

/** The values' distribution in up to 10 bins: enough to see a bimodal or skewed metric at a glance. */
function Histogram({ values }: { values: number[] }) {
  if (values.length < 2) return null;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const distinct = new Set(values).size;
  const bins = Math.min(10, distinct);
  const counts = new Array(bins).fill(0) as number[];
  for (const v of values) {
    const i = max === min ? 0 : Math.min(bins - 1, Math.floor(((v - min) / (max - min)) * bins));
    counts[i]++;
  }
  const top = Math.max(...counts);
  return (
    <div className="histogram" aria-label={`Distribution of ${values.length} values from ${formatNumber(min, 3)} to ${formatNumber(max, 3)}`} role="img">
      {counts.map((c, i) => <div key={i} style={{ height: `${Math.max(4, (c / top) * 100)}%` }} title={`${c}`} />)}
    </div>
  );
}

export default function Page({ params }: { params: Promise<{ projectId: string; runId: string }> }) {
  const { projectId, runId } = use(params);
  return (
    <Suspense fallback={<Loading />}>
      <RunPage projectId={projectId} runId={runId} />
    </Suspense>
  );
}
