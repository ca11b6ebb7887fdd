// The events table's reads: POST /v1/events/search (a page by cursor), POST /v1/events/export (everything the
// filter matches, as one JSON answer), and turning the export into CSV or JSONL files the browser downloads.
// Shapes: services/DataPlane.Api/Queries/EventSearchRequest.cs, EventSort.cs, EventResults.cs.
import { useQuery } from "@tanstack/react-query";
import { dp } from "./api";
import type { EventPage, HhEvent } from "./events";
import { dateRange, type Filter } from "./filters";
import { pick } from "./format";

/** The fields the server sorts by (EventSort.Sortable); any other header is not sortable. */
export const sortableFields = ["start_time", "end_time", "duration", "event_name", "event_type", "source", "session_id"] as const;

export type EventSortOrder = { field: string; order: "asc" | "desc" };

export type EventQuery = {
  filters: Filter[];
  range: { from: number | null; to: number | null };
  sort: EventSortOrder;
};

/** Rows per page of the table; the server allows up to 1000. */
export const pageSize = 100;

/** Largest export the UI asks for: the answer is one JSON document held in the browser before it is written out. */
export const exportMaxRows = 50_000;

function body(query: EventQuery) {
  return { filters: query.filters, dateRange: dateRange(query.range), sort: query.sort };
}

export function searchEvents(query: EventQuery, cursor: string | null, signal?: AbortSignal) {
  return dp<EventPage>("/v1/events/search", {
    body: { ...body(query), limit: pageSize, ...(cursor ? { cursor } : {}) },
    signal,
  });
}

/**
 * Every event the query matches, up to `limit` (the export route's default is 1000, so the limit is always sent).
 * `projections` keeps only those fields (a nested path keeps its whole top-level key); none keeps whole events.
 */
export async function exportEvents(query: EventQuery, limit: number, projections?: string[]) {
  const answer = await dp<{ events: HhEvent[]; totalEvents: number; total_is_estimate?: boolean }>("/v1/events/export", {
    body: { ...body(query), limit, ...(projections?.length ? { projections } : {}) },
  });
  return answer;
}

// ---- Columns ----

export type SchemaField = { name: string; event_type: string; type: string; occurrences: number };

/** The columns offered before the schema's own fields, in this order. */
export const coreColumns = [
  "event_type", "event_name", "start_time", "end_time", "duration", "source", "session_id", "event_id", "parent_id", "error",
  "config.model", "metadata.total_tokens", "metadata.cost", "inputs", "outputs", "config", "metadata", "metrics", "feedback", "user_properties",
];

export const defaultColumns = ["event_type", "event_name", "start_time", "duration", "config.model", "metadata.total_tokens", "metadata.cost", "error"];

const datetimeFields = new Set(["start_time", "end_time"]);

/** Every column the picker offers: the core ones, then each field the schema has seen (with its type). */
export function useColumnChoices() {
  return useQuery({
    queryKey: ["events-schema-fields"],
    queryFn: async () => {
      const schema = await dp<{ fields: SchemaField[] }>("/v1/events/schema");
      const types = new Map<string, string>();
      for (const f of schema.fields) if (!types.has(f.name) && f.type !== "null") types.set(f.name, f.type);
      const names = [...coreColumns, ...[...types.keys()].filter((n) => !coreColumns.includes(n)).sort()];
      return names.map((name) => ({ name, type: types.get(name) ?? (name.includes(".") ? "string" : "object") }));
    },
    staleTime: 60_000,
  });
}

const columnsKey = (projectId: string) => `hh-event-columns:${projectId}`;

export function loadColumns(projectId: string): string[] {
  try {
    const saved = JSON.parse(localStorage.getItem(columnsKey(projectId)) ?? "null");
    if (Array.isArray(saved) && saved.length > 0 && saved.every((c) => typeof c === "string")) return saved;
  } catch {
    /* unreadable: the defaults */
  }
  return defaultColumns;
}

export function saveColumns(projectId: string, columns: string[]) {
  try {
    localStorage.setItem(columnsKey(projectId), JSON.stringify(columns));
  } catch {
    /* private mode: not remembered */
  }
}

// ---- Files ----

/** A value as one CSV cell: times as ISO 8601, objects as JSON, missing as empty. */
export function cellText(event: HhEvent, column: string): string {
  const value = pick(event, column);
  if (value === null || value === undefined) return "";
  if (datetimeFields.has(column) && typeof value === "number") return new Date(value).toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * RFC 4180: a field holding a comma, quote, CR or LF (or starting/ending with a space) is quoted, quotes doubled.
 * Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe, unless it is a number.
 */
export function csvField(text: string): string {
  let value = text;
  if (/^[=+\-@\t\r]/.test(value) && Number.isNaN(Number(value))) value = "'" + value;
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function toCsv(events: HhEvent[], columns: string[]): string {
  const lines = [columns.map(csvField).join(",")];
  for (const event of events) lines.push(columns.map((c) => csvField(cellText(event, c))).join(","));
  return lines.join("\r\n") + "\r\n";
}

export function toJsonl(events: HhEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join("\n") + (events.length ? "\n" : "");
}

/** Hands the text to the browser as a downloaded file. */
export function download(text: string, filename: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportFilename(extension: string) {
  return `events-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}.${extension}`;
}
