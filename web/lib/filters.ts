// The filter model of the data-plane API ({field, operator, value, type}) and the time range, shared by
// sessions, events, the dashboard and exports. Operators per type are exactly what the server's filter
// compiler accepts (services/DataPlane.Api/Queries/FilterCompiler.cs).
import { useQuery } from "@tanstack/react-query";
import { dp } from "./api";

export type FieldType = "string" | "number" | "boolean" | "datetime";
export type Filter = { field: string; operator: string; value?: string | number | boolean; type: FieldType };

export const operatorsByType: Record<FieldType, string[]> = {
  string: ["is", "is not", "contains", "not contains", "exists", "not exists"],
  number: ["is", "is not", "greater than", "less than", "exists", "not exists"],
  boolean: ["is", "is not", "exists", "not exists"],
  datetime: ["after", "before", "is", "is not", "exists", "not exists"],
};

export const needsValue = (operator: string) => operator !== "exists" && operator !== "not exists";

/** The columns every event has, beside what the schema finds in its buckets. */
export const coreFields: { name: string; type: FieldType }[] = [
  { name: "event_type", type: "string" },
  { name: "event_name", type: "string" },
  { name: "source", type: "string" },
  { name: "session_id", type: "string" },
  { name: "event_id", type: "string" },
  { name: "parent_id", type: "string" },
  { name: "error", type: "string" },
  { name: "duration", type: "number" },
  { name: "start_time", type: "datetime" },
  { name: "end_time", type: "datetime" },
];

type SchemaField = { name: string; event_type: string; type: string; occurrences: number };

export function toFieldType(type: string): FieldType | null {
  if (type === "string" || type === "number" || type === "boolean" || type === "datetime") return type;
  return null; // objects and arrays are not filterable as a whole; their leaves are listed on their own
}

/** Every filterable field: the core columns, then the schema's leaves (one entry per name). */
export function useFilterFields() {
  return useQuery({
    queryKey: ["events-schema"],
    queryFn: async () => {
      const schema = await dp<{ fields: SchemaField[] }>("/v1/events/schema");
      const fields = new Map<string, FieldType>(coreFields.map((f) => [f.name, f.type]));
      for (const field of schema.fields) {
        const type = toFieldType(field.type);
        if (type && !fields.has(field.name)) fields.set(field.name, type);
      }
      return [...fields].map(([name, type]) => ({ name, type }));
    },
    staleTime: 60_000,
  });
}

export type TimeRange = { key: string; label: string; from: number | null; to: number | null };

export const presetRanges: { key: string; label: string; ms: number | null }[] = [
  { key: "15m", label: "Last 15 minutes", ms: 15 * 60_000 },
  { key: "1h", label: "Last hour", ms: 3_600_000 },
  { key: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { key: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { key: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
  { key: "all", label: "All time", ms: null },
];

/** A preset resolves against now each time it is read, so a live list keeps moving with the clock. */
export function resolveRange(key: string, custom?: { from: number | null; to: number | null }): { from: number | null; to: number | null } {
  if (key === "custom" && custom) return custom;
  const preset = presetRanges.find((p) => p.key === key) ?? presetRanges[3];
  if (preset.ms === null) return { from: 0, to: null };
  return { from: Date.now() - preset.ms, to: null };
}

/** The API's dateRange: {$gte, $lte} in Unix milliseconds. */
export function dateRange(range: { from: number | null; to: number | null }) {
  const value: Record<string, number> = {};
  if (range.from !== null) value.$gte = range.from;
  if (range.to !== null) value.$lte = range.to;
  return value;
}

/** Filters as written in a URL (?filters=...), so a filtered list is a link. */
export function encodeFilters(filters: Filter[]): string {
  return filters.length ? JSON.stringify(filters) : "";
}
export function decodeFilters(text: string | null): Filter[] {
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as Filter[];
    return Array.isArray(parsed) ? parsed.filter((f) => f && typeof f.field === "string" && typeof f.operator === "string") : [];
  } catch {
    return [];
  }
}
