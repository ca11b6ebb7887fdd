"use client";
// "Try it on an event": runs the evaluator as it stands in the editor (saved or not) on one event of the project,
// named by id (pasted, or picked from the latest events), and shows the value, the explanation and the verdict,
// or the error with its code and, for Python, the line it points at.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { dp } from "@/lib/api";
import type { HhEvent } from "@/lib/events";
import { isFailure, runMetric, type MetricDefinition, type RunAnswer, type RunFailure } from "@/lib/evaluators";
import { formatTime } from "@/lib/format";
import { ErrorNotice } from "./Feedback";
import { JsonView } from "./JsonView";

const failureHint: Record<string, string> = {
  compilation_error: "The code does not compile (or defines no function to call). Fix the marked line.",
  execution_error: "The function raised on this event. The traceback names the line.",
  timeout_error: "The function ran past its time limit.",
  resource_limit_error: "The function used too much memory or output.",
  invalid_return_error: "The function returned a value that does not fit the return type.",
  not_found: "No event with this id in this project (it may be too new: events arrive a second or two after they are sent).",
  invalid_request: "The request was refused; the fields named below are at fault.",
};

export function TryMetric({ definition, onFailure }: { definition: MetricDefinition; onFailure: (failure: RunFailure | null) => void }) {
  const [eventId, setEventId] = useState("");
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<RunAnswer | RunFailure | null>(null);
  const [error, setError] = useState<unknown>(null);

  const recent = useQuery({
    queryKey: ["recent-events-for-try"],
    queryFn: ({ signal }) =>
      dp<{ events: HhEvent[] }>("/v1/events/search", {
        body: { filters: [], limit: 25, projections: ["event_id", "event_name", "event_type", "start_time", "session_id"], sort: { field: "start_time", order: "desc" } },
        signal,
      }).then((r) => r.events),
    staleTime: 30_000,
  });

  async function run() {
    const id = eventId.trim();
    if (!id) return;
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      const result = await runMetric(definition, { event_id: id });
      setAnswer(result);
      onFailure(isFailure(result) ? result : null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card stack" aria-label="Try it on an event" data-testid="try-metric">
      <h3 style={{ margin: 0 }}>Try it on an event</h3>
      <p className="muted small" style={{ margin: 0 }}>Runs the evaluator as it is in the editor, saved or not, on one event. Nothing is written to the event.</p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <input
          aria-label="Event id"
          data-testid="try-event-id"
          placeholder="Paste an event id"
          value={eventId}
          onChange={(e) => setEventId(e.target.value)}
          style={{ minWidth: 300, flex: 1 }}
          className="mono"
        />
        <select
          aria-label="Pick a recent event"
          value=""
          onChange={(e) => e.target.value && setEventId(e.target.value)}
          disabled={!recent.data?.length}
          style={{ maxWidth: 260 }}
        >
          <option value="">{recent.isLoading ? "Loading events…" : recent.data?.length ? "…or pick a recent event" : "No events yet"}</option>
          {recent.data?.map((e) => (
            <option key={e.event_id} value={e.event_id}>{e.event_type} · {e.event_name} · {formatTime(e.start_time)}</option>
          ))}
        </select>
        <button type="submit" className="primary" disabled={busy || !eventId.trim()} data-testid="try-run">{busy ? "Running…" : "Run"}</button>
      </form>
      {error !== null && <ErrorNotice error={error} what="run the evaluator" />}
      {answer && !isFailure(answer) && (
        <div className="result-box" data-testid="try-result" role="status">
          <div className="row">
            <strong>Result:</strong>
            <span className="mono" data-testid="try-value">{typeof answer.result === "string" ? answer.result : JSON.stringify(answer.result)}</span>
            {answer.passed !== undefined && (answer.passed ? <span className="good">✓ passes the threshold</span> : <span className="bad">✗ fails the threshold</span>)}
          </div>
          {answer.explanation && <div className="small"><span className="muted">Explanation:</span> {answer.explanation}</div>}
        </div>
      )}
      {answer && isFailure(answer) && (
        <div className="result-box failed" data-testid="try-error" role="alert">
          <div className="row">
            <strong className="bad">{answer.code.replace(/_/g, " ")}</strong>
            {answer.line !== null && <span className="badge">line {answer.line}</span>}
            <span className="muted small">{failureHint[answer.code] ?? ""}</span>
          </div>
          <pre className="mono">{answer.message}</pre>
          {answer.fields && <JsonView value={answer.fields} />}
        </div>
      )}
    </section>
  );
}
