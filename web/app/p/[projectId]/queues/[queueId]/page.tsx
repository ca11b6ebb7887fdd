"use client";
// Scoring a queue: the next pending event (its inputs, outputs and messages), scored with the keyboard against a
// human evaluator of the project. The evaluator decides the keys: 1/0 for pass/fail, 1…N on a rating scale, 1…N
// for categories, or a typed value. Enter submits, n or → skips. Progress and, given an automatic judge, the
// agreement between people and the judge are read from the queue.
import { use, useCallback, useEffect, useMemo, useRef, useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { deleteQueue, getQueue, queueAgreement, queueItems, queueProgress, scoreItem, setQueueEnabled, type Queue, type QueueItem } from "@/lib/queues";
import { listMetrics, typeLabel, type Metric } from "@/lib/evaluators";
import { formatNumber, formatTime } from "@/lib/format";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { EventBody } from "@/components/EventContent";
import { CopyButton } from "@/components/CopyButton";

const pageSize = 50;

function remembered(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function remember(key: string, value: string) {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* not remembered */
  }
}

/** The choices a metric offers on the keyboard: key → value and label. Empty when the value is typed. */
function choicesOf(metric: Metric | undefined): { key: string; value: unknown; label: string }[] {
  if (!metric) return [];
  if (metric.return_type === "boolean") return [{ key: "1", value: true, label: "Pass" }, { key: "0", value: false, label: "Fail" }];
  if (metric.return_type === "categorical") return (metric.categories ?? []).slice(0, 10).map((c, i) => ({ key: String((i + 1) % 10), value: c.category, label: c.category }));
  if (metric.return_type === "float" && metric.scale && metric.scale <= 10) {
    return Array.from({ length: metric.scale }, (_, i) => ({ key: String((i + 1) % 10), value: i + 1, label: String(i + 1) }));
  }
  return [];
}

function isTyping(target: EventTarget | null) {
  const element = target as HTMLElement | null;
  if (!element) return false;
  const tag = element.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
}

export default function QueuePage({ params }: { params: Promise<{ projectId: string; queueId: string }> }) {
  const { projectId, queueId } = use(params);
  const router = useRouter();
  const client = useQueryClient();

  const queue = useQuery({ queryKey: ["queue", queueId], queryFn: ({ signal }) => getQueue(queueId, signal) });
  const progress = useQuery({ queryKey: ["queue-progress", queueId], queryFn: ({ signal }) => queueProgress(queueId, signal), enabled: queue.isSuccess });
  const metrics = useQuery({ queryKey: ["metrics", projectId], queryFn: ({ signal }) => listMetrics(signal) });
  const human = useMemo(() => (metrics.data ?? []).filter((m) => m.type === "HUMAN"), [metrics.data]);
  const judges = useMemo(() => (metrics.data ?? []).filter((m) => m.type !== "HUMAN"), [metrics.data]);

  const metricKey = `hh-queue-metric-${queueId}`;
  const judgeKey = `hh-queue-judge-${queueId}`;
  const [metricName, setMetricName] = useState<string | null>(null);
  const [judgeName, setJudgeName] = useState<string>("");
  useEffect(() => {
    setMetricName(remembered(metricKey));
    setJudgeName(remembered(judgeKey) ?? "");
  }, [metricKey, judgeKey]);
  const metric = human.find((m) => m.name === metricName) ?? human[0];

  // The items still to score in this visit: pages of pending items, minus what was scored or skipped here.
  const [cursor, setCursor] = useState<string | null>(null);
  const [handled, setHandled] = useState<Set<string>>(() => new Set());
  const [skipped, setSkipped] = useState<string[]>([]);
  const [lastScored, setLastScored] = useState<string | null>(null);
  const items = useQuery({
    queryKey: ["queue-items", queueId, cursor],
    queryFn: ({ signal }) => queueItems(queueId, { status: "pending", cursor, limit: pageSize }, signal),
    enabled: queue.isSuccess,
  });
  const current: QueueItem | undefined = items.data?.items.find((i) => !handled.has(i.event_id));
  const exhaustedPage = items.data && !current;
  useEffect(() => {
    if (exhaustedPage && items.data?.next_cursor) setCursor(items.data.next_cursor);
  }, [exhaustedPage, items.data?.next_cursor]);

  const [value, setValue] = useState<unknown>(undefined);
  const [typed, setTyped] = useState("");
  const [comment, setComment] = useState("");
  const choices = choicesOf(metric);
  useEffect(() => {
    setValue(undefined);
    setTyped("");
    setComment("");
  }, [current?.event_id, metric?.name]);

  const score = useMutation({
    mutationFn: (input: { item: QueueItem; value: unknown }) =>
      scoreItem(queueId, input.item.event_id, { metric: metric!.name, value: input.value, ...(comment.trim() ? { comment: comment.trim() } : {}) }),
    onSuccess: async (_, input) => {
      setHandled((h) => new Set(h).add(input.item.event_id));
      setLastScored(input.item.event_id);
      await client.invalidateQueries({ queryKey: ["queue-progress", queueId] });
      await client.invalidateQueries({ queryKey: ["queue-agreement", queueId] });
    },
  });

  const typedValue = (): unknown => {
    if (!metric) return undefined;
    if (metric.return_type === "float") return typed.trim() === "" || Number.isNaN(Number(typed)) ? undefined : Number(typed);
    return typed.trim() === "" ? undefined : typed;
  };
  const chosen = choices.length ? value : typedValue();

  const submit = useCallback(() => {
    if (!current || !metric || chosen === undefined || score.isPending) return;
    score.mutate({ item: current, value: chosen });
  }, [current, metric, chosen, score]);

  const skip = useCallback(() => {
    if (!current) return;
    score.reset();
    setHandled((h) => new Set(h).add(current.event_id));
    setSkipped((s) => [...s, current.event_id]);
  }, [current, score]);

  function reviewSkipped() {
    setHandled((h) => {
      const next = new Set(h);
      for (const id of skipped) next.delete(id);
      return next;
    });
    setSkipped([]);
    setCursor(null);
    void client.invalidateQueries({ queryKey: ["queue-items", queueId] });
  }

  // The keyboard: digits choose, Enter submits, n or → skips. Typing in a field keeps its keys (Enter there submits).
  const keys = useRef({ choices, submit, skip });
  keys.current = { choices, submit, skip };
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const typing = isTyping(event.target);
      const element = event.target as HTMLElement | null;
      // Enter on another button presses that button; on a score choice it submits, as everywhere else.
      const ownEnter = element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement
        || (element instanceof HTMLButtonElement && element.dataset.scoreKey === undefined) || element instanceof HTMLAnchorElement;
      if (event.key === "Enter" && !ownEnter) {
        event.preventDefault();
        keys.current.submit();
        return;
      }
      if (typing) return;
      const choice = keys.current.choices.find((c) => c.key === event.key);
      if (choice) {
        event.preventDefault();
        setValue(choice.value);
        return;
      }
      if (event.key === "n" || event.key === "ArrowRight") {
        event.preventDefault();
        keys.current.skip();
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const toggle = useMutation({
    mutationFn: (q: Queue) => setQueueEnabled(q, !q.enabled),
    onSuccess: (q) => client.setQueryData(["queue", queueId], q),
  });
  const remove = useMutation({
    mutationFn: () => deleteQueue(queueId),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["queues"] });
      router.push(`/p/${projectId}/queues`);
    },
  });

  if (queue.isLoading) return <Loading label="Loading the queue…" />;
  if (queue.error) {
    return (
      <div className="stack">
        <Link href={`/p/${projectId}/queues`}>← Annotation queues</Link>
        <ErrorNotice error={queue.error} what="open this queue" />
      </div>
    );
  }
  const q = queue.data!;
  const p = progress.data;
  const done = items.data && !current && !items.data.next_cursor;

  return (
    <div className="stack" data-testid="queue-page">
      <div className="row small"><Link href={`/p/${projectId}/queues`}>← Annotation queues</Link></div>
      <div className="row">
        <h1 style={{ margin: 0 }}>{q.name}</h1>
        {!q.enabled && <span className="badge">paused</span>}
        <div style={{ flex: 1 }} />
        <button type="button" onClick={() => toggle.mutate(q)} disabled={toggle.isPending} title="A paused queue takes in no new events from its filters">
          {q.enabled ? "Pause" : "Resume"}
        </button>
        <button type="button" className="danger" onClick={() => window.confirm(`Delete the queue “${q.name}”? The scores given stay on the events.`) && remove.mutate()} disabled={remove.isPending}>
          Delete
        </button>
      </div>
      {q.description && <p className="muted" style={{ margin: 0 }}>{q.description}</p>}
      {toggle.error && <ErrorNotice error={toggle.error} what="change the queue" />}
      {remove.error && <ErrorNotice error={remove.error} what="delete the queue" />}

      <div className="card stack" data-testid="queue-progress" aria-live="polite">
        {progress.error && <ErrorNotice error={progress.error} what="read the queue's progress" />}
        {p && (
          <>
            <div className="row" style={{ justifyContent: "space-between" }}>
              <strong data-testid="progress-text">{p.scored} of {p.total} scored</strong>
              <span className="muted small">{p.pending} pending{skipped.length ? ` · ${skipped.length} skipped this visit` : ""}</span>
            </div>
            <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={p.total} aria-valuenow={p.scored} aria-label="Scored">
              <div style={{ width: p.total ? `${(p.scored / p.total) * 100}%` : 0 }} />
            </div>
            {p.by_metric.length > 0 && (
              <span className="muted small">{p.by_metric.map((m) => `${m.metric}: ${m.scored_items} items, ${m.scores} scores`).join(" · ")}</span>
            )}
          </>
        )}
      </div>

      {metrics.error && <ErrorNotice error={metrics.error} what="list the evaluators" />}
      {metrics.data && human.length === 0 && (
        <EmptyState title="No human evaluator to score with">
          <p>Scores in a queue are given for a <strong>human</strong> evaluator: it says what is scored (pass/fail, a 1–5 rating, categories) and how.</p>
          <Link className="button primary" href={`/p/${projectId}/evaluators?new=HUMAN`}>Create a human evaluator</Link>
        </EmptyState>
      )}

      {metric && (
        <div className="scoring">
          <div className="stack">
            {items.error && <ErrorNotice error={items.error} what="load the queue's events" />}
            {items.isLoading && <Loading label="Loading the next event…" />}
            {done && (
              <EmptyState title={p && p.total === 0 ? "This queue is empty" : "Nothing left to score"}>
                {p && p.total === 0 ? (
                  <p>
                    No event matches the queue&apos;s filters yet{q.filters.filterArray.length === 0 ? " (it has none: add events by id through PUT /v1/queues/{id} with add_event_ids)" : ""}.
                    Events join as they arrive.
                  </p>
                ) : (
                  <p>Every event of the queue is scored{skipped.length ? `, except the ${skipped.length} you skipped` : ""}.</p>
                )}
                {skipped.length > 0 && <button type="button" onClick={reviewSkipped}>Review the skipped events</button>}
              </EmptyState>
            )}
            {current && (
              <article className="card stack" data-testid="queue-item" data-event-id={current.event_id} aria-label="Event to score">
                <div className="row">
                  <span className={`badge ${current.event?.event_type ?? ""}`}>{current.event?.event_type ?? "event"}</span>
                  <strong>{current.event?.event_name ?? current.event_id}</strong>
                  <span className="muted small">{current.event ? formatTime(current.event.start_time) : ""}</span>
                  <div style={{ flex: 1 }} />
                  <CopyButton value={current.event_id} label="Copy id" />
                  {current.event && <Link href={`/p/${projectId}/sessions/${encodeURIComponent(current.event.session_id)}`}>Open trace →</Link>}
                </div>
                {current.event ? <EventBody event={current.event} /> : <p className="muted">This event was deleted since it joined the queue. Skip it.</p>}
              </article>
            )}
          </div>

          <aside className="card stack" aria-label="Score" data-testid="score-panel">
            <label>
              Evaluator
              <select
                value={metric.name}
                onChange={(e) => {
                  setMetricName(e.target.value);
                  remember(metricKey, e.target.value);
                  // Back to scoring: the digits go to the score, not to this list.
                  e.currentTarget.blur();
                }}
                data-testid="score-metric"
              >
                {human.map((m) => <option key={m.id} value={m.name}>{m.name} ({m.return_type}{m.scale ? ` 1–${m.scale}` : ""})</option>)}
              </select>
            </label>
            <p className="small" style={{ margin: 0, whiteSpace: "pre-wrap" }}>{metric.criteria}</p>

            {choices.length > 0 ? (
              <div className="score-keys" role="radiogroup" aria-label={metric.name}>
                {choices.map((c) => (
                  <button
                    key={c.key}
                    type="button"
                    role="radio"
                    aria-checked={value === c.value}
                    className={value === c.value ? "chosen" : ""}
                    onClick={() => setValue(c.value)}
                    data-testid="score-choice"
                    data-score-key={c.key}
                    disabled={!current}
                  >
                    {c.label === c.key ? c.label : <><kbd>{c.key}</kbd> {c.label}</>}
                  </button>
                ))}
              </div>
            ) : (
              <label>
                {metric.return_type === "float" ? "Score (a number)" : "Answer"}
                <input
                  type={metric.return_type === "float" ? "number" : "text"}
                  step="any"
                  value={typed}
                  onChange={(e) => setTyped(e.target.value)}
                  disabled={!current}
                  data-testid="score-input"
                />
              </label>
            )}
            <label>
              Comment (optional)
              <input value={comment} onChange={(e) => setComment(e.target.value)} disabled={!current} maxLength={10000} data-testid="score-comment" />
            </label>
            <div className="row">
              <button type="button" className="primary" onClick={submit} disabled={!current || chosen === undefined || score.isPending} data-testid="score-submit">
                {score.isPending ? "Saving…" : "Submit"} <kbd>Enter</kbd>
              </button>
              <button type="button" onClick={skip} disabled={!current} data-testid="score-skip">Skip <kbd>n</kbd></button>
            </div>
            {score.error && <ErrorNotice error={score.error} what="save the score" />}
            {lastScored && !score.error && <span className="good small" role="status">Scored {lastScored.slice(0, 8)}…</span>}
            <p className="muted small" style={{ margin: 0 }}>
              {choices.length > 0 ? <>Press {choices.map((c) => c.key).join("/")} to choose, </> : <>Type the value, </>}
              <kbd>Enter</kbd> to submit, <kbd>n</kbd> or <kbd>→</kbd> to skip.
            </p>
            {current && current.scores.length > 0 && (
              <div className="small">
                <span className="muted">Already scored:</span>{" "}
                {current.scores.map((s) => `${s.metric} = ${JSON.stringify(s.value)}`).join(", ")}
              </div>
            )}

            <AgreementBox queueId={queueId} metric={metric.name} judges={judges} judge={judgeName} onJudge={(name) => { setJudgeName(name); remember(judgeKey, name); }} />
          </aside>
        </div>
      )}
    </div>
  );
}

function AgreementBox({ queueId, metric, judges, judge, onJudge }: { queueId: string; metric: string; judges: Metric[]; judge: string; onJudge: (name: string) => void }) {
  const valid = judges.some((j) => j.name === judge);
  const agreement = useQuery({
    queryKey: ["queue-agreement", queueId, metric, judge],
    queryFn: ({ signal }) => queueAgreement(queueId, metric, judge, signal),
    enabled: valid,
  });
  const a = agreement.data;
  return (
    <details className="section" open={valid} data-testid="agreement">
      <summary>Agreement with a judge</summary>
      <div className="stack">
        {judges.length === 0 ? (
          <span className="muted small">No automatic evaluator (LLM judge, Python) to compare the people&apos;s scores with.</span>
        ) : (
          <select aria-label="Judge" value={valid ? judge : ""} onChange={(e) => onJudge(e.target.value)}>
            <option value="">Choose a judge…</option>
            {judges.map((j) => <option key={j.id} value={j.name}>{j.name} ({typeLabel(j.type)})</option>)}
          </select>
        )}
        {agreement.isLoading && valid && <Loading label="Comparing…" />}
        {agreement.error && <ErrorNotice error={agreement.error} what="compute the agreement" />}
        {a && (
          a.n === 0 ? (
            <span className="muted small">No event scored by both people and {a.judge} yet.</span>
          ) : (
            <dl className="kv small">
              <dt>Events compared</dt><dd>{a.n}</dd>
              {a.exact_agreement !== null && (<><dt>Exact agreement</dt><dd>{formatNumber(a.exact_agreement * 100, 1)}%</dd></>)}
              {a.cohens_kappa !== null && (<><dt>Cohen&apos;s κ</dt><dd>{formatNumber(a.cohens_kappa, 3)}</dd></>)}
              {a.mean_absolute_error !== null && (<><dt>Mean abs. error</dt><dd>{formatNumber(a.mean_absolute_error, 3)}</dd></>)}
              {a.pearson !== null && (<><dt>Pearson r</dt><dd>{formatNumber(a.pearson, 3)}</dd></>)}
            </dl>
          )
        )}
      </div>
    </details>
  );
}
