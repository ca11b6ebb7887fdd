"use client";
// Two runs side by side: ?a= is the new run, ?b= the baseline. Per metric both aggregates and whether it improved
// (green), regressed (red) or stayed the same, with how many shared datapoints moved each way; then every datapoint
// both runs ran, event by event, with each metric's old → new value and the two outputs. Higher is better, as the
// API counts it.
import { Suspense, use, useMemo, useState } from "react";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import {
  aggregateFunctions, compareEvents, compareRuns, listRuns, numericMetrics, runLabel, textPreview, verdict,
  type EventPair, type MetricComparison, type Verdict,
} from "@/lib/experiments";
import { formatTime } from "@/lib/format";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { VirtualTable, type Column } from "@/components/VirtualTable";
import { Change, MetricNumber, RunStatus } from "@/components/RunBits";

const pairsPerPage = 1000;
type RowVerdict = "improved" | "regressed" | "mixed" | "unchanged";
type PairRow = EventPair & {
  key: string;
  old: Record<string, number>;
  new: Record<string, number>;
  verdict: RowVerdict;
};
type Show = "all" | "changed" | "improved" | "regressed";

function rowVerdict(oldValues: Record<string, number>, newValues: Record<string, number>): RowVerdict {
  let up = false;
  let down = false;
  for (const name of Object.keys(newValues)) {
    const v = verdict(oldValues[name], newValues[name]);
    if (v === "improved") up = true;
    if (v === "regressed") down = true;
  }
  return up && down ? "mixed" : up ? "improved" : down ? "regressed" : "unchanged";
}

function Compare({ projectId }: { projectId: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const a = params.get("a") ?? "";
  const b = params.get("b") ?? "";
  const aggregate = params.get("agg") ?? "average";
  // The page of event pairs belongs to one pair of runs: picking other runs starts again at the first.
  const [paging, setPaging] = useState({ runs: "", page: 1 });
  const page = paging.runs === `${a}/${b}` ? paging.page : 1;
  const setPage = (next: number) => setPaging({ runs: `${a}/${b}`, page: next });
  const [show, setShow] = useState<Show>("all");

  function navigate(changes: Record<string, string | null>) {
    const next = new URLSearchParams(params.toString());
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(key);
      else next.set(key, value);
    }
    router.replace(`${pathname}?${next}`);
  }

  const ready = a !== "" && b !== "" && a !== b;
  const comparison = useQuery({
    queryKey: ["run-compare", projectId, a, b, aggregate],
    queryFn: ({ signal }) => compareRuns(a, b, aggregate, signal),
    enabled: ready,
    placeholderData: keepPreviousData,
  });
  const pairs = useQuery({
    queryKey: ["run-compare-events", projectId, a, b, page],
    queryFn: ({ signal }) => compareEvents(a, b, page, pairsPerPage, signal),
    enabled: ready,
    placeholderData: keepPreviousData,
  });
  const runs = useQuery({
    queryKey: ["runs", projectId, "compare-candidates"],
    queryFn: ({ signal }) => listRuns({ page: 1, limit: 100, sort_by: "created_at", sort_order: "desc" }, signal),
    staleTime: 30_000,
  });

  const metricNames = useMemo(() => [...new Set((comparison.data?.metrics ?? []).map((m) => m.metric_name))], [comparison.data]);
  const rows: PairRow[] = useMemo(() => {
    return (pairs.data?.events ?? [])
      .map((pair, i) => {
        const oldValues = numericMetrics(pair.event_2);
        const newValues = numericMetrics(pair.event_1);
        return { ...pair, key: `${pair.datapoint_id}/${pair.event_1.event_id}/${i}`, old: oldValues, new: newValues, verdict: rowVerdict(oldValues, newValues) };
      })
      // Events neither run scored say nothing about the change; they stay in the traces.
      .filter((row) => Object.keys(row.old).length > 0 || Object.keys(row.new).length > 0);
  }, [pairs.data]);
  const counts = useMemo(() => {
    const c: Record<RowVerdict, number> = { improved: 0, regressed: 0, mixed: 0, unchanged: 0 };
    for (const row of rows) c[row.verdict]++;
    return c;
  }, [rows]);
  const visible = rows.filter((row) =>
    show === "all" ? true
    : show === "changed" ? row.verdict !== "unchanged"
    : show === "improved" ? row.verdict === "improved" || row.verdict === "mixed"
    : row.verdict === "regressed" || row.verdict === "mixed");

  const picker = (
    <div className="row">
      <RunPicker label="New run (A)" value={a} onChange={(v) => navigate({ a: v })} runs={runs.data?.evaluations} testId="pick-a" />
      <button type="button" onClick={() => navigate({ a: b, b: a })} disabled={!a || !b} title="Swap the new run and the baseline" data-testid="swap-runs">⇄ Swap</button>
      <RunPicker label="Baseline (B)" value={b} onChange={(v) => navigate({ b: v })} runs={runs.data?.evaluations} testId="pick-b" />
      <label className="row" style={{ flexDirection: "row", alignItems: "center" }}>
        <span>Aggregate</span>
        <select aria-label="Aggregate function" value={aggregate} onChange={(e) => navigate({ agg: e.target.value === "average" ? null : e.target.value })}>
          {aggregateFunctions.map((f) => <option key={f} value={f}>{f}</option>)}
        </select>
      </label>
    </div>
  );

  const header = (
    <>
      <div className="row small"><Link href={`/p/${projectId}/experiments`}>← Experiments</Link></div>
      <h1>Compare runs</h1>
      {picker}
    </>
  );

  if (!ready) {
    return (
      <div className="stack" data-testid="compare-page">
        {header}
        {runs.error && <ErrorNotice error={runs.error} what="list the runs" />}
        <EmptyState title={a && a === b ? "Pick two different runs" : "Pick two runs to compare"}>
          <p>Choose the new run (A) and the baseline (B) above, or tick two runs in the <Link href={`/p/${projectId}/experiments`}>experiments list</Link> and press Compare.</p>
        </EmptyState>
      </div>
    );
  }

  const data = comparison.data;
  const metricCounts = { improved: 0, regressed: 0, unchanged: 0 };
  for (const m of data?.metrics ?? []) {
    const v = verdict(m.old_aggregate, m.new_aggregate);
    if (v === "improved") metricCounts.improved++;
    else if (v === "regressed") metricCounts.regressed++;
    else metricCounts.unchanged++;
  }

  const columns: Column<PairRow>[] = [
    {
      id: "verdict",
      header: "Change",
      width: "110px",
      cell: (row) => <span className={`change ${row.verdict === "mixed" ? "mixed" : row.verdict}`} data-testid="row-verdict">{row.verdict}</span>,
    },
    { id: "datapoint", header: "Datapoint", width: "minmax(110px, 1fr)", cell: (row) => <span className="mono small" title={row.datapoint_id}>{row.datapoint_id}</span> },
    { id: "event", header: "Event", width: "minmax(140px, 1fr)", cell: (row) => <span><span className={`badge ${row.event_1.event_type}`}>{row.event_1.event_type}</span> {row.event_1.event_name}</span> },
    { id: "input", header: "Input", width: "minmax(140px, 1.5fr)", cell: (row) => <span title={textPreview(row.event_1.inputs, 400)}>{textPreview(row.event_1.inputs, 160)}</span> },
    { id: "old-out", header: "Output B (baseline)", width: "minmax(140px, 1.5fr)", cell: (row) => <span title={textPreview(row.event_2.outputs, 400)}>{textPreview(row.event_2.outputs, 160)}</span> },
    { id: "new-out", header: "Output A (new)", width: "minmax(140px, 1.5fr)", cell: (row) => <span title={textPreview(row.event_1.outputs, 400)}>{textPreview(row.event_1.outputs, 160)}</span> },
    ...metricNames.map((name): Column<PairRow> => ({
      id: `m:${name}`,
      header: name,
      width: "minmax(120px, 1fr)",
      cell: (row) => {
        const before = row.old[name];
        const after = row.new[name];
        if (before === undefined && after === undefined) return <span className="muted">—</span>;
        const v = verdict(before, after);
        return (
          <span className={`change ${v}`} data-testid="delta-cell" data-metric={name} data-verdict={v} title={`${name}: ${before ?? "—"} → ${after ?? "—"}`}>
            <MetricNumber value={before} /> → <MetricNumber value={after} />
          </span>
        );
      },
    })),
    {
      id: "traces",
      header: "Traces",
      width: "120px",
      cell: (row) => (
        <span className="row" style={{ gap: 6 }}>
          <Link href={`/p/${projectId}/sessions/${encodeURIComponent(row.event_2.session_id)}`} onClick={(e) => e.stopPropagation()} title="The baseline's trace">B</Link>
          <Link href={`/p/${projectId}/sessions/${encodeURIComponent(row.event_1.session_id)}`} onClick={(e) => e.stopPropagation()} title="The new run's trace">A</Link>
        </span>
      ),
    },
  ];

  return (
    <div className="stack" data-testid="compare-page">
      {header}
      {comparison.isLoading && <Loading label="Comparing the runs…" />}
      {comparison.error && <ErrorNotice error={comparison.error} what="compare these runs" />}

      {data && (
        <>
          <div className="grid-cards compare-heads">
            <RunHead tag="A · new" run={data.new_run} projectId={projectId} />
            <RunHead tag="B · baseline" run={data.old_run} projectId={projectId} />
          </div>
          <div className="row" data-testid="compare-summary">
            <span className="change improved">{metricCounts.improved} improved</span>
            <span className="change regressed">{metricCounts.regressed} regressed</span>
            <span className="change unchanged">{metricCounts.unchanged} unchanged</span>
            <span className="muted small">of {data.metrics.length} metric{data.metrics.length === 1 ? "" : "s"} · {data.commonDatapoints.length} datapoints in both runs · higher is better</span>
          </div>

          <h2>Metrics</h2>
          {data.metrics.length === 0 ? (
            <EmptyState title="Neither run has metric values">
              <p>Score the runs with evaluators (<code>POST /v1/runs/&#123;id&#125;/evaluate</code>) or send events with <code>metrics</code>, then compare again.</p>
            </EmptyState>
          ) : (
            <table data-testid="metric-compare">
              <thead>
                <tr>
                  <th>Metric</th><th>Event</th><th>B (baseline)</th><th>A (new)</th><th>Change</th><th>Datapoints ▲ / ▼ / =</th>
                </tr>
              </thead>
              <tbody>
                {data.metrics.map((m) => <MetricRow key={`${m.metric_name}/${m.event_type}/${m.event_name}`} metric={m} />)}
              </tbody>
            </table>
          )}
          {data.event_details.some((e) => e.presence !== "both") && (
            <p className="muted small">
              Only in one run:{" "}
              {data.event_details.filter((e) => e.presence !== "both").map((e) => `${e.event_type} ${e.event_name} (${e.presence === "new" ? "A" : "B"})`).join(", ")}
            </p>
          )}
        </>
      )}

      <h2>Datapoints</h2>
      {pairs.error && <ErrorNotice error={pairs.error} what="pair the runs' events" />}
      {pairs.isLoading && <Loading label="Pairing the runs' events…" />}
      {pairs.data && rows.length === 0 && (
        <EmptyState title="No scored datapoint in both runs">
          <p>Datapoints are matched by <code>metadata.datapoint_id</code>: run both on the same dataset to see per-datapoint changes.</p>
        </EmptyState>
      )}
      {rows.length > 0 && (
        <>
          <div className="row">
            <div className="segmented" role="group" aria-label="Show datapoints">
              {([
                ["all", `All (${rows.length})`],
                ["changed", `Changed (${rows.length - counts.unchanged})`],
                ["improved", `Improved (${counts.improved + counts.mixed})`],
                ["regressed", `Regressed (${counts.regressed + counts.mixed})`],
              ] as [Show, string][]).map(([key, label]) => (
                <button key={key} type="button" className={show === key ? "active" : ""} aria-pressed={show === key} onClick={() => setShow(key)} data-testid={`show-${key}`}>
                  {label}
                </button>
              ))}
            </div>
            <span className="muted small">Enter or a click opens the new run&apos;s trace.</span>
          </div>
          <VirtualTable
            label="Per-datapoint changes"
            rows={visible}
            columns={columns}
            rowKey={(row) => row.key}
            onOpen={(row) => router.push(`/p/${projectId}/sessions/${encodeURIComponent(row.event_1.session_id)}`)}
            height={`min(70vh, ${(visible.length + 1) * 34 + 4}px)`}
          />
        </>
      )}
      {pairs.data && pairs.data.totalEvents > pairsPerPage && (
        <div className="row">
          <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>← Previous</button>
          <span className="muted small">Event pairs {(page - 1) * pairsPerPage + 1}–{Math.min(page * pairsPerPage, pairs.data.totalEvents)} of {pairs.data.totalEvents}</span>
          <button type="button" disabled={page * pairsPerPage >= pairs.data.totalEvents} onClick={() => setPage(page + 1)}>Next →</button>
        </div>
      )}
    </div>
  );
}

function MetricRow({ metric: m }: { metric: MetricComparison }) {
  const v: Verdict = verdict(m.old_aggregate, m.new_aggregate);
  return (
    <tr data-testid="metric-compare-row" data-metric={m.metric_name} data-verdict={v}>
      <td><strong>{m.metric_name}</strong></td>
      <td><span className={`badge ${m.event_type}`}>{m.event_type}</span> {m.event_name}</td>
      <td><MetricNumber value={m.old_aggregate} /></td>
      <td><MetricNumber value={m.new_aggregate} /></td>
      <td><Change verdict={v} delta={m.difference} percent={m.percentage_change} /></td>
      <td className="small">
        <span className="good" title={m.improved.join(", ")}>{m.improved_count} ▲</span>{" / "}
        <span className="bad" title={m.degraded.join(", ")}>{m.degraded_count} ▼</span>{" / "}
        <span className="muted" title={m.same.join(", ")}>{m.same_count} =</span>
      </td>
    </tr>
  );
}

function RunHead({ tag, run, projectId }: { tag: string; run: { id: string; name?: string; status: string; created_at: string; dataset_id?: string }; projectId: string }) {
  return (
    <div className="card">
      <div className="muted small">{tag}</div>
      <div className="row">
        <Link href={`/p/${projectId}/experiments/${run.id}`}><strong>{runLabel(run)}</strong></Link>
        <RunStatus status={run.status} />
      </div>
      <div className="muted small">{formatTime(run.created_at)}{run.dataset_id ? ` · dataset ${run.dataset_id}` : ""}</div>
    </div>
  );
}

function RunPicker({ label, value, onChange, runs, testId }: { label: string; value: string; onChange: (id: string) => void; runs?: { id: string; name?: string; created_at: string }[]; testId: string }) {
  const known = runs?.some((r) => r.id === value);
  return (
    <label className="row" style={{ flexDirection: "row", alignItems: "center" }}>
      <span>{label}</span>
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} style={{ maxWidth: 320 }}>
        <option value="">Choose a run…</option>
        {value && !known && <option value={value}>{value}</option>}
        {runs?.map((r) => <option key={r.id} value={r.id}>{runLabel(r)} · {formatTime(r.created_at)}</option>)}
      </select>
    </label>
  );
}

export default function Page({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  return (
    <Suspense fallback={<Loading />}>
      <Compare projectId={projectId} />
    </Suspense>
  );
}
