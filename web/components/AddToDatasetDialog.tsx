"use client";
// Turns events (rows of the events table, or one span of a trace) into datapoints of a dataset: choose a dataset
// or create one, say which event fields become the datapoint's inputs, ground truth, history and metadata, see
// the first datapoint as it will be stored, then add. The server maps each event (POST /v1/datapoints/batch)
// and keeps its id as the datapoint's linked_event.
import { useMemo, useState, type FormEvent } from "react";
import Link from "next/link";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { getCurrentProject } from "@/lib/api";
import type { HhEvent } from "@/lib/events";
import {
  addEventsToDataset, createDataset, defaultMapping, eventPaths, mapEvent, useDatasets, type FieldMapping,
} from "@/lib/datasets";
import { ModalDialog } from "./ModalDialog";
import { ErrorNotice, Loading } from "./Feedback";
import { JsonView } from "./JsonView";

const targets: { key: keyof FieldMapping; label: string; hint: string }[] = [
  { key: "inputs", label: "Inputs", hint: "what the application was given" },
  { key: "ground_truth", label: "Ground truth", hint: "the expected output" },
  { key: "history", label: "History", hint: "chat messages: an array of {role, content}" },
  { key: "metadata", label: "Metadata", hint: "anything to keep beside" },
];

export function AddToDatasetDialog({ events, onClose }: { events: HhEvent[]; onClose: () => void }) {
  const datasets = useDatasets();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<"existing" | "new" | null>(null);
  const [datasetId, setDatasetId] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [mapping, setMapping] = useState<FieldMapping>(defaultMapping);
  const paths = useMemo(() => eventPaths(events), [events]);
  const preview = useMemo(() => (events[0] ? mapEvent(events[0], mapping) : null), [events, mapping]);
  const count = new Set(events.map((e) => e.event_id)).size;

  // With no dataset yet, creating one is the only choice.
  const chosenMode = mode ?? (datasets.data && datasets.data.length === 0 ? "new" : "existing");
  const chosenId = datasetId || datasets.data?.[0]?.id || "";

  const add = useMutation({
    mutationFn: async () => {
      const target = chosenMode === "new" ? await createDataset(name.trim(), description.trim()) : chosenId;
      const ids = await addEventsToDataset(target, events, mapping);
      const targetName = chosenMode === "new" ? name.trim() : datasets.data?.find((d) => d.id === target)?.name ?? target;
      return { datasetId: target, name: targetName, added: ids.length };
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ["datasets"] });
      void queryClient.invalidateQueries({ queryKey: ["datapoints"] });
    },
  });

  const ready = count > 0 && (chosenMode === "new" ? name.trim().length > 0 : chosenId !== "") && !add.isPending;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (ready) add.mutate();
  }

  const title = `Add ${count} ${count === 1 ? "event" : "events"} to a dataset`;

  if (add.isSuccess) {
    const result = add.data;
    return (
      <ModalDialog title={title} onClose={onClose} testId="add-to-dataset-dialog">
        <div className="notice" role="status" data-testid="add-to-dataset-done">
          Added {result.added} {result.added === 1 ? "datapoint" : "datapoints"} to <strong>{result.name}</strong>.
        </div>
        <div className="row" style={{ marginTop: 12 }}>
          <Link className="button" href={`/p/${getCurrentProject()}/datasets/${result.datasetId}`} data-testid="open-dataset">Open the dataset</Link>
          <div className="grow" />
          <button type="button" className="primary" autoFocus onClick={onClose}>Done</button>
        </div>
      </ModalDialog>
    );
  }

  return (
    <ModalDialog title={title} onClose={onClose} wide testId="add-to-dataset-dialog">
      <form className="stack" onSubmit={submit}>
        <fieldset className="plain">
          <legend>Dataset</legend>
          {datasets.isLoading && <Loading label="Loading datasets…" />}
          {datasets.error && <ErrorNotice error={datasets.error} what="list the datasets" />}
          {datasets.data && (
            <div className="stack">
              <div className="row">
                <label className="inline">
                  <input type="radio" name="dataset-mode" checked={chosenMode === "existing"} disabled={datasets.data.length === 0} onChange={() => setMode("existing")} />
                  Existing dataset
                </label>
                <label className="inline">
                  <input type="radio" name="dataset-mode" checked={chosenMode === "new"} onChange={() => setMode("new")} data-testid="new-dataset-mode" />
                  New dataset
                </label>
              </div>
              {chosenMode === "existing" ? (
                <select aria-label="Dataset" value={chosenId} onChange={(e) => setDatasetId(e.target.value)} data-testid="dataset-select">
                  {datasets.data.map((d) => (
                    <option key={d.id} value={d.id}>{`${d.name} (${d.num_points} datapoints)`}</option>
                  ))}
                </select>
              ) : (
                <div className="row">
                  <label className="grow">Name<input required value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="new-dataset-name" autoFocus /></label>
                  <label className="grow">Description<input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={10_000} /></label>
                </div>
              )}
            </div>
          )}
        </fieldset>

        <fieldset className="plain">
          <legend>Field mapping</legend>
          <p className="muted small" style={{ margin: 0 }}>
            Dotted paths of the event. A whole bucket (<code>inputs</code>, <code>outputs</code>) merges its keys; a path like{" "}
            <code>outputs.content</code> is stored under its last segment. Paths an event lacks are skipped for it.
          </p>
          <datalist id="event-paths">{paths.map((p) => <option key={p} value={p} />)}</datalist>
          {targets.map((t) => (
            <PathList key={t.key} label={t.label} hint={t.hint} paths={mapping[t.key]} onChange={(list) => setMapping({ ...mapping, [t.key]: list })} />
          ))}
          <div className="row small">
            <span className="muted">Presets:</span>
            <button type="button" className="link" onClick={() => setMapping(defaultMapping)}>inputs → inputs, feedback.ground_truth → ground truth</button>
            <button type="button" className="link" onClick={() => setMapping({ inputs: ["inputs"], ground_truth: ["outputs"], history: [], metadata: ["config.model"] })}>
              outputs → ground truth
            </button>
            <button type="button" className="link" onClick={() => setMapping({ inputs: [], ground_truth: ["outputs"], history: ["inputs.chat_history"], metadata: ["config.model"] })}>
              chat: inputs.chat_history → history
            </button>
          </div>
        </fieldset>

        {preview && (
          <details className="section" open>
            <summary>First datapoint, as it will be stored</summary>
            <div data-testid="mapping-preview"><JsonView value={preview} /></div>
            {Object.keys(preview.inputs).length === 0 && preview.history.length === 0 && (
              <div className="warn small" style={{ padding: "0 10px 8px" }}>This event gives the datapoint no inputs and no history; check the mapping.</div>
            )}
          </details>
        )}

        {add.error && <ErrorNotice error={add.error} what="add the events to the dataset" />}
        <div className="row modal-actions">
          <div className="grow" />
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={!ready} data-testid="add-to-dataset-submit">
            {add.isPending ? "Adding…" : `Add ${count} ${count === 1 ? "datapoint" : "datapoints"}`}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

/** A list of paths as removable chips, with a field to add one (suggestions from the events' own fields). */
function PathList({ label, hint, paths, onChange }: { label: string; hint: string; paths: string[]; onChange: (paths: string[]) => void }) {
  const [draft, setDraft] = useState("");
  const slug = label.split(" ")[0].toLowerCase();
  function add() {
    const path = draft.trim();
    if (path && !paths.includes(path)) onChange([...paths, path]);
    setDraft("");
  }
  return (
    <div className="mapping-row" data-testid={`mapping-${slug}`}>
      <div>
        <div>{label}</div>
        <div className="muted small">{hint}</div>
      </div>
      <div className="row">
        {paths.map((p) => (
          <span key={p} className="badge mono">
            {p}{" "}
            <button type="button" className="link" aria-label={`Remove ${p} from ${label}`} onClick={() => onChange(paths.filter((x) => x !== p))}>×</button>
          </span>
        ))}
        <input
          list="event-paths"
          aria-label={`Add a field to ${label}`}
          placeholder="add a field…"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              add();
            }
          }}
          style={{ minWidth: 180 }}
        />
        <button type="button" onClick={add} disabled={!draft.trim()}>Add</button>
      </div>
    </div>
  );
}
