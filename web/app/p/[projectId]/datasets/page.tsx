"use client";
// The project's datasets: name, description, how many datapoints, when created; create one, delete one, open one.
import { use, useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { createDataset, deleteDataset, useDatasets, type Dataset } from "@/lib/datasets";
import { formatNumber, formatTime } from "@/lib/format";
import { VirtualTable, type Column } from "@/components/VirtualTable";
import { EmptyState, ErrorNotice, Loading } from "@/components/Feedback";
import { ModalDialog } from "@/components/ModalDialog";

export default function DatasetsPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  const router = useRouter();
  const queryClient = useQueryClient();
  const datasets = useDatasets();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Dataset | null>(null);

  const remove = useMutation({
    mutationFn: (dataset: Dataset) => deleteDataset(dataset.id),
    onSuccess: () => {
      setDeleting(null);
      void queryClient.invalidateQueries({ queryKey: ["datasets"] });
    },
  });

  const open = (d: Dataset) => router.push(`/p/${projectId}/datasets/${d.id}`);
  const columns: Column<Dataset>[] = [
    { id: "name", header: "Name", width: "minmax(160px, 1fr)", cell: (d) => <strong data-testid="dataset-name">{d.name}</strong> },
    { id: "description", header: "Description", width: "minmax(200px, 2fr)", cell: (d) => <span className="muted" title={d.description}>{d.description || "—"}</span> },
    { id: "count", header: "Datapoints", width: "110px", cell: (d) => <span data-testid="dataset-count">{formatNumber(d.num_points)}</span> },
    { id: "created", header: "Created", width: "210px", cell: (d) => formatTime(d.created_at) },
    {
      id: "actions",
      header: "",
      width: "90px",
      cell: (d) => (
        <button type="button" className="danger" aria-label={`Delete dataset ${d.name}`}
          onClick={(e) => {
            e.stopPropagation();
            remove.reset();
            setDeleting(d);
          }}
        >
          Delete
        </button>
      ),
    },
  ];

  return (
    <div className="stack" data-testid="datasets-page">
      <div className="row">
        <h1 style={{ margin: 0 }}>Datasets</h1>
        {datasets.data && <span className="muted">{formatNumber(datasets.data.length)}</span>}
        <div className="grow" />
        <button type="button" className="primary" onClick={() => setCreating(true)} data-testid="create-dataset">New dataset</button>
      </div>
      <p className="muted small" style={{ margin: 0 }}>
        Datasets hold the inputs and expected outputs experiments run against. Add events to one from the Events table or a trace, or add datapoints by hand.
      </p>

      {datasets.isLoading ? (
        <Loading label="Loading datasets…" />
      ) : datasets.error ? (
        <ErrorNotice error={datasets.error} what="list the datasets" />
      ) : datasets.data!.length === 0 ? (
        <EmptyState title="No datasets yet">
          <p>Create one here, select events in the <a href={`/p/${projectId}/events`}>Events</a> table and choose “Add to dataset”, or from code:</p>
          <pre>{`POST /v1/datasets {"name": "golden questions"}
POST /v1/datapoints {"inputs": {...}, "ground_truth": {...}, "linked_datasets": ["<dataset id>"]}`}</pre>
          <div><button type="button" className="primary" onClick={() => setCreating(true)}>New dataset</button></div>
        </EmptyState>
      ) : (
        <VirtualTable label="Datasets" rows={datasets.data!} columns={columns} rowKey={(d) => d.id} onOpen={open} height="calc(100vh - 200px)" />
      )}

      {creating && (
        <CreateDatasetDialog
          onClose={() => setCreating(false)}
          onCreated={(id) => {
            setCreating(false);
            void queryClient.invalidateQueries({ queryKey: ["datasets"] });
            router.push(`/p/${projectId}/datasets/${id}`);
          }}
        />
      )}
      {deleting && (
        <ModalDialog title={`Delete dataset “${deleting.name}”?`} onClose={() => setDeleting(null)} testId="delete-dataset-dialog">
          <p>
            The dataset and its list of {formatNumber(deleting.num_points)} datapoints are deleted. The datapoints themselves stay: they
            remain readable by id and in any other dataset they belong to.
          </p>
          {remove.error && <ErrorNotice error={remove.error} what="delete the dataset" />}
          <div className="row">
            <div className="grow" />
            <button type="button" onClick={() => setDeleting(null)} autoFocus>Cancel</button>
            <button type="button" className="primary" onClick={() => remove.mutate(deleting)} disabled={remove.isPending} data-testid="confirm-delete">
              {remove.isPending ? "Deleting…" : "Delete"}
            </button>
          </div>
        </ModalDialog>
      )}
    </div>
  );
}

function CreateDatasetDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (id: string) => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation({ mutationFn: () => createDataset(name.trim(), description.trim()), onSuccess: onCreated });
  function submit(event: FormEvent) {
    event.preventDefault();
    if (name.trim()) create.mutate();
  }
  return (
    <ModalDialog title="New dataset" onClose={onClose} testId="create-dataset-dialog">
      <form className="stack" onSubmit={submit}>
        <label>Name<input required autoFocus maxLength={200} value={name} onChange={(e) => setName(e.target.value)} data-testid="dataset-name-input" /></label>
        <label>Description<textarea rows={3} maxLength={10_000} value={description} onChange={(e) => setDescription(e.target.value)} /></label>
        {create.error && <ErrorNotice error={create.error} what="create the dataset" />}
        <div className="row">
          <div className="grow" />
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={!name.trim() || create.isPending} data-testid="dataset-create-submit">
            {create.isPending ? "Creating…" : "Create"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
