"use client";
// One span: what it was (type, name, times, ids), its conversation, and every bucket as collapsible JSON.
// A bucket over 20 KB renders only when opened, so a trace with large payloads stays quick to click through.
import { useState, type ReactNode } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { HhEvent } from "@/lib/events";
import { dp, errorText } from "@/lib/api";
import { formatCost, formatDuration, formatNumber, formatTime } from "@/lib/format";
import { JsonView } from "@/components/JsonView";
import { CopyButton } from "@/components/CopyButton";
import { Conversation } from "./Messages";

const lazyBytes = 20_000;

function Bucket({ title, value, open = false }: { title: string; value: unknown; open?: boolean }) {
  const empty = value === undefined || value === null || (typeof value === "object" && Object.keys(value as object).length === 0);
  const size = empty ? 0 : JSON.stringify(value).length;
  const [shown, setShown] = useState(size <= lazyBytes);
  if (empty) return null;
  return (
    <details className="section" open={open} data-testid={`bucket-${title.toLowerCase()}`}>
      <summary>{title} <span className="muted small">{size > 1024 ? `${(size / 1024).toFixed(1)} KB` : ""}</span></summary>
      <div>
        {shown ? <JsonView value={value} expanded={size < 4000} /> : (
          <button type="button" onClick={() => setShown(true)}>Show {title.toLowerCase()} ({(size / 1024).toFixed(0)} KB)</button>
        )}
      </div>
    </details>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (<><dt>{label}</dt><dd>{children}</dd></>);
}

export function SpanPanel({ event, deepLink, sessionId, onAddToDataset }: { event: HhEvent; deepLink: string; sessionId: string; onAddToDataset?: () => void }) {
  const config = event.config ?? {};
  const metadata = event.metadata ?? {};
  return (
    <div className="stack" data-testid="span-panel">
      <div className="row">
        <span className={`badge ${event.event_type}`}>{event.event_type}</span>
        <h2 style={{ margin: 0 }} data-testid="span-title">{event.event_name}</h2>
        <div style={{ flex: 1 }} />
        <CopyButton value={deepLink} label="Copy link" />
        {onAddToDataset && <button type="button" onClick={onAddToDataset}>Add to dataset</button>}
      </div>
      {event.error && <div className="notice error" role="alert" data-testid="span-error"><strong>Error:</strong> {String(event.error)}</div>}
      <dl className="kv small">
        <Row label="Started">{formatTime(event.start_time)}</Row>
        <Row label="Duration">{formatDuration(event.duration)}</Row>
        {config.model !== undefined && <Row label="Model">{String(config.model)}{config.provider ? ` (${String(config.provider)})` : ""}</Row>}
        {metadata.total_tokens !== undefined && (
          <Row label="Tokens">{formatNumber(metadata.total_tokens)} ({formatNumber(metadata.prompt_tokens)} in, {formatNumber(metadata.completion_tokens)} out)</Row>
        )}
        {metadata.cost !== undefined && <Row label="Cost">{formatCost(metadata.cost)}</Row>}
        <Row label="Event id"><span className="mono">{event.event_id}</span> <CopyButton value={event.event_id} /></Row>
        <Row label="Session id"><span className="mono">{sessionId}</span> <CopyButton value={sessionId} /></Row>
        {event.parent_id && <Row label="Parent id"><span className="mono">{event.parent_id}</span></Row>}
      </dl>
      <Conversation event={event} />
      <Bucket title="Inputs" value={event.inputs} open />
      <Bucket title="Outputs" value={event.outputs} open />
      <Bucket title="Config" value={event.config} open />
      <Bucket title="Metrics" value={event.metrics} open />
      <Bucket title="Feedback" value={event.feedback} open />
      <Bucket title="Metadata" value={event.metadata} />
      <Bucket title="User properties" value={event.user_properties} />
      <FeedbackForm event={event} sessionId={sessionId} />
    </div>
  );
}

/** Feedback (a rating, a comment) and a named score, written with PUT /v1/events/{id}; they merge into the event's buckets. */
function FeedbackForm({ event, sessionId }: { event: HhEvent; sessionId: string }) {
  const client = useQueryClient();
  const [rating, setRating] = useState("");
  const [comment, setComment] = useState("");
  const [scoreName, setScoreName] = useState("");
  const [score, setScore] = useState("");
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: async () => {
      const body: Record<string, unknown> = {};
      const feedback: Record<string, unknown> = {};
      if (rating !== "") feedback.rating = Number(rating);
      if (comment.trim()) feedback.comment = comment.trim();
      if (Object.keys(feedback).length) body.feedback = feedback;
      if (scoreName.trim() && score !== "") body.metrics = { [scoreName.trim()]: Number(score) };
      await dp(`/v1/events/${event.event_id}`, { method: "PUT", body });
    },
    onSuccess: () => {
      setSaved(true);
      setRating(""); setComment(""); setScore(""); setScoreName("");
      // The Writer applies the update within a moment; read the tree again shortly after.
      setTimeout(() => void client.invalidateQueries({ queryKey: ["session", sessionId] }), 1500);
    },
  });
  const invalidScore = score !== "" && Number.isNaN(Number(score));
  const nothing = rating === "" && !comment.trim() && !(scoreName.trim() && score !== "");
  return (
    <form
      className="card stack"
      aria-label="Add feedback"
      onSubmit={(e) => { e.preventDefault(); setSaved(false); save.mutate(); }}
    >
      <h3 style={{ margin: 0 }}>Add feedback</h3>
      <div className="row">
        <label>Rating (1–5)
          <select value={rating} onChange={(e) => setRating(e.target.value)} aria-label="Rating">
            <option value="">—</option>
            {[1, 2, 3, 4, 5].map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        <label style={{ flex: 1 }}>Comment<input value={comment} onChange={(e) => setComment(e.target.value)} aria-label="Comment" maxLength={4000} /></label>
      </div>
      <div className="row">
        <label>Score name<input value={scoreName} onChange={(e) => setScoreName(e.target.value)} aria-label="Score name" placeholder="e.g. accuracy" maxLength={200} /></label>
        <label>Score<input value={score} onChange={(e) => setScore(e.target.value)} aria-label="Score" inputMode="decimal" placeholder="0.9" /></label>
        <button className="primary" type="submit" disabled={nothing || invalidScore || save.isPending} style={{ alignSelf: "flex-end" }}>
          {save.isPending ? "Saving…" : "Save feedback"}
        </button>
      </div>
      {invalidScore && <div className="bad small">The score must be a number.</div>}
      {save.error && <div className="notice error" role="alert">Could not save the feedback: {errorText(save.error)}</div>}
      {saved && <div className="good small" role="status">Feedback saved.</div>}
    </form>
  );
}
