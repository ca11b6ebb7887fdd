"use client";
// Requests, latency (p50/p95/p99), tokens, cost and error rate over time, from GET /v1/events/chart, optionally
// grouped by a field. The seven chart queries go out together (each its own query), so the page takes as long as
// its slowest chart rather than their sum. The time range picks the bucket: minutes for an hour, days for a month.
import { Suspense, use, useMemo, useState, type ReactNode } from "react";
import { useUrlState } from "@/lib/useUrlState";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import {
  Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis,
} from "recharts";
import { bucketFor, bucketStarts, errorRate, fetchChart, groupOrder, pivot, type Aggregation, type Bucket, type ChartAnswer, type Pivot } from "@/lib/charts";
import { decodeFilters, encodeFilters, resolveRange, useFilterFields, type Filter } from "@/lib/filters";
import { formatCost, formatDuration, formatNumber } from "@/lib/format";
import { TimeRangePicker } from "@/components/TimeRangePicker";
import { FilterBuilder } from "@/components/FilterBuilder";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { SendTracesHint } from "@/components/SendTracesHint";

const palette = ["#6ea8fe", "#4cc38a", "#e5b454", "#f0616d", "#b48cf2", "#4fc1c9", "#f08c5a", "#9fb84a"];

/** Which events the dashboard counts; session events carry their spans' roll-ups, so they are never mixed with spans. */
const scopes: Record<string, { label: string; filters: Filter[] }> = {
  model: { label: "Model calls", filters: [{ field: "event_type", operator: "is", value: "model", type: "string" }] },
  spans: { label: "All spans", filters: [{ field: "event_type", operator: "is not", value: "session", type: "string" }] },
  sessions: { label: "Sessions", filters: [{ field: "event_type", operator: "is", value: "session", type: "string" }] },
};

const baseGroups = ["config.model", "event_name", "event_type", "source"];
const errorFilter: Filter = { field: "error", operator: "exists", type: "string" };

function Dashboard({ projectId }: { projectId: string }) {
  const { params, set: update } = useUrlState();
  const rangeKey = params.get("range") ?? "24h";
  const custom = useMemo(
    () => ({ from: params.get("from") ? Number(params.get("from")) : null, to: params.get("to") ? Number(params.get("to")) : null }),
    [params],
  );
  const scope = scopes[params.get("scope") ?? ""] ? params.get("scope")! : "model";
  const groupBy = params.get("groupBy") ?? "";
  const userFilters = useMemo(() => decodeFilters(params.get("filters")), [params]);
  const [percentile, setPercentile] = useState<"p50" | "p95" | "p99">("p95");


  const [tick, setTick] = useState(0);
  const range = useMemo(() => resolveRange(rangeKey, custom), [rangeKey, custom, tick]); // eslint-disable-line react-hooks/exhaustive-deps
  const bucket = bucketFor(range);
  const starts = useMemo(() => bucketStarts(range, bucket), [range, bucket]);
  const filters = useMemo(() => [...scopes[scope].filters, ...userFilters], [scope, userFilters]);

  const chart = (name: string, metric: string, aggregation: Aggregation, extra: Filter[] = []) => ({
    queryKey: ["chart", projectId, name, metric, aggregation, bucket, groupBy, filters, extra, range],
    queryFn: ({ signal }: { signal: AbortSignal }) => fetchChart({ metric, aggregation, bucket, groupBy, filters: [...filters, ...extra], range }, signal),
    // A new range or grouping redraws over the old chart instead of blanking the page while it loads.
    placeholderData: keepPreviousData,
  });
  // Seven independent queries: react-query starts them all in the same render.
  const requests = useQuery(chart("requests", "duration", "count"));
  const errors = useQuery(chart("errors", "duration", "count", [errorFilter]));
  const p50 = useQuery(chart("p50", "duration", "p50"));
  const p95 = useQuery(chart("p95", "duration", "p95"));
  const p99 = useQuery(chart("p99", "duration", "p99"));
  const tokens = useQuery(chart("tokens", "metadata.total_tokens", "sum"));
  const cost = useQuery(chart("cost", "metadata.cost", "sum"));

  const fields = useFilterFields();
  const groupChoices = useMemo(() => {
    const names = new Set(baseGroups);
    for (const f of fields.data ?? []) if (f.type === "string" && !["event_id", "session_id", "parent_id", "error"].includes(f.name)) names.add(f.name);
    if (groupBy) names.add(groupBy);
    return [...names];
  }, [fields.data, groupBy]);

  // Everything on screen is drawn from settled answers: what `bench ui` waits for (data-testid="dashboard-ready").
  const queries = [requests, errors, p50, p95, p99, tokens, cost];
  const ready = !requests.isFetching && (requests.isError || requests.data?.totalEvents === 0 || queries.every((q) => !q.isFetching));
  const grouped = groupBy !== "";
  const order = useMemo(() => (requests.data ? groupOrder(requests.data.events) : undefined), [requests.data]);
  const total = requests.data?.totalEvents ?? 0;
  const totalErrors = errors.data?.totalEvents ?? 0;
  // null when no event in range carries the metric (no tokens or cost recorded), which reads "—", not 0.
  const sum = (answer?: ChartAnswer) =>
    answer?.events.some((p) => p.value !== null) ? answer.events.reduce((s, p) => s + (p.value ?? 0), 0) : null;

  return (
    <div className="stack" data-testid="dashboard-page">
      <div className="row">
        <h1 style={{ margin: 0 }}>Dashboard</h1>
        <div className="grow" />
        <label className="inline">
          Events
          <select aria-label="Events counted" value={scope} onChange={(e) => update({ scope: e.target.value === "model" ? null : e.target.value })}>
            {Object.entries(scopes).map(([key, s]) => <option key={key} value={key}>{s.label}</option>)}
          </select>
        </label>
        <label className="inline">
          Group by
          <select aria-label="Group by" style={{ maxWidth: 220 }} value={groupBy} onChange={(e) => update({ groupBy: e.target.value || null })} data-testid="group-by">
            <option value="">None</option>
            {groupChoices.map((g) => <option key={g} value={g}>{g}</option>)}
          </select>
        </label>
        <TimeRangePicker
          value={rangeKey}
          onChange={(key) => update({ range: key, ...(key === "custom" ? { from: String(Date.now() - 86_400_000), to: null } : { from: null, to: null }) })}
          custom={custom}
          onCustom={(r) => update({ from: r.from === null ? null : String(r.from), to: r.to === null ? null : String(r.to) })}
        />
        <button type="button" onClick={() => setTick((t) => t + 1)} title="Read the range again up to now">Refresh</button>
      </div>
      <FilterBuilder filters={userFilters} onChange={(next) => update({ filters: encodeFilters(next) })} />
      {ready && <span hidden data-testid="dashboard-ready" />}
      <div className="muted small">By {bucket} · {scopes[scope].label.toLowerCase()}{grouped ? ` · grouped by ${groupBy}` : ""}</div>

      {requests.isLoading ? (
        <Loading label="Loading charts…" />
      ) : requests.error ? (
        <ErrorNotice error={requests.error} what="load the dashboard" />
      ) : total === 0 ? (
        userFilters.length > 0 || scope !== "model" ? (
          <EmptyState title="No events match in this time range">
            <p>Widen the time range, choose other events to count, or remove a filter.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No model calls in this time range">
            <p>Widen the time range, or send traces with model spans (GenAI attributes) — the charts fill in within seconds:</p>
            <SendTracesHint />
          </EmptyState>
        )
      ) : (
        <>
          <div className="dash-stats" data-testid="dashboard-stats">
            <Stat label="Requests" value={formatNumber(total)} testId="stat-requests" />
            <Stat label="Errors" value={`${formatNumber(totalErrors)} (${formatNumber((100 * totalErrors) / total, 1)}%)`} />
            <Stat label="Tokens" value={tokens.data ? formatNumber(sum(tokens.data)) : "…"} />
            <Stat label="Cost" value={cost.data ? formatCost(sum(cost.data)) : "…"} testId="stat-cost" />
          </div>
          <div className="chart-grid">
            <ChartCard stacked title="Requests" subtitle={`events per ${bucket}`} testId="chart-requests" error={requests.error} loading={false}
              pivot={requests.data ? pivot(requests.data.events, starts, 0, grouped, "requests", order) : null} bucket={bucket} format={(v) => formatNumber(v)} />
            <LatencyCard
              answers={{ p50: p50.data, p95: p95.data, p99: p99.data }}
              error={p50.error ?? p95.error ?? p99.error}
              loading={p50.isLoading || p95.isLoading || p99.isLoading}
              grouped={grouped} percentile={percentile} onPercentile={setPercentile} starts={starts} bucket={bucket} order={order}
            />
            <ChartCard stacked title="Tokens" subtitle={`sum of metadata.total_tokens per ${bucket}`} testId="chart-tokens" error={tokens.error} loading={tokens.isLoading}
              pivot={tokens.data ? pivot(tokens.data.events, starts, 0, grouped, "tokens", order) : null} bucket={bucket} format={(v) => formatNumber(v)} />
            <ChartCard stacked title="Cost" subtitle={`sum of metadata.cost (USD) per ${bucket}`} testId="chart-cost" error={cost.error} loading={cost.isLoading}
              pivot={cost.data ? pivot(cost.data.events, starts, 0, grouped, "cost", order) : null} bucket={bucket} format={(v) => formatCost(v)} />
            <ChartCard title="Error rate" subtitle="events with an error ÷ events, %" testId="chart-errors" error={errors.error} loading={errors.isLoading}
              pivot={requests.data && errors.data ? pivot(errorRate(requests.data.events, errors.data.events), starts, null, grouped, "error rate", order) : null}
              bucket={bucket} format={(v) => `${formatNumber(v, 1)}%`} />
          </div>
        </>
      )}
    </div>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="dash-stat" data-testid={testId}>
      <div className="label">{label}</div>
      <div className="value">{value}</div>
    </div>
  );
}

function LatencyCard({
  answers, error, loading, grouped, percentile, onPercentile, starts, bucket, order,
}: {
  order?: string[];
  answers: Record<"p50" | "p95" | "p99", ChartAnswer | undefined>;
  error: unknown;
  loading: boolean;
  grouped: boolean;
  percentile: "p50" | "p95" | "p99";
  onPercentile: (p: "p50" | "p95" | "p99") => void;
  starts: number[] | null;
  bucket: Bucket;
}) {
  let data: Pivot | null = null;
  if (grouped) {
    const answer = answers[percentile];
    data = answer ? pivot(answer.events, starts, null, true, percentile, order) : null;
  } else if (answers.p50 && answers.p95 && answers.p99) {
    // Three ungrouped answers side by side: one row per bucket with p50, p95 and p99.
    const parts = (["p50", "p95", "p99"] as const).map((p) => pivot(answers[p]!.events, starts, null, false, p));
    const rows = new Map<number, Record<string, number | null>>();
    parts.forEach((part, i) => {
      for (const row of part.rows) {
        const t = row.t as number;
        const merged = rows.get(t) ?? { t, s0: null, s1: null, s2: null };
        merged[`s${i}`] = row.s0 ?? null;
        rows.set(t, merged);
      }
    });
    data = {
      rows: [...rows.values()].sort((a, b) => (a.t as number) - (b.t as number)),
      series: [{ key: "s0", label: "p50" }, { key: "s1", label: "p95" }, { key: "s2", label: "p99" }],
      hiddenGroups: 0,
    };
  }
  const picker = grouped ? (
    <select aria-label="Latency percentile" value={percentile} onChange={(e) => onPercentile(e.target.value as "p50" | "p95" | "p99")}>
      <option value="p50">p50</option>
      <option value="p95">p95</option>
      <option value="p99">p99</option>
    </select>
  ) : undefined;
  return (
    <ChartCard title="Latency" subtitle={grouped ? `${percentile} of duration per ${bucket}` : `p50 / p95 / p99 of duration per ${bucket}`} testId="chart-latency"
      error={error} loading={loading} pivot={data} bucket={bucket} format={(v) => formatDuration(v)} action={picker} />
  );
}

function ChartCard({
  title, subtitle, testId, error, loading, pivot: data, bucket, format, action, stacked = false,
}: {
  /** Additive values (counts, sums) draw as stacked bars; the rest as lines. */
  stacked?: boolean;
  title: string;
  subtitle: string;
  testId: string;
  error: unknown;
  loading: boolean;
  pivot: Pivot | null;
  bucket: Bucket;
  format: (value: number) => string;
  action?: ReactNode;
}) {
  const tick = (t: number) => {
    const date = new Date(t);
    return bucket === "minute" || bucket === "hour"
      ? date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })
      : date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  };
  const label = (t: number) =>
    new Date(t).toLocaleString(undefined, bucket === "minute" || bucket === "hour"
      ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }
      : { year: "numeric", month: "short", day: "numeric" });
  // Shared by both chart kinds (recharts reads its children, so these are elements, not a component).
  const axes = [
    <CartesianGrid key="grid" stroke="currentColor" strokeOpacity={0.15} vertical={false} />,
    <XAxis key="x" dataKey="t" type="number" scale="time" domain={stacked ? ["dataMin - " + half(bucket), "dataMax + " + half(bucket)] : ["dataMin", "dataMax"]}
      tickFormatter={tick} stroke="currentColor" fontSize={11} minTickGap={24} />,
    <YAxis key="y" stroke="currentColor" fontSize={11} width={64} tickFormatter={(v: number) => format(v)} />,
    <Tooltip key="tip" labelFormatter={(t) => label(Number(t))} formatter={(value) => (value === null || value === undefined ? "—" : format(Number(value)))}
      cursor={{ fill: "currentColor", fillOpacity: 0.08 }} />,
    data && data.series.length > 1 ? <Legend key="legend" wrapperStyle={{ fontSize: 12 }} /> : null,
  ];
  return (
    <section className="chart-card" data-testid={testId} aria-label={title}>
      <div className="row">
        <h2>{title}</h2>
        <span className="small">{subtitle}</span>
        <div className="grow" />
        {action}
      </div>
      {error ? (
        <ErrorNotice error={error} what={`load the ${title.toLowerCase()} chart`} />
      ) : loading || !data ? (
        <Loading label={`Loading ${title.toLowerCase()}…`} />
      ) : (
        <>
          <div style={{ width: "100%", height: 220 }}>
            <ResponsiveContainer width="100%" height="100%">
              {stacked ? (
                <BarChart data={data.rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
                  {axes}
                  {data.series.map((s, i) => (
                    <Bar key={s.key} dataKey={s.key} name={s.label} stackId="a" fill={palette[i % palette.length]} isAnimationActive={false} />
                  ))}
                </BarChart>
              ) : (
                <LineChart data={data.rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
                  {axes}
                  {data.series.map((s, i) => (
                    <Line key={s.key} dataKey={s.key} name={s.label} stroke={palette[i % palette.length]} strokeWidth={2}
                      dot={sparse(data.rows, s.key) ? { r: 3, fill: palette[i % palette.length] } : false} isAnimationActive={false} connectNulls={false} />
                  ))}
                </LineChart>
              )}
            </ResponsiveContainer>
          </div>
          {data.hiddenGroups > 0 && <div className="small">{data.hiddenGroups} smaller groups not drawn.</div>}
        </>
      )}
    </section>
  );
}

/** A line whose points rarely touch draws nothing between gaps: such a series gets dots. */
function sparse(rows: Record<string, number | null>[], key: string): boolean {
  let isolated = false;
  for (let i = 0; i < rows.length && !isolated; i++) {
    if (rows[i][key] === null || rows[i][key] === undefined) continue;
    const before = i > 0 ? rows[i - 1][key] : null;
    const after = i < rows.length - 1 ? rows[i + 1][key] : null;
    isolated = (before === null || before === undefined) && (after === null || after === undefined);
  }
  return isolated || rows.length <= 2;
}

/** Half a bucket, in ms, so the first and last bars are not cut in half by the axis. */
function half(bucket: Bucket): number {
  return { minute: 30_000, hour: 1_800_000, day: 43_200_000, week: 302_400_000, month: 1_296_000_000 }[bucket];
}

export default function Page({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  return (
    <Suspense fallback={<Loading />}>
      <Dashboard projectId={projectId} />
    </Suspense>
  );
}
