// How numbers and times read in tables and panels.
export function formatTime(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined || ms === "") return "—";
  const date = new Date(typeof ms === "string" && /^\d+$/.test(ms) ? Number(ms) : ms);
  if (Number.isNaN(date.getTime())) return String(ms);
  return date.toLocaleString(undefined, { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatCost(value: unknown): string {
  const n = Number(value);
  if (value === null || value === undefined || Number.isNaN(n)) return "—";
  return n === 0 ? "$0" : n < 0.01 ? `$${n.toFixed(5)}` : `$${n.toFixed(4)}`;
}

export function formatNumber(value: unknown, digits = 2): string {
  const n = Number(value);
  if (value === null || value === undefined || value === "" || Number.isNaN(n)) return "—";
  return Number.isInteger(n) ? n.toLocaleString() : n.toLocaleString(undefined, { maximumFractionDigits: digits });
}

/** A short text for any JSON value, for one table cell. */
export function brief(value: unknown, max = 120): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? text.slice(0, max) + "…" : text;
}

/** Reads "metadata.cost" style paths. */
export function pick(row: unknown, path: string): unknown {
  let current: unknown = row;
  const parts = path.split(".");
  for (let i = 0; i < parts.length; i++) {
    if (current === null || typeof current !== "object") return undefined;
    const record = current as Record<string, unknown>;
    // Keys may hold dots themselves (metadata.resource."service.name"): try the longest key first.
    const rest = parts.slice(i).join(".");
    if (rest in record) return record[rest];
    current = record[parts[i]];
  }
  return current;
}
