// Datasets and their datapoints on the data plane (services/DataPlane.Api/Apis/DatasetsApi.cs, DatapointsApi.cs,
// Datasets/DatasetJson.cs): list, create, update and delete datasets; list, create, edit and delete datapoints;
// turn events into datapoints with a field mapping (POST /v1/datapoints/batch).
import { useQuery } from "@tanstack/react-query";
import { dp } from "./api";
import type { HhEvent } from "./events";

export type Dataset = {
  id: string;
  project: string;
  name: string;
  description: string;
  type: string;
  pipeline_type: string;
  datapoints: string[];
  num_points: number;
  linked_evals: string[];
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
};

export type Datapoint = {
  id: string;
  project_id: string;
  inputs: Record<string, unknown>;
  history: Record<string, unknown>[];
  ground_truth: Record<string, unknown> | null;
  metadata: Record<string, unknown> | null;
  linked_event: string | null;
  linked_datasets: string[];
  created_at: string;
  updated_at: string;
};

export type DatapointContent = {
  inputs: Record<string, unknown>;
  history: Record<string, unknown>[];
  ground_truth: Record<string, unknown> | null;
  metadata: Record<string, unknown> | null;
};

export const listDatasets = () => dp<{ datasets: Dataset[] }>("/v1/datasets").then((a) => a.datasets);

export function useDatasets() {
  return useQuery({ queryKey: ["datasets"], queryFn: listDatasets });
}

export async function getDataset(id: string): Promise<Dataset | null> {
  const answer = await dp<{ datasets: Dataset[] }>("/v1/datasets", { query: { dataset_id: id } });
  return answer.datasets[0] ?? null;
}

export async function createDataset(name: string, description: string): Promise<string> {
  const answer = await dp<{ result: { insertedId: string } }>("/v1/datasets", { body: { name, description } });
  return answer.result.insertedId;
}

export const updateDataset = (id: string, change: { name?: string; description?: string }) =>
  dp(`/v1/datasets/${encodeURIComponent(id)}`, { method: "PUT", body: change });

export const deleteDataset = (id: string) => dp(`/v1/datasets/${encodeURIComponent(id)}`, { method: "DELETE" });

/** Largest page of GET /v1/datapoints the UI asks for (the server allows 10,000). */
export const datapointPageSize = 500;

export const listDatapoints = (datasetId: string, page: number) =>
  dp<{ datapoints: Datapoint[] }>("/v1/datapoints", { query: { dataset_id: datasetId, limit: datapointPageSize, page } }).then((a) => a.datapoints);

export async function createDatapoint(datasetId: string, content: DatapointContent): Promise<string> {
  const answer = await dp<{ result: { insertedId: string } }>("/v1/datapoints", {
    body: { ...withoutNulls(content), linked_datasets: [datasetId] },
  });
  return answer.result.insertedId;
}

export const updateDatapoint = (id: string, content: Partial<DatapointContent>) =>
  dp(`/v1/datapoints/${encodeURIComponent(id)}`, { method: "PUT", body: withoutNulls(content) });

export const deleteDatapoint = (id: string) => dp(`/v1/datapoints/${encodeURIComponent(id)}`, { method: "DELETE" });

/** Takes the datapoint out of one dataset only (it stays in the others it belongs to). */
export const removeFromDataset = (datasetId: string, datapointId: string) =>
  dp(`/v1/datasets/${encodeURIComponent(datasetId)}/datapoints/${encodeURIComponent(datapointId)}`, { method: "DELETE" });

function withoutNulls<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}

// ---- Events → datapoints ----

/**
 * Which event fields become what in the datapoint: dotted paths (inputs, outputs.content, feedback.ground_truth,
 * inputs.chat_history). The server maps inputs, history and ground_truth (DatapointMapping.FromEvent); metadata
 * paths are applied here and written with a PUT after the batch.
 */
export type FieldMapping = { inputs: string[]; ground_truth: string[]; history: string[]; metadata: string[] };

/** The server's own default for events (DatapointMapping.EventDefault), with nothing in metadata. */
export const defaultMapping: FieldMapping = { inputs: ["inputs"], ground_truth: ["feedback.ground_truth"], history: [], metadata: [] };

/** Follows a dotted path, preferring the longest key that matches (keys may hold dots), like the server. */
export function resolvePath(node: unknown, path: string): { found: boolean; value?: unknown } {
  if (Array.isArray(node)) {
    const end = path.indexOf(".");
    const head = end < 0 ? path : path.slice(0, end);
    if (!/^\d+$/.test(head) || Number(head) >= node.length) return { found: false };
    return end < 0 ? { found: true, value: node[Number(head)] } : resolvePath(node[Number(head)], path.slice(end + 1));
  }
  if (node === null || typeof node !== "object") return { found: false };
  const record = node as Record<string, unknown>;
  if (path in record) return { found: true, value: record[path] };
  for (let dot = path.lastIndexOf("."); dot > 0; dot = path.lastIndexOf(".", dot - 1)) {
    const head = path.slice(0, dot);
    if (head in record) {
      const inner = resolvePath(record[head], path.slice(dot + 1));
      if (inner.found) return inner;
    }
  }
  return { found: false };
}

function lastSegment(source: Record<string, unknown>, path: string) {
  return path in source ? path : path.slice(path.lastIndexOf(".") + 1);
}

function collect(event: HhEvent, paths: string[], targetName: string): Record<string, unknown> {
  const source = event as unknown as Record<string, unknown>;
  const target: Record<string, unknown> = {};
  for (const path of paths) {
    const { found, value } = resolvePath(source, path);
    if (!found) continue;
    const segment = lastSegment(source, path);
    if (value && typeof value === "object" && !Array.isArray(value) && (!path.includes(".") || segment === targetName)) Object.assign(target, value);
    else target[segment] = value;
  }
  return target;
}

/** What the mapping makes of one event: the same rules as the server's DatapointMapping.FromEvent, for the preview and metadata. */
export function mapEvent(event: HhEvent, mapping: FieldMapping): DatapointContent {
  const history: Record<string, unknown>[] = [];
  for (const path of mapping.history) {
    const { found, value } = resolvePath(event, path);
    if (!found) continue;
    if (Array.isArray(value)) history.push(...value.filter((m): m is Record<string, unknown> => !!m && typeof m === "object" && !Array.isArray(m)));
    else if (value && typeof value === "object") history.push(value as Record<string, unknown>);
  }
  const groundTruth = collect(event, mapping.ground_truth, "ground_truth");
  const metadata = collect(event, mapping.metadata, "metadata");
  return {
    inputs: collect(event, mapping.inputs, "inputs"),
    history,
    ground_truth: Object.keys(groundTruth).length ? groundTruth : null,
    metadata: Object.keys(metadata).length ? metadata : null,
  };
}

/**
 * Adds the events to the dataset as datapoints (each keeps its event id as linked_event). The batch answers the
 * new ids in the order the events were named, so metadata (mapped here) goes to the right datapoint.
 */
export async function addEventsToDataset(datasetId: string, events: HhEvent[], mapping: FieldMapping): Promise<string[]> {
  const unique = [...new Map(events.map((e) => [e.event_id, e])).values()];
  const answer = await dp<{ inserted: boolean; insertedIds: string[] }>("/v1/datapoints/batch", {
    body: {
      events: unique.map((e) => e.event_id),
      dataset_id: datasetId,
      mapping: { inputs: mapping.inputs, history: mapping.history, ground_truth: mapping.ground_truth },
    },
  });
  const ids = answer.insertedIds ?? [];
  if (mapping.metadata.length > 0) {
    const queue = ids.map((id, i) => ({ id, metadata: mapEvent(unique[i], mapping).metadata }));
    // A few at a time: a selection of hundreds should not open hundreds of connections at once.
    const workers = Array.from({ length: Math.min(6, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (next.metadata) await updateDatapoint(next.id, { metadata: next.metadata });
      }
    });
    await Promise.all(workers);
  }
  return ids;
}

/** Paths worth offering in the mapping: the buckets, and each key one level (two for chat messages) inside them. */
export function eventPaths(events: HhEvent[]): string[] {
  const paths = new Set<string>(["inputs", "outputs", "feedback", "metadata", "config", "metrics", "user_properties", "feedback.ground_truth", "event_name", "error"]);
  for (const event of events.slice(0, 50)) {
    for (const bucket of ["inputs", "outputs", "feedback", "metadata", "config", "metrics", "user_properties"] as const) {
      const value = event[bucket];
      if (value && typeof value === "object") for (const key of Object.keys(value)) paths.add(`${bucket}.${key}`);
    }
  }
  return [...paths].sort();
}
