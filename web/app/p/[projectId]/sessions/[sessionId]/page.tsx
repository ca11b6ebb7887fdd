"use client";
// A session's trace: the span tree with its waterfall on the left, the selected span on the right. The span in
// view is in the URL (?span=<event id>), so any span is a link; opening one expands the nodes above it.
// While the session is young the tree is read again every few seconds, so late spans appear.
import { Suspense, use, useEffect, useMemo, useState } from "react";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { dp } from "@/lib/api";
import type { HhEvent } from "@/lib/events";
import { formatCost, formatDuration, formatNumber, formatTime } from "@/lib/format";
import { useUrlState } from "@/lib/useUrlState";
import { ErrorNotice, Loading } from "@/components/Feedback";
import { CopyButton } from "@/components/CopyButton";
import { ancestors, flatten, index, window as timeWindow } from "@/components/trace/flatten";
import { TraceTree } from "@/components/trace/TraceTree";
import { SpanPanel } from "@/components/trace/SpanPanel";
import { AddToDatasetDialog } from "@/components/AddToDatasetDialog";

const youngForMs = 120_000;

function Trace({ projectId, sessionId }: { projectId: string; sessionId: string }) {
  const { params, set } = useUrlState();
  const spanParam = params.get("span");
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [adding, setAdding] = useState<HhEvent | null>(null);

  const tree = useQuery({
    queryKey: ["session", sessionId],
    queryFn: ({ signal }) => dp<HhEvent>(`/v1/sessions/${encodeURIComponent(sessionId)}`, { signal }),
    refetchInterval: (query) => {
      const root = query.state.data;
      const end = root ? (root.end_time ?? root.start_time) : 0;
      return root && Date.now() - end < youngForMs ? 3000 : false;
    },
  });

  const byId = useMemo(() => (tree.data ? index(tree.data) : new Map<string, HhEvent>()), [tree.data]);
  const rows = useMemo(() => (tree.data ? flatten(tree.data, collapsed) : []), [tree.data, collapsed]);
  const span = useMemo(() => (tree.data ? timeWindow(byId) : { start: 0, span: 1 }), [byId, tree.data]);
  const selected = spanParam && byId.has(spanParam) ? spanParam : (tree.data?.event_id ?? null);
  const event = selected ? byId.get(selected) : undefined;

  // A deep link to a span inside a collapsed branch opens the branch.
  useEffect(() => {
    if (!spanParam || !byId.has(spanParam)) return;
    const hidden = ancestors(byId, spanParam).filter((id) => collapsed.has(id));
    if (hidden.length) setCollapsed((c) => new Set([...c].filter((id) => !hidden.includes(id))));
  }, [spanParam, byId, collapsed]);

  if (tree.isLoading) return <Loading label="Loading the trace…" />;
  if (tree.error) {
    return (
      <div className="stack">
        <Link href={`/p/${projectId}/sessions`}>← Sessions</Link>
        <ErrorNotice error={tree.error} what={`load session ${sessionId}`} />
      </div>
    );
  }
  const root = tree.data!;
  const meta = root.metadata ?? {};
  const deepLink = (id: string) => `${typeof location === "undefined" ? "" : location.origin}/p/${projectId}/sessions/${sessionId}?span=${id}`;

  return (
    <div className="stack" style={{ height: "100%" }}>
      <div className="row">
        <Link href={`/p/${projectId}/sessions`}>← Sessions</Link>
        <h1 style={{ margin: 0 }} data-testid="session-title">{root.event_name || "Session"}</h1>
        <span className="muted small mono">{sessionId}</span>
        <CopyButton value={sessionId} label="Copy id" />
        <div style={{ flex: 1 }} />
        <span className="small">{formatTime(root.start_time)} · {formatDuration(root.duration)} · {formatNumber(meta.num_events)} spans · {formatNumber(meta.total_tokens)} tokens · {formatCost(meta.cost)}</span>
      </div>
      <div className="trace card" style={{ padding: 0, height: "calc(100vh - 140px)" }}>
        <TraceTree
          rows={rows}
          selected={selected}
          collapsed={collapsed}
          window={span}
          onSelect={(id) => set({ span: id })}
          onToggle={(id, open) =>
            setCollapsed((current) => {
              const next = new Set(current);
              const shouldOpen = open ?? next.has(id);
              if (shouldOpen) next.delete(id);
              else next.add(id);
              return next;
            })
          }
        />
        <div className="panel">
          {event ? <SpanPanel key={event.event_id} event={event} sessionId={sessionId} deepLink={deepLink(event.event_id)}
            onAddToDataset={() => setAdding({ ...event, children: undefined })} /> : <div className="muted">Select a span.</div>}
        </div>
      </div>
      {adding && <AddToDatasetDialog events={[adding]} onClose={() => setAdding(null)} />}
    </div>
  );
}

export default function TracePage({ params }: { params: Promise<{ projectId: string; sessionId: string }> }) {
  const { projectId, sessionId } = use(params);
  return <Suspense><Trace projectId={projectId} sessionId={sessionId} /></Suspense>;
}
