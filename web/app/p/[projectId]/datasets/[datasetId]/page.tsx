"use client";
// One dataset: its datapoints (inputs, ground truth, history, metadata in brief), each opening a JSON editor to
// change or delete it; datapoints added by hand; the dataset's name and description edited.
import { use, useMemo, useState, type FormEvent } from "react";
import Link from "next/link";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "@/lib/api";
import {
  createDatapoint, datapointPageSize, deleteDatapoint, getDataset, listDatapoints, removeFromDataset, updateDatapoint, updateDataset,
  type Datapoint, type DatapointContent, type Dataset,
} from "@/lib/datasets";
import { brief, formatNumber, formatTime } from "@/lib/format";
import { VirtualTable, type Column } from "@/components/VirtualTable";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { ModalDialog } from "@/components/ModalDialog";
import { CopyButton } from "@/components/CopyButton";
import { JsonEditor, checkJson } from "@/components/JsonEditor";

export default function DatasetPage({ params }: { params: Promise<{ projectId: string; datasetId: string }> }) {
  const { projectId, datasetId } = use(params);
  const queryClient = useQueryClient();
  const dataset = useQuery({
    queryKey: ["datasets", datasetId],
    queryFn: async () => {
      const found = await getDataset(datasetId);
      if (!found) throw new ApiError(404, "Dataset not found", `There is no dataset ${datasetId} in this project.`, null);
      return found;
    },
  });
  const points = useInfiniteQuery({
    queryKey: ["datapoints", datasetId],
    queryFn: ({ pageParam }) => listDatapoints(datasetId, pageParam),
    initialPageParam: 1,
    getNextPageParam: (last, pages) => (last.length === datapointPageSize ? pages.length + 1 : undefined),
    enabled: dataset.isSuccess,
  });
  const rows = useMemo(() => points.data?.pages.flat() ?? [], [points.data]);
  const [editing, setEditing] = useState<Datapoint | "new" | null>(null);
  const [editingDetails, setEditingDetails] = useState(false);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["datapoints", datasetId] });
    void queryClient.invalidateQueries({ queryKey: ["datasets"] });
  };

  const columns: Column<Datapoint>[] = [
    { id: "inputs", header: "Inputs", width: "minmax(200px, 2fr)", cell: (p) => <JsonBrief value={p.inputs} testId="datapoint-inputs" /> },
    { id: "ground_truth", header: "Ground truth", width: "minmax(160px, 2fr)", cell: (p) => <JsonBrief value={p.ground_truth} testId="datapoint-ground-truth" /> },
    { id: "history", header: "History", width: "90px", cell: (p) => (p.history.length ? `${p.history.length} msg` : <span className="muted">—</span>) },
    { id: "metadata", header: "Metadata", width: "minmax(120px, 1fr)", cell: (p) => <JsonBrief value={p.metadata} /> },
    { id: "linked", header: "From event", width: "110px", cell: (p) => (p.linked_event ? <span className="mono small" title={p.linked_event}>{p.linked_event.slice(0, 8)}…</span> : <span className="muted">by hand</span>) },
    { id: "updated", header: "Updated", width: "200px", cell: (p) => formatTime(p.updated_at) },
  ];

  if (dataset.isLoading) return <Loading label="Loading the dataset…" />;
  if (dataset.error) {
    return (
      <div className="stack">
        <Link href={`/p/${projectId}/datasets`}>← Datasets</Link>
        <ErrorNotice error={dataset.error} what="open the dataset" />
      </div>
    );
  }
  const d = dataset.data!;

  return (
    <div className="stack" data-testid="dataset-page">
      <Link href={`/p/${projectId}/datasets`}>← Datasets</Link>
      <div className="row">
        <h1 style={{ margin: 0 }} data-testid="dataset-title">{d.name}</h1>
        <span className="muted" data-testid="datapoint-count">{formatNumber(d.num_points)} {d.num_points === 1 ? "datapoint" : "datapoints"}</span>
        <div className="grow" />
        <button type="button" onClick={() => setEditingDetails(true)}>Edit details</button>
        <button type="button" className="primary" onClick={() => setEditing("new")} data-testid="add-datapoint">Add datapoint</button>
      </div>
      <div className="row muted small">
        {d.description && <span>{d.description}</span>}
        <span>created {formatTime(d.created_at)}</span>
        <span className="mono">{d.id}</span>
        <CopyButton value={d.id} label="Copy id" />
      </div>

      {points.isLoading ? (
        <Loading label="Loading datapoints…" />
      ) : points.error && rows.length === 0 ? (
        <ErrorNotice error={points.error} what="list the datapoints" />
      ) : rows.length === 0 ? (
        <EmptyState title="This dataset has no datapoints yet">
          <p>Add one by hand, select events in the <Link href={`/p/${projectId}/events`}>Events</Link> table and choose “Add to dataset”, or from code:</p>
          <pre>{`POST /v1/datasets/${d.id}/datapoints
{"data": [{"question": "…", "answer": "…"}], "mapping": {"inputs": ["question"], "ground_truth": ["answer"], "history": []}}`}</pre>
          <div><button type="button" className="primary" onClick={() => setEditing("new")}>Add datapoint</button></div>
        </EmptyState>
      ) : (
        <VirtualTable
          label="Datapoints"
          rows={rows}
          columns={columns}
          rowKey={(p) => p.id}
          onOpen={(p) => setEditing(p)}
          height="calc(100vh - 240px)"
          footer={
            points.hasNextPage ? (
              <div className="row table-footer">
                <button type="button" onClick={() => void points.fetchNextPage()} disabled={points.isFetchingNextPage}>
                  {points.isFetchingNextPage ? "Loading…" : "Load more"}
                </button>
                {points.isFetchNextPageError && <ErrorNotice error={points.error} what="load more datapoints" />}
              </div>
            ) : undefined
          }
        />
      )}

      {editing && (
        <DatapointEditor
          key={editing === "new" ? "new" : editing.id}
          dataset={d}
          point={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            refresh();
          }}
        />
      )}
      {editingDetails && <DetailsEditor dataset={d} onClose={() => setEditingDetails(false)} onSaved={() => { setEditingDetails(false); refresh(); }} />}
    </div>
  );
}

function JsonBrief({ value, testId }: { value: unknown; testId?: string }) {
  if (value === null || value === undefined || (typeof value === "object" && Object.keys(value).length === 0)) return <span className="muted">—</span>;
  const text = JSON.stringify(value);
  return <span className="cell-json" title={text.length > 2000 ? text.slice(0, 2000) + "…" : text} data-testid={testId}>{brief(value, 400)}</span>;
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function DatapointEditor({
  dataset, point, onClose, onSaved,
}: {
  dataset: Dataset;
  point: Datapoint | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const [inputs, setInputs] = useState(pretty(point?.inputs ?? {}));
  const [groundTruth, setGroundTruth] = useState(point?.ground_truth ? pretty(point.ground_truth) : point ? "" : "{}");
  const [history, setHistory] = useState(pretty(point?.history ?? []));
  const [metadata, setMetadata] = useState(point?.metadata ? pretty(point.metadata) : "");
  const [confirming, setConfirming] = useState(false);

  const checks = {
    inputs: checkJson(inputs, "object"),
    ground_truth: checkJson(groundTruth, "object-or-empty"),
    history: checkJson(history, "array-of-objects"),
    metadata: checkJson(metadata, "object-or-empty"),
  };
  const valid = Object.values(checks).every((c) => !c.error);

  const save = useMutation({
    mutationFn: async () => {
      const content: DatapointContent = {
        inputs: checks.inputs.value as Record<string, unknown>,
        history: checks.history.value as Record<string, unknown>[],
        ground_truth: (checks.ground_truth.value as Record<string, unknown> | null) ?? null,
        metadata: (checks.metadata.value as Record<string, unknown> | null) ?? null,
      };
      if (point) {
        // The API keeps a field that is left out; emptying ground truth or metadata stores an empty object.
        await updateDatapoint(point.id, { ...content, ground_truth: content.ground_truth ?? {}, metadata: content.metadata ?? {} });
      } else {
        await createDatapoint(dataset.id, content);
      }
    },
    onSuccess: onSaved,
  });
  const remove = useMutation({ mutationFn: () => deleteDatapoint(point!.id), onSuccess: onSaved });
  const detach = useMutation({ mutationFn: () => removeFromDataset(dataset.id, point!.id), onSuccess: onSaved });
  const otherDatasets = point ? point.linked_datasets.filter((id) => id !== dataset.id).length : 0;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (valid) save.mutate();
  }

  return (
    <ModalDialog title={point ? "Edit datapoint" : `Add a datapoint to ${dataset.name}`} onClose={onClose} wide testId="datapoint-editor">
      <form className="stack" onSubmit={submit}>
        {point && (
          <div className="row muted small">
            <span className="mono">{point.id}</span>
            <CopyButton value={point.id} label="Copy id" />
            {point.linked_event && <span>from event <span className="mono">{point.linked_event}</span></span>}
            {otherDatasets > 0 && <span>also in {otherDatasets} other {otherDatasets === 1 ? "dataset" : "datasets"}</span>}
          </div>
        )}
        <div className="editor-grid">
          <JsonEditor label="Inputs" value={inputs} onChange={setInputs} shape="object" testId="edit-inputs" />
          <JsonEditor label="Ground truth" value={groundTruth} onChange={setGroundTruth} shape="object-or-empty" testId="edit-ground-truth" />
          <JsonEditor label="History" value={history} onChange={setHistory} shape="array-of-objects" testId="edit-history" />
          <JsonEditor label="Metadata" value={metadata} onChange={setMetadata} shape="object-or-empty" testId="edit-metadata" />
        </div>
        {save.error && <ErrorNotice error={save.error} what="save the datapoint" />}
        {remove.error && <ErrorNotice error={remove.error} what="delete the datapoint" />}
        {detach.error && <ErrorNotice error={detach.error} what="remove the datapoint from the dataset" />}
        <div className="row modal-actions">
          {point && !confirming && (
            <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="delete-datapoint">Delete…</button>
          )}
          {point && confirming && (
            <>
              <span className="small">{otherDatasets > 0 ? "Delete it everywhere, or only take it out of this dataset?" : "Delete this datapoint?"}</span>
              <button type="button" className="danger" onClick={() => remove.mutate()} disabled={remove.isPending} data-testid="confirm-delete-datapoint">
                {remove.isPending ? "Deleting…" : "Delete datapoint"}
              </button>
              {otherDatasets > 0 && (
                <button type="button" onClick={() => detach.mutate()} disabled={detach.isPending}>Remove from this dataset only</button>
              )}
              <button type="button" className="link" onClick={() => setConfirming(false)}>Keep it</button>
            </>
          )}
          <div className="grow" />
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={!valid || save.isPending} data-testid="save-datapoint">
            {save.isPending ? "Saving…" : point ? "Save" : "Add datapoint"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

function DetailsEditor({ dataset, onClose, onSaved }: { dataset: Dataset; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(dataset.name);
  const [description, setDescription] = useState(dataset.description);
  const save = useMutation({ mutationFn: () => updateDataset(dataset.id, { name: name.trim(), description }), onSuccess: onSaved });
  return (
    <ModalDialog title="Dataset details" onClose={onClose}>
      <form className="stack" onSubmit={(e) => { e.preventDefault(); if (name.trim()) save.mutate(); }}>
        <label>Name<input required autoFocus maxLength={200} value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>Description<textarea rows={3} maxLength={10_000} value={description} onChange={(e) => setDescription(e.target.value)} /></label>
        {save.error && <ErrorNotice error={save.error} what="save the dataset" />}
        <div className="row">
          <div className="grow" />
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={!name.trim() || save.isPending}>{save.isPending ? "Saving…" : "Save"}</button>
        </div>
      </form>
    </ModalDialog>
  );
}
