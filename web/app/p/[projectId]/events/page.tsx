"use client";
// Every event of the project as a table: filters from the event schema, a time range, sortable headers, the
// columns the user picks (remembered per project), pages by cursor, export of the whole filter to CSV or JSONL,
// and selected rows added to a dataset. A row opens its session's trace at that span.
import { Suspense, use, useEffect, useMemo, useState, type ReactNode } from "react";
import { useRouter } from "next/navigation";
import { useUrlState } from "@/lib/useUrlState";
import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import { ApiError } from "@/lib/api";
import type { HhEvent } from "@/lib/events";
import { decodeFilters, encodeFilters, resolveRange, type Filter } from "@/lib/filters";
import {
  defaultColumns, download, exportEvents, exportFilename, exportMaxRows, loadColumns, saveColumns, searchEvents, sortableFields,
  toCsv, toJsonl, useColumnChoices, type EventQuery, type EventSortOrder,
} from "@/lib/eventSearch";
import { brief, formatCost, formatDuration, formatNumber, formatTime, pick } from "@/lib/format";
import { VirtualTable, type Column } from "@/components/VirtualTable";
import { FilterBuilder } from "@/components/FilterBuilder";
import { TimeRangePicker } from "@/components/TimeRangePicker";
import { ColumnPicker } from "@/components/ColumnPicker";
import { AddToDatasetDialog } from "@/components/AddToDatasetDialog";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { SendTracesHint } from "@/components/SendTracesHint";

const defaultSort: EventSortOrder = { field: "start_time", order: "desc" };

function EventsPage({ projectId }: { projectId: string }) {
  const router = useRouter();
  const { params, set: update } = useUrlState();

  // The filter, range and sort live in the URL, so a filtered table is a link; columns are the user's own.
  const filters = useMemo(() => decodeFilters(params.get("filters")), [params]);
  const rangeKey = params.get("range") ?? "24h";
  const custom = useMemo(
    () => ({ from: params.get("from") ? Number(params.get("from")) : null, to: params.get("to") ? Number(params.get("to")) : null }),
    [params],
  );
  const sort: EventSortOrder = useMemo(() => {
    const field = params.get("sort");
    return field && (sortableFields as readonly string[]).includes(field) ? { field, order: params.get("order") === "asc" ? "asc" : "desc" } : defaultSort;
  }, [params]);


  const [columns, setColumns] = useState<string[]>(defaultColumns);
  useEffect(() => setColumns(loadColumns(projectId)), [projectId]);
  function chooseColumns(next: string[]) {
    setColumns(next);
    saveColumns(projectId, next);
  }

  // A preset is read against the clock when it is chosen (or refreshed), not at every render.
  const [tick, setTick] = useState(0);
  const range = useMemo(() => resolveRange(rangeKey, custom), [rangeKey, custom, tick]); // eslint-disable-line react-hooks/exhaustive-deps
  const query: EventQuery = useMemo(() => ({ filters, range, sort }), [filters, range, sort]);

  const search = useInfiniteQuery({
    queryKey: ["events-search", projectId, query],
    queryFn: ({ pageParam, signal }) => searchEvents(query, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = useMemo(() => {
    const seen = new Set<string>();
    const list: HhEvent[] = [];
    for (const page of search.data?.pages ?? []) for (const e of page.events) if (!seen.has(e.event_id)) (seen.add(e.event_id), list.push(e));
    return list;
  }, [search.data]);
  const first = search.data?.pages[0];
  const total = first?.count ?? first?.totalEvents ?? 0;

  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => setSelected(new Set()), [query]);
  const selectedEvents = rows.filter((r) => selected.has(r.event_id));
  const [adding, setAdding] = useState<HhEvent[] | null>(null);

  function toggle(id: string) {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  }

  const exporter = useMutation({
    mutationFn: async (format: "csv" | "jsonl") => {
      // An estimated total may be short of the real count, so it asks for the most the UI exports.
      const limit = first?.total_is_estimate ? exportMaxRows : Math.max(1, Math.min(exportMaxRows, total || exportMaxRows));
      const answer = await exportEvents(query, limit, format === "csv" ? columns : undefined);
      const filename = exportFilename(format);
      if (format === "csv") download(toCsv(answer.events, columns), filename, "text/csv;charset=utf-8");
      else download(toJsonl(answer.events), filename, "application/x-ndjson;charset=utf-8");
      return { filename, written: answer.events.length, matched: answer.totalEvents };
    },
  });

  const tableColumns: Column<HhEvent>[] = [
    {
      id: "select",
      header: "",
      width: "36px",
      cell: (row) => (
        <input
          type="checkbox"
          aria-label={`Select event ${row.event_name}`}
          checked={selected.has(row.event_id)}
          onClick={(e) => e.stopPropagation()}
          onChange={() => toggle(row.event_id)}
          data-testid="row-select"
        />
      ),
    },
    ...columns.map((name) => ({
      id: name,
      header: headers[name] ?? name,
      width: widthOf(name),
      sortField: (sortableFields as readonly string[]).includes(name) ? name : undefined,
      cell: (row: HhEvent) => renderCell(row, name),
    })),
  ];

  const allLoadedSelected = rows.length > 0 && rows.every((r) => selected.has(r.event_id));
  const choices = useColumnChoices();

  return (
    <div className="stack" data-testid="events-page">
      <div className="row">
        <h1 style={{ margin: 0 }}>Events</h1>
        {first && (
          <span className="muted" data-testid="events-total">
            {formatNumber(total)}{first.total_is_estimate ? " (estimate)" : ""} {total === 1 ? "event" : "events"}
          </span>
        )}
        <div className="grow" />
        <TimeRangePicker
          value={rangeKey}
          onChange={(key) => update({ range: key, ...(key === "custom" ? { from: String(Date.now() - 86_400_000), to: null } : { from: null, to: null }) })}
          custom={custom}
          onCustom={(r) => update({ from: r.from === null ? null : String(r.from), to: r.to === null ? null : String(r.to) })}
        />
        <button type="button" onClick={() => setTick((t) => t + 1)} title="Read the range again up to now">Refresh</button>
        <ColumnPicker choices={choices.data ?? defaultColumns.map((name) => ({ name, type: "" }))} chosen={columns} onChange={chooseColumns} defaults={defaultColumns} />
        <button type="button" onClick={() => exporter.mutate("csv")} disabled={exporter.isPending || total === 0} data-testid="export-csv">Export CSV</button>
        <button type="button" onClick={() => exporter.mutate("jsonl")} disabled={exporter.isPending || total === 0} data-testid="export-jsonl">Export JSONL</button>
      </div>

      <FilterBuilder filters={filters} onChange={(next: Filter[]) => update({ filters: encodeFilters(next) })} />

      {exporter.isPending && <div className="muted small" role="status">Exporting…</div>}
      {exporter.error && <ErrorNotice error={exporter.error} what="export the events" />}
      {exporter.data && (
        <div className="muted small" role="status" data-testid="export-done">
          Saved {formatNumber(exporter.data.written)} events to {exporter.data.filename}
          {exporter.data.matched > exporter.data.written ? ` — the first ${formatNumber(exporter.data.written)} of ${formatNumber(exporter.data.matched)}; narrow the filter or range to export the rest.` : "."}
        </div>
      )}

      {rows.length > 0 && (
      <div className="row">
        <label className="inline">
          <input
            type="checkbox"
            checked={allLoadedSelected}
            disabled={rows.length === 0}
            onChange={() => setSelected(allLoadedSelected ? new Set() : new Set(rows.map((r) => r.event_id)))}
            data-testid="select-all"
          />
          Select all loaded
        </label>
        <span className="muted small">{selected.size > 0 ? `${selected.size} selected` : "Select rows to add them to a dataset."}</span>
        <button type="button" className="primary" disabled={selected.size === 0} onClick={() => setAdding(selectedEvents)} data-testid="add-to-dataset">
          Add to dataset
        </button>
        {selected.size > 0 && <button type="button" className="link" onClick={() => setSelected(new Set())}>Clear selection</button>}
      </div>
      )}

      {search.isLoading ? (
        <Loading label="Searching events…" />
      ) : search.error && rows.length === 0 ? (
        <div className="stack">
          <ErrorNotice error={search.error} what="search the events" />
          {filters.length > 0 && search.error instanceof ApiError && search.error.status === 400 && (
            <div className="row small">
              <span>A filter may name a field or value the server does not accept: change it, or</span>
              <button type="button" onClick={() => update({ filters: null })}>Clear filters</button>
            </div>
          )}
        </div>
      ) : rows.length === 0 ? (
        filters.length > 0 ? (
          <EmptyState title="No events match these filters">
            <p>Remove a filter or widen the time range.</p>
            <button type="button" onClick={() => update({ filters: null })}>Clear filters</button>
          </EmptyState>
        ) : (
          <EmptyState title="No events in this time range">
            <p>Widen the time range, or send a first trace:</p>
            <SendTracesHint />
          </EmptyState>
        )
      ) : (
        <VirtualTable
          label="Events"
          rows={rows}
          columns={tableColumns}
          rowKey={(r) => r.event_id}
          sort={sort}
          onSort={(s) => update({ sort: s.field === defaultSort.field && s.order === defaultSort.order ? null : s.field, order: s.order === "desc" ? null : s.order })}
          onOpen={(r) => router.push(`/p/${projectId}/sessions/${encodeURIComponent(r.session_id)}?span=${encodeURIComponent(r.event_id)}`)}
          height="calc(100vh - 300px)"
          footer={
            <div className="row table-footer">
              <span className="muted small" data-testid="events-loaded">Showing {formatNumber(rows.length)} of {formatNumber(total)}</span>
              {search.hasNextPage && (
                <button type="button" onClick={() => void search.fetchNextPage()} disabled={search.isFetchingNextPage} data-testid="load-more">
                  {search.isFetchingNextPage ? "Loading…" : "Load more"}
                </button>
              )}
              {search.isFetchNextPageError && <ErrorNotice error={search.error} what="load more events" />}
            </div>
          }
        />
      )}

      {adding && <AddToDatasetDialog events={adding} onClose={() => setAdding(null)} />}
    </div>
  );
}

/** Friendlier headers for the usual columns; any other column is headed by its field path. */
const headers: Record<string, string> = {
  event_type: "Type", event_name: "Name", start_time: "Start", end_time: "End", duration: "Duration", source: "Source",
  session_id: "Session", event_id: "Event id", parent_id: "Parent", error: "Error", "config.model": "Model",
  "metadata.total_tokens": "Tokens", "metadata.cost": "Cost",
};

function widthOf(name: string): string {
  if (name === "event_type") return "90px";
  if (name === "start_time" || name === "end_time") return "200px";
  if (name === "duration" || name.endsWith("cost") || name.endsWith("tokens")) return "110px";
  if (name === "event_id" || name === "session_id" || name === "parent_id") return "minmax(140px, 1fr)";
  return "minmax(120px, 1fr)";
}

function renderCell(row: HhEvent, name: string): ReactNode {
  const value = pick(row, name);
  if (value === null || value === undefined || value === "") return <span className="muted">—</span>;
  if (name === "event_type") return <span className={`badge ${String(value)}`}>{String(value)}</span>;
  if (name === "start_time" || name === "end_time") return formatTime(value as number);
  if (name === "duration") return formatDuration(Number(value));
  if (name === "error") return <span className="bad" title={String(value)}>{brief(value, 200)}</span>;
  if (name.endsWith("cost") && typeof value === "number") return formatCost(value);
  if (typeof value === "number") return formatNumber(value);
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return <span title={text.length > 2000 ? text.slice(0, 2000) + "…" : text}>{brief(value, 200)}</span>;
}

export default function Page({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  return (
    <Suspense fallback={<Loading />}>
      <EventsPage projectId={projectId} />
    </Suspense>
  );
}
