// Experiment runs as the data plane serves them (services/DataPlane.Api/Apis/RunsApi.cs and Runs/*.cs):
// the run list, a run's summary (per metric aggregates, pass/fail, per-datapoint results) and the comparison
// of two runs (per metric old vs new, per-datapoint improved/degraded/same, and the paired events).
import { dp } from "./api";
import type { HhEvent } from "./events";

export type RunStatus = "pending" | "running" | "completed" | "failed" | "cancelled";
export type PassingRange = { min?: number; max?: number };

export type Run = {
  id: string;
  run_id: string;
  name?: string;
  description?: string;
  status: RunStatus | string;
  dataset_id?: string;
  event_ids: string[];
  session_ids: string[];
  datapoint_ids: string[];
  metadata: Record<string, unknown>;
  results: Record<string, unknown>;
  configuration: Record<string, unknown>;
  evaluators: unknown[];
  passing_ranges: Record<string, PassingRange>;
  created_at: string;
  updated_at: string;
};

export type RunList = {
  evaluations: Run[];
  pagination: { page: number; limit: number; total: number; total_unfiltered: number; total_pages: number; has_next: boolean; has_prev: boolean };
  metrics: string[];
};

export type RunListQuery = { page: number; limit: number; name?: string; status?: string; sort_by?: string; sort_order?: "asc" | "desc" };

export const aggregateFunctions = ["average", "min", "max", "median", "p90", "p95", "p99", "sum", "count"] as const;
export const runStatuses = ["pending", "running", "completed", "failed", "cancelled"] as const;

export type MetricDetail = {
  metric_name: string;
  event_name: string;
  event_type: string;
  aggregate: number;
  values: number[];
  passing_range?: PassingRange;
  datapoints: { passed: string[]; failed: string[] };
};

export type DatapointMetric = { name: string; event_name: string; event_type: string; value: number; passed?: boolean };
export type DatapointResult = { datapoint_id?: string; session_id: string; passed: boolean; metrics: DatapointMetric[] };

export type RunSummary = {
  status: string;
  passed: string[];
  failed: string[];
  metrics: { aggregation_function: string; details: MetricDetail[] };
  datapoints: DatapointResult[];
  event_details: { event_name: string; event_type: string }[];
  run_object: Run;
};

export type MetricComparison = {
  metric_name: string;
  event_name: string;
  event_type: string;
  old_aggregate?: number;
  new_aggregate?: number;
  difference?: number;
  percentage_change?: number;
  found_count: number;
  improved_count: number;
  degraded_count: number;
  same_count: number;
  improved: string[];
  degraded: string[];
  same: string[];
  old_values: number[];
  new_values: number[];
};

export type RunComparison = {
  metrics: MetricComparison[];
  commonDatapoints: string[];
  event_details: { event_name: string; event_type: string; presence: "both" | "old" | "new" }[];
  old_run: Run;
  new_run: Run;
};

/** event_1 is the new run's event, event_2 the old run's, for the same datapoint and event slot. */
export type EventPair = { datapoint_id: string; event_1: HhEvent; event_2: HhEvent };
export type ComparePairs = { events: EventPair[]; totalEvents: number; pagination: { page: number; limit: number; total: number } };

export const listRuns = (query: RunListQuery, signal?: AbortSignal) =>
  dp<RunList>("/v1/runs", { query: { ...query }, signal });

export const getRun = (id: string, signal?: AbortSignal) =>
  dp<{ evaluation: Run }>(`/v1/runs/${encodeURIComponent(id)}`, { signal }).then((r) => r.evaluation);

export const runSummary = (id: string, aggregate: string, signal?: AbortSignal) =>
  dp<RunSummary>(`/v1/runs/${encodeURIComponent(id)}/summary`, { query: { aggregate_function: aggregate }, signal });

export const compareRuns = (newId: string, oldId: string, aggregate: string, signal?: AbortSignal) =>
  dp<RunComparison>(`/v1/runs/${encodeURIComponent(newId)}/compare/${encodeURIComponent(oldId)}`, { query: { aggregate_function: aggregate }, signal });

export const compareEvents = (newId: string, oldId: string, page: number, limit: number, signal?: AbortSignal) =>
  dp<ComparePairs>(`/v1/runs/${encodeURIComponent(newId)}/compare/${encodeURIComponent(oldId)}/events`, { query: { page, limit }, signal });

export const deleteRun = (id: string) => dp<{ deleted: boolean }>(`/v1/runs/${encodeURIComponent(id)}`, { method: "DELETE" });

/** The sessions of a run (their inputs and outputs fill the datapoint table); at most 1000, the API's page. */
export async function runSessions(runId: string, signal?: AbortSignal): Promise<Map<string, HhEvent>> {
  const page = await dp<{ sessions: HhEvent[] }>("/v1/sessions/search", {
    body: {
      filters: [{ field: "metadata.run_id", operator: "is", value: runId, type: "string" }],
      dateRange: { $gte: 0 },
      limit: 1000,
    },
    signal,
  });
  return new Map(page.sessions.map((s) => [s.session_id, s]));
}

export function runLabel(run: Pick<Run, "name" | "id"> | undefined): string {
  if (!run) return "—";
  return run.name ?? `Run ${run.id.slice(0, 8)}`;
}

/** A metric's identity in a run: its name, and the kind of event it scored when the name alone is ambiguous. */
export function metricKey(m: { metric_name?: string; name?: string; event_name: string; event_type: string }): string {
  return `${m.metric_name ?? m.name}\u0000${m.event_type}\u0000${m.event_name}`;
}

export type Verdict = "improved" | "regressed" | "unchanged" | "new" | "missing";

/** Higher is better (the server's rule for improved/degraded datapoints); a change below 1e-9 is no change. */
export function verdict(oldValue: number | undefined, newValue: number | undefined): Verdict {
  if (oldValue === undefined && newValue === undefined) return "unchanged";
  if (oldValue === undefined) return "new";
  if (newValue === undefined) return "missing";
  const delta = newValue - oldValue;
  if (Math.abs(delta) < 1e-9) return "unchanged";
  return delta > 0 ? "improved" : "regressed";
}

/** Numeric and boolean metric values of an event (booleans as 1/0), as the run routes read them. */
export function numericMetrics(event: HhEvent | undefined): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, value] of Object.entries(event?.metrics ?? {})) {
    if (typeof value === "number" && Number.isFinite(value)) result[name] = value;
    else if (typeof value === "boolean") result[name] = value ? 1 : 0;
  }
  return result;
}

/**
 * A one-line reading of inputs or outputs for a table cell: the text itself when the object holds one string
 * (or a `content`, or a chat whose last message has content), else its JSON.
 */
export function textPreview(value: unknown, max = 200): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value.length > max ? value.slice(0, max) + "…" : value;
  if (typeof value !== "object") return String(value);
  const record = value as Record<string, unknown>;
  if (typeof record.content === "string") return textPreview(record.content, max);
  const chat = record.chat_history ?? record.messages;
  if (Array.isArray(chat) && chat.length > 0) {
    const last = chat[chat.length - 1] as Record<string, unknown> | null;
    if (last && typeof last.content === "string") return textPreview(last.content, max);
  }
  const entries = Object.entries(record);
  if (entries.length === 1 && typeof entries[0][1] === "string") return textPreview(entries[0][1], max);
  if (entries.length === 0) return "";
  const text = JSON.stringify(value);
  return text.length > max ? text.slice(0, max) + "…" : text;
}
