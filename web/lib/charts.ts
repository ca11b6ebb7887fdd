// GET /v1/events/chart (services/DataPlane.Api/Apis/EventsApi.cs, Queries/ChartQueries.cs): one aggregate of a
// metric per time bucket (and per group), over the current events in a range that match the filters.
import { dp } from "./api";
import { dateRange, type Filter } from "./filters";

export type Aggregation = "avg" | "sum" | "min" | "max" | "count" | "p50" | "p95" | "p99";
export type Bucket = "minute" | "hour" | "day" | "week" | "month";

/** One point: the bucket's start (Unix ms, UTC), the group's value ('' when ungrouped or absent), the aggregate, and how many events fed it. */
export type ChartPoint = { timestamp: number; group: string; value: number | null; count: number };
export type ChartAnswer = { events: ChartPoint[]; totalEvents: number };

export type ChartRequest = {
  metric: string;
  aggregation: Aggregation;
  bucket: Bucket;
  groupBy?: string;
  filters: Filter[];
  range: { from: number | null; to: number | null };
};

export function fetchChart(request: ChartRequest, signal?: AbortSignal) {
  return dp<ChartAnswer>("/v1/events/chart", {
    query: {
      metric: request.metric,
      aggregation: request.aggregation,
      bucket: request.bucket,
      groupBy: request.groupBy || undefined,
      filters: request.filters.length ? JSON.stringify(request.filters) : undefined,
      dateRange: JSON.stringify(dateRange(request.range)),
    },
    signal,
  });
}

const bucketMs: Partial<Record<Bucket, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** A bucket that draws a readable number of points over the range: 15m/1h by minute, 24h by hour, 7d/30d by day. */
export function bucketFor(range: { from: number | null; to: number | null }): Bucket {
  if (!range.from) return "day";
  const span = (range.to ?? Date.now()) - range.from;
  if (span <= 2 * 3_600_000) return "minute";
  if (span <= 3 * 86_400_000) return "hour";
  if (span <= 120 * 86_400_000) return "day";
  return "week";
}

/**
 * Every bucket start of the range (UTC-aligned like the server's toStartOfMinute/Hour/Day), so a bucket with no
 * events still draws (as zero for counts and sums); null when the range is open-ended or too long to list.
 */
export function bucketStarts(range: { from: number | null; to: number | null }, bucket: Bucket): number[] | null {
  const size = bucketMs[bucket];
  if (!size || !range.from) return null;
  const end = range.to ?? Date.now();
  const first = Math.floor(range.from / size) * size;
  if ((end - first) / size > 2000) return null;
  const starts: number[] = [];
  for (let t = first; t <= end; t += size) starts.push(t);
  return starts;
}

export type Series = { key: string; label: string };
export type Pivot = { rows: Record<string, number | null>[]; series: Series[]; hiddenGroups: number };

/** Most lines one chart draws; the rest of the groups (fewest events) are left out and counted. */
export const maxSeries = 8;

/**
 * Points → one row per bucket with a column per group (recharts' shape). Groups are ranked by their events; the
 * missing-group value ('') reads "(none)". `fill` is what an empty bucket holds (0 for counts and sums).
 */
export function pivot(
  points: ChartPoint[], starts: number[] | null, fill: number | null, grouped: boolean, ungroupedLabel: string, order?: string[],
): Pivot {
  const weight = new Map<string, number>();
  for (const p of points) weight.set(p.group, (weight.get(p.group) ?? 0) + p.count);
  // One order for every chart (the requests chart's), so a group keeps its colour from chart to chart.
  const rank = (g: string) => (order && order.includes(g) ? order.indexOf(g) : Number.MAX_SAFE_INTEGER);
  const ranked = [...weight.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || b[1] - a[1]).map(([g]) => g);
  const kept = ranked.slice(0, maxSeries);
  const series: Series[] = (kept.length ? kept : [""]).map((g, i) => ({
    key: `s${i}`,
    label: grouped ? (g === "" ? "(none)" : g) : ungroupedLabel,
  }));
  const keyOf = new Map(kept.map((g, i) => [g, `s${i}`]));
  const byTime = new Map<number, Record<string, number | null>>();
  const row = (t: number) => {
    let r = byTime.get(t);
    if (!r) {
      r = { t };
      for (const s of series) r[s.key] = fill;
      byTime.set(t, r);
    }
    return r;
  };
  for (const t of starts ?? []) row(t);
  for (const p of points) {
    const key = keyOf.get(p.group);
    if (key) row(p.timestamp)[key] = p.value;
  }
  const rows = [...byTime.values()].sort((a, b) => (a.t as number) - (b.t as number));
  return { rows, series, hiddenGroups: Math.max(0, ranked.length - kept.length) };
}

/** Groups by how many events they hold, most first. */
export function groupOrder(points: ChartPoint[]): string[] {
  const weight = new Map<string, number>();
  for (const p of points) weight.set(p.group, (weight.get(p.group) ?? 0) + p.count);
  return [...weight.entries()].sort((a, b) => b[1] - a[1]).map(([g]) => g);
}

/** Errors ÷ requests per bucket and group, as a percentage; a bucket without requests has no rate. */
export function errorRate(all: ChartPoint[], errors: ChartPoint[]): ChartPoint[] {
  const failed = new Map(errors.map((p) => [`${p.timestamp}|${p.group}`, p.count]));
  return all.map((p) => ({
    timestamp: p.timestamp,
    group: p.group,
    count: p.count,
    value: p.count > 0 ? (100 * (failed.get(`${p.timestamp}|${p.group}`) ?? 0)) / p.count : null,
  }));
}
