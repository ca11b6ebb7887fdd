"use client";
import { presetRanges } from "@/lib/filters";

/** A preset (last hour … all time) or a custom from/to. Values are keys; resolveRange turns them into times. */
export function TimeRangePicker({
  value, onChange, custom, onCustom,
}: {
  value: string;
  onChange: (key: string) => void;
  custom?: { from: number | null; to: number | null };
  onCustom?: (range: { from: number | null; to: number | null }) => void;
}) {
  const local = (ms: number | null) => (ms === null ? "" : new Date(ms - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
  return (
    <div className="row">
      <select aria-label="Time range" value={value} onChange={(e) => onChange(e.target.value)}>
        {presetRanges.map((p) => <option key={p.key} value={p.key}>{p.label}</option>)}
        {onCustom && <option value="custom">Custom…</option>}
      </select>
      {value === "custom" && onCustom && (
        <>
          <input type="datetime-local" aria-label="From" value={local(custom?.from ?? null)} onChange={(e) => onCustom({ from: e.target.value ? new Date(e.target.value).getTime() : null, to: custom?.to ?? null })} />
          <input type="datetime-local" aria-label="To" value={local(custom?.to ?? null)} onChange={(e) => onCustom({ from: custom?.from ?? null, to: e.target.value ? new Date(e.target.value).getTime() : null })} />
        </>
      )}
    </div>
  );
}
