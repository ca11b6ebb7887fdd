"use client";
// Small pieces the experiment pages share: a run's status, a metric value, a change between two runs.
import { formatNumber } from "@/lib/format";
import type { Verdict } from "@/lib/experiments";

export function RunStatus({ status }: { status: string }) {
  return <span className={`badge status-${status}`} data-testid="run-status">{status}</span>;
}

export function PassFail({ passed }: { passed: boolean | undefined }) {
  if (passed === undefined) return <span className="muted">—</span>;
  return passed ? <span className="good" aria-label="passed">✓ pass</span> : <span className="bad" aria-label="failed">✗ fail</span>;
}

export function MetricNumber({ value }: { value: number | undefined | null }) {
  if (value === undefined || value === null) return <span className="muted">—</span>;
  return <span className="mono">{formatNumber(value, 3)}</span>;
}

const verdictText: Record<Verdict, string> = { improved: "improved", regressed: "regressed", unchanged: "unchanged", new: "new", missing: "missing" };

/** Improved in green, regressed in red, unchanged muted; with the signed difference when there is one. */
export function Change({ verdict, delta, percent }: { verdict: Verdict; delta?: number; percent?: number }) {
  const arrow = verdict === "improved" ? "▲" : verdict === "regressed" ? "▼" : verdict === "unchanged" ? "=" : "•";
  const sign = delta !== undefined && delta > 0 ? "+" : "";
  return (
    <span className={`change ${verdict}`} data-testid="change" data-verdict={verdict}>
      {arrow} {verdictText[verdict]}
      {delta !== undefined && verdict !== "unchanged" && (
        <span className="mono small"> {sign}{formatNumber(delta, 3)}{percent !== undefined ? ` (${sign}${formatNumber(percent, 1)}%)` : ""}</span>
      )}
    </span>
  );
}
