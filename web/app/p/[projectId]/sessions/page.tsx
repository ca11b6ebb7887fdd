"use client";
// The session list: a time range, schema-built filters, the columns an engineer scans (name, start, duration,
// tokens, cost, errors, user, feedback, metrics), cursor pages, and live updates: the first page is read again
// every few seconds, so a session appears within seconds of its spans being sent.
import { Suspense, use, useMemo, useState } from "react";
import { useRouter } from "next/navigation";
import { useInfiniteQuery } from "@tanstack/react-query";
import { dp } from "@/lib/api";
import { dateRange, decodeFilters, encodeFilters, resolveRange, type Filter } from "@/lib/filters";
import type { HhEvent, SessionPage } from "@/lib/events";
import { brief, formatCost, formatDuration, formatNumber, formatTime } from "@/lib/format";
import { useUrlState } from "@/lib/useUrlState";
import { VirtualTable, type Column, type Sort } from "@/components/VirtualTable";
import { FilterBuilder } from "@/components/FilterBuilder";
import { TimeRangePicker } from "@/components/TimeRangePicker";
import { ErrorNotice, Loading } from "@/components/Feedback";
import { FirstTrace } from "@/components/FirstTrace";

const pageSize = 100;
const liveEveryMs = 3000;

function Sessions({ projectId }: { projectId: string }) {
  const router = useRouter();
  const { params, set } = useUrlState();
  const range = params.get("range") ?? "7d";
  const filters = useMemo(() => decodeFilters(params.get("filters")), [params]);
  const sort: Sort = { field: params.get("sort") ?? "start_time", order: params.get("order") === "asc" ? "asc" : "desc" };
  const [live, setLive] = useState(true);

  const query = useInfiniteQuery({
    queryKey: ["sessions", projectId, range, filters, sort],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      dp<SessionPage>("/v1/sessions/search", {
        body: { limit: pageSize, cursor: pageParam ?? undefined, filters, dateRange: dateRange(resolveRange(range)), sort },
        signal,
      }),
    getNextPageParam: (last) => last.next_cursor ?? null,
    refetchInterval: live ? liveEveryMs : false,
  });

  const rows = useMemo(() => query.data?.pages.flatMap((p) => p.sessions) ?? [], [query.data]);
  const total = query.data?.pages[0];

  const columns: Column<HhEvent>[] = [
    { id: "name", header: "Name", width: "minmax(160px, 1.4fr)", cell: (s) => <span title={s.session_id}>{s.event_name || "Session"}</span>, sortField: "event_name" },
    { id: "start", header: "Start", width: "170px", cell: (s) => formatTime(s.start_time), sortField: "start_time" },
    { id: "duration", header: "Duration", width: "90px", cell: (s) => formatDuration(s.duration), sortField: "duration" },
    { id: "events", header: "Spans", width: "64px", cell: (s) => formatNumber(s.metadata?.num_events) },
    { id: "tokens", header: "Tokens", width: "80px", cell: (s) => formatNumber(s.metadata?.total_tokens) },
    { id: "cost", header: "Cost", width: "90px", cell: (s) => formatCost(s.metadata?.cost) },
    {
      id: "errors", header: "Errors", width: "64px",
      cell: (s) => { const n = Number(s.metadata?.num_errors ?? 0); return <span className={n > 0 || s.error ? "bad" : "muted"}>{n > 0 ? n : s.error ? "1" : "0"}</span>; },
    },
    { id: "user", header: "User", width: "minmax(90px, .8fr)", cell: (s) => brief(s.user_properties?.user_id ?? s.user_properties?.user ?? "", 40) },
    { id: "feedback", header: "Feedback", width: "minmax(90px, .8fr)", cell: (s) => brief(s.feedback && Object.keys(s.feedback).length ? s.feedback : "", 60) },
    { id: "metrics", header: "Metrics", width: "minmax(90px, .8fr)", cell: (s) => brief(s.metrics && Object.keys(s.metrics).length ? s.metrics : "", 60) },
  ];

  return (
    <div className="stack">
      <div className="row">
        <h1 style={{ margin: 0 }}>Sessions</h1>
        <div style={{ flex: 1 }} />
        <label className="row" style={{ flexDirection: "row", alignItems: "center" }} title="Read the newest sessions again every 3 seconds">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> Live
        </label>
        <TimeRangePicker value={range} onChange={(key) => set({ range: key })} />
      </div>
      <FilterBuilder filters={filters} onChange={(next: Filter[]) => set({ filters: encodeFilters(next) })} />
      {query.error && <ErrorNotice error={query.error} what="load the sessions" />}
      {query.isLoading ? (
        <Loading label="Loading sessions…" />
      ) : rows.length === 0 && !query.error ? (
        filters.length > 0 ? <div className="empty" data-testid="empty-state"><h2>No session matches these filters</h2><p>Remove a filter or widen the time range.</p></div> : <FirstTrace projectId={projectId} />
      ) : (
        <>
          <div className="row muted small" data-testid="session-count">
            {rows.length} shown of {total?.total_is_estimate ? "about " : ""}{formatNumber(total?.count)} sessions
            {query.isFetching && !query.isFetchingNextPage ? " · refreshing" : ""}
          </div>
          <VirtualTable
            label="Sessions"
            rows={rows}
            columns={columns}
            rowKey={(s) => s.event_id}
            sort={sort}
            onSort={(next) => set({ sort: next.field, order: next.order })}
            onOpen={(s) => router.push(`/p/${projectId}/sessions/${s.session_id}`)}
          />
          {query.hasNextPage && (
            <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
              {query.isFetchingNextPage ? "Loading…" : `Load ${pageSize} more`}
            </button>
          )}
        </>
      )}
    </div>
  );
}

export default function SessionsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  return <Suspense><Sessions projectId={projectId} /></Suspense>;
}
