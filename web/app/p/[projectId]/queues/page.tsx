"use client";
// Annotation queues: each holds events for people to score (those its filters match, and any added by id), with
// how far the scoring is. Create a queue here; open one to score its events with the keyboard.
import { use, useState, type FormEvent } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createQueue, listQueues, queueProgress, type Queue } from "@/lib/queues";
import type { Filter } from "@/lib/filters";
import { formatTime } from "@/lib/format";
import { ApiError } from "@/lib/api";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { FilterBuilder } from "@/components/FilterBuilder";

export default function QueuesPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  const router = useRouter();
  const [creating, setCreating] = useState(false);
  const queues = useQuery({ queryKey: ["queues", projectId], queryFn: ({ signal }) => listQueues(signal) });

  return (
    <div className="stack" data-testid="queues-page">
      <div className="row">
        <h1 style={{ margin: 0 }}>Annotation queues</h1>
        <div style={{ flex: 1 }} />
        {!creating && <button type="button" className="primary" onClick={() => setCreating(true)} data-testid="new-queue">New queue</button>}
      </div>
      <p className="muted small" style={{ margin: 0 }}>
        People score a queue&apos;s events against a <Link href={`/p/${projectId}/evaluators`}>human evaluator</Link>; the score lands in the event&apos;s metrics.
      </p>
      {creating && <CreateQueue onCancel={() => setCreating(false)} onCreated={(queue) => router.push(`/p/${projectId}/queues/${queue.id}`)} />}
      {queues.isLoading && <Loading label="Loading queues…" />}
      {queues.error && <ErrorNotice error={queues.error} what="list the annotation queues" />}
      {queues.data && queues.data.length === 0 && !creating && (
        <EmptyState title="No annotation queues yet">
          <p>
            A queue collects events for people to review: every event matching its filters (say, <code>event_type is model</code> and
            <code> feedback.rating less than 3</code>), plus events you add by id. Reviewers then score them one by one with the keyboard.
          </p>
          <button type="button" className="primary" onClick={() => setCreating(true)}>Create the first queue</button>
          <p className="small">Or with the API: <code>POST /v1/queues</code> with <code>{`{"name", "filters": {"filterArray": [...]}, "event_ids": [...]}`}</code>.</p>
        </EmptyState>
      )}
      {queues.data && queues.data.length > 0 && (
        <table data-testid="queue-table">
          <thead>
            <tr><th>Name</th><th>Events</th><th>Progress</th><th>Filters</th><th>Created</th></tr>
          </thead>
          <tbody>
            {queues.data.map((q) => (
              <tr key={q.id} data-testid="queue-row">
                <td>
                  <Link href={`/p/${projectId}/queues/${q.id}`} data-testid="queue-link"><strong>{q.name}</strong></Link>
                  {!q.enabled && <span className="badge" style={{ marginLeft: 6 }}>paused</span>}
                  {q.description && <div className="muted small">{q.description}</div>}
                </td>
                <ProgressCells queue={q} />
                <td className="small">{q.filters.filterArray.map((f) => `${f.field} ${f.operator}${f.value === null || f.value === undefined ? "" : ` ${String(f.value)}`}`).join(" and ") || <span className="muted">by id only</span>}</td>
                <td className="small">{formatTime(q.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ProgressCells({ queue }: { queue: Queue }) {
  const progress = useQuery({ queryKey: ["queue-progress", queue.id], queryFn: ({ signal }) => queueProgress(queue.id, signal), staleTime: 10_000 });
  if (progress.error) return <td colSpan={2} className="bad small">progress unavailable</td>;
  if (!progress.data) return <td colSpan={2} className="muted small">…</td>;
  const { total, scored } = progress.data;
  return (
    <>
      <td>{total}</td>
      <td style={{ minWidth: 180 }}>
        <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={scored} aria-label={`${scored} of ${total} scored`}>
          <div style={{ width: total ? `${(scored / total) * 100}%` : 0 }} />
        </div>
        <span className="muted small">{scored} of {total} scored</span>
      </td>
    </>
  );
}

function CreateQueue({ onCancel, onCreated }: { onCancel: () => void; onCreated: (queue: Queue) => void }) {
  const client = useQueryClient();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [filters, setFilters] = useState<Filter[]>([]);
  const [ids, setIds] = useState("");
  const create = useMutation({
    mutationFn: () =>
      createQueue({
        name: name.trim(),
        description: description.trim(),
        enabled: true,
        filters: { filterArray: filters.map((f) => ({ ...f, value: f.value ?? null })) },
        event_ids: ids.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean),
      }),
    onSuccess: async (queue) => {
      await client.invalidateQueries({ queryKey: ["queues"] });
      onCreated(queue);
    },
  });
  const fieldErrors = create.error instanceof ApiError ? ((create.error.body as { errors?: Record<string, string[]> })?.errors ?? {}) : {};
  const nothing = filters.length === 0 && ids.trim() === "";

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate();
  }

  return (
    <form className="card stack" onSubmit={submit} aria-label="New annotation queue" data-testid="create-queue">
      <h2 style={{ margin: 0 }}>New queue</h2>
      <div className="form-grid">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} autoFocus data-testid="queue-name" />
          {fieldErrors.name && <span className="field-error">{fieldErrors.name.join(" ")}</span>}
        </label>
        <label style={{ gridColumn: "span 2" }}>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1000} placeholder="What reviewers look for" />
        </label>
      </div>
      <div className="stack">
        <span className="muted small">Events matching every filter join the queue, now and as they arrive.</span>
        <FilterBuilder filters={filters} onChange={setFilters} />
      </div>
      <label>
        Event ids to add (one a line, optional)
        <textarea rows={3} value={ids} onChange={(e) => setIds(e.target.value)} className="mono" placeholder="0d3c…" data-testid="queue-event-ids" />
      </label>
      {create.error && <ErrorNotice error={create.error} what="create the queue" />}
      {nothing && <span className="warn small">With no filter and no event id the queue starts empty.</span>}
      <div className="row">
        <button type="submit" className="primary" disabled={create.isPending || !name.trim()} data-testid="create-queue-submit">{create.isPending ? "Creating…" : "Create queue"}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
