"use client";
// The project's experiment runs: newest first, searchable by name, narrowed by status, paged as the API pages.
// Tick two runs and press Compare to see what improved and what regressed between them.
import { Suspense, use, useMemo, useRef, useState } from "react";
import Link from "next/link";
import { useRouter, useSearchParams, usePathname } from "next/navigation";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { listRuns, runLabel, runStatuses, type Run } from "@/lib/experiments";
import { formatTime } from "@/lib/format";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { VirtualTable, type Column, type Sort } from "@/components/VirtualTable";
import { RunStatus } from "@/components/RunBits";
import { CopyButton } from "@/components/CopyButton";
import { usePlatformInfo } from "@/lib/info";

const pageSize = 50;

function Experiments({ projectId }: { projectId: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const page = Math.max(1, Number(params.get("page") ?? 1) || 1);
  const name = params.get("name") ?? "";
  const status = params.get("status") ?? "";
  const sort: Sort = { field: params.get("sort") ?? "created_at", order: params.get("order") === "asc" ? "asc" : "desc" };
  const [search, setSearch] = useState(name);
  const [selected, setSelected] = useState<string[]>([]);
  const info = usePlatformInfo();
  const api = info.data?.dp_url ?? "http://127.0.0.1:8080";

  function navigate(changes: Record<string, string | number | null>) {
    const next = new URLSearchParams(params.toString());
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "" || (key === "page" && value === 1)) next.delete(key);
      else next.set(key, String(value));
    }
    const text = next.toString();
    router.replace(text ? `${pathname}?${text}` : pathname);
  }

  const runs = useQuery({
    queryKey: ["runs", projectId, page, name, status, sort.field, sort.order],
    queryFn: ({ signal }) =>
      listRuns({ page, limit: pageSize, name: name || undefined, status: status || undefined, sort_by: sort.field, sort_order: sort.order }, signal),
    placeholderData: keepPreviousData,
    // A run in progress changes status on its own: keep the list current while one is shown.
    refetchInterval: (query) => (query.state.data?.evaluations.some((r) => r.status === "pending" || r.status === "running") ? 5_000 : false),
  });

  const byId = useMemo(() => new Map((runs.data?.evaluations ?? []).map((r) => [r.id, r])), [runs.data]);
  // Runs ticked on another page stay known, so two runs from different pages can be compared.
  const remembered = useRef(new Map<string, Run>()).current;
  for (const run of runs.data?.evaluations ?? []) remembered.set(run.id, run);

  function toggle(id: string) {
    setSelected((current) => (current.includes(id) ? current.filter((x) => x !== id) : [...current.slice(-1), id]));
  }

  function compare() {
    if (selected.length !== 2) return;
    const [one, two] = selected.map((id) => remembered.get(id) ?? byId.get(id));
    // The newer run is compared against the older one (the baseline).
    const [newer, older] = one && two && one.created_at < two.created_at ? [two, one] : [one, two];
    router.push(`/p/${projectId}/experiments/compare?a=${encodeURIComponent(newer!.id)}&b=${encodeURIComponent(older!.id)}`);
  }

  const columns: Column<Run>[] = [
    {
      id: "select",
      header: "",
      width: "36px",
      cell: (run) => (
        <input
          type="checkbox"
          aria-label={`Select ${runLabel(run)} for comparison`}
          data-testid="run-select"
          checked={selected.includes(run.id)}
          onClick={(e) => e.stopPropagation()}
          onChange={() => toggle(run.id)}
        />
      ),
    },
    {
      id: "name",
      header: "Name",
      width: "minmax(220px, 2fr)",
      sortField: "name",
      cell: (run) => (
        <Link href={`/p/${projectId}/experiments/${run.id}`} onClick={(e) => e.stopPropagation()} data-testid="run-name">
          {runLabel(run)}
        </Link>
      ),
    },
    { id: "status", header: "Status", width: "110px", sortField: "status", cell: (run) => <RunStatus status={run.status} /> },
    { id: "dataset", header: "Dataset", width: "minmax(120px, 1fr)", cell: (run) => <span className="mono small" title={run.dataset_id}>{run.dataset_id ?? "—"}</span> },
    { id: "datapoints", header: "Datapoints", width: "100px", cell: (run) => run.datapoint_ids.length || "—" },
    { id: "sessions", header: "Sessions", width: "90px", cell: (run) => new Set([...run.event_ids, ...run.session_ids]).size || "—" },
    {
      id: "evaluators",
      header: "Evaluators",
      width: "minmax(120px, 1fr)",
      cell: (run) => <span className="small">{run.evaluators.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join(", ") || "—"}</span>,
    },
    { id: "created", header: "Created", width: "190px", sortField: "created_at", cell: (run) => formatTime(run.created_at) },
    { id: "id", header: "Id", width: "96px", cell: (run) => <CopyButton value={run.id} label="Copy id" /> },
  ];

  const data = runs.data;
  const filtered = name !== "" || status !== "";
  const nothingAtAll = data && data.pagination.total_unfiltered === 0;

  return (
    <div className="stack" data-testid="experiments-page">
      <div className="row">
        <h1 style={{ margin: 0 }}>Experiments</h1>
        <div style={{ flex: 1 }} />
        <span className="muted small" aria-live="polite">
          {selected.length === 0 ? "Tick two runs to compare them" : selected.length === 1 ? "Tick one more run" : "Ready to compare"}
        </span>
        <button type="button" className="primary" disabled={selected.length !== 2} onClick={compare} data-testid="compare-button">
          Compare{selected.length ? ` (${selected.length}/2)` : ""}
        </button>
      </div>

      {!nothingAtAll && (
        <form
          className="row"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            navigate({ name: search.trim(), page: 1 });
          }}
        >
          <input aria-label="Search runs by name" placeholder="Search by name" value={search} onChange={(e) => setSearch(e.target.value)} style={{ minWidth: 240 }} />
          <button type="submit">Search</button>
          <select aria-label="Status" value={status} onChange={(e) => navigate({ status: e.target.value, page: 1 })}>
            <option value="">Any status</option>
            {runStatuses.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
          {filtered && (
            <button type="button" className="link" onClick={() => { setSearch(""); navigate({ name: null, status: null, page: 1 }); }}>
              Clear
            </button>
          )}
        </form>
      )}

      {runs.isLoading && <Loading label="Loading runs…" />}
      {runs.error && <ErrorNotice error={runs.error} what="list the experiment runs" />}

      {nothingAtAll && (
        <EmptyState title="No experiment runs yet">
          <p>
            A run groups the sessions an evaluation produced, one per datapoint, with the scores your evaluators gave them. Run
            an experiment from the SDK (<code>evaluate()</code> in the Python or TypeScript SDK), or with the data-plane API:
          </p>
          <pre>{`# a run over a dataset, with a configuration and evaluators, as a workflow
curl -X POST ${api}/v1/experiments -H "authorization: Bearer $HH_API_KEY" \\
  -H 'content-type: application/json' \\
  -d '{"name":"baseline","dataset_id":"…","configuration_id":"…","metrics":["accuracy"]}'

# or your own harness: create the run, then tag each session with it
curl -X POST ${api}/v1/runs -H "authorization: Bearer $HH_API_KEY" \\
  -H 'content-type: application/json' -d '{"name":"baseline"}'
#   → send events with metadata.run_id, metadata.datapoint_id and metrics`}</pre>
          <p className="small">
            <code>$HH_API_KEY</code> is a project API key from <Link href={`/p/${projectId}/settings`}>Settings → API keys</Link>.
          </p>
        </EmptyState>
      )}

      {data && !nothingAtAll && data.evaluations.length === 0 && (
        <EmptyState title="No run matches">
          <p>No run of this project has a name containing “{name}”{status ? ` and status ${status}` : ""}. Clear the search to see all {data.pagination.total_unfiltered} runs.</p>
        </EmptyState>
      )}

      {data && data.evaluations.length > 0 && (
        <VirtualTable
          label="Experiment runs"
          rows={data.evaluations}
          columns={columns}
          rowKey={(run) => run.id}
          onOpen={(run) => router.push(`/p/${projectId}/experiments/${run.id}`)}
          sort={sort}
          onSort={(next) => navigate({ sort: next.field === "created_at" ? null : next.field, order: next.order === "desc" ? null : "asc", page: 1 })}
          height={`min(calc(100vh - 260px), ${(data.evaluations.length + 1) * 34 + 4}px)`}
        />
      )}

      {data && data.pagination.total_pages > 1 && (
        <div className="row" aria-label="Pages">
          <button type="button" disabled={!data.pagination.has_prev} onClick={() => navigate({ page: page - 1 })}>← Previous</button>
          <span className="muted small">Page {data.pagination.page} of {data.pagination.total_pages} · {data.pagination.total} runs</span>
          <button type="button" disabled={!data.pagination.has_next} onClick={() => navigate({ page: page + 1 })}>Next →</button>
        </div>
      )}
      {data && data.pagination.total_pages <= 1 && data.evaluations.length > 0 && (
        <span className="muted small">{data.pagination.total} run{data.pagination.total === 1 ? "" : "s"} · Enter or a click opens a run; ↑/↓ move</span>
      )}
    </div>
  );
}

export default function Page({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  return (
    <Suspense fallback={<Loading />}>
      <Experiments projectId={projectId} />
    </Suspense>
  );
}
