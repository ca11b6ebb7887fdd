// Annotation queues (services/Evaluation/Queues/QueuesApi.cs): a queue holds events (matched by its filters
// or added by id); people score its items against a HUMAN evaluator of the project. Items come in queue
// order with their event and scores; progress and agreement (people vs an automatic judge) are read per queue.
import { dp } from "./api";
import type { HhEvent } from "./events";
import type { MetricFilter } from "./evaluators";

export type Queue = {
  id: string;
  name: string;
  description: string;
  filters: { filterArray: MetricFilter[] };
  enabled: boolean;
  is_active: boolean;
  created_at: string;
  updated_at: string | null;
  assignees: string[];
};

export type QueueScore = { event_id: string; metric: string; annotator: string; value: unknown; comment: string | null; updated_at: string };
export type QueueItem = {
  event_id: string;
  position: number;
  source: string;
  assignee: string | null;
  status: "pending" | "scored";
  scores: QueueScore[];
  event: HhEvent | null;
};
export type QueueProgress = {
  total: number;
  scored: number;
  pending: number;
  by_assignee: { assignee: string | null; total: number; scored: number }[];
  by_metric: { metric: string; scored_items: number; scores: number }[];
};
export type Agreement = {
  metric: string;
  judge: string;
  return_type: string;
  n: number;
  exact_agreement: number | null;
  cohens_kappa: number | null;
  mean_absolute_error: number | null;
  pearson: number | null;
};

export type NewQueue = { name: string; description: string; filters: { filterArray: MetricFilter[] }; enabled: boolean; event_ids: string[] };

const path = (id: string) => `/v1/queues/${encodeURIComponent(id)}`;

export const listQueues = (signal?: AbortSignal) => dp<{ queues: Queue[] }>("/v1/queues", { query: { limit: 1000 }, signal }).then((r) => r.queues);
export const getQueue = (id: string, signal?: AbortSignal) => dp<Queue>(path(id), { signal });
export const createQueue = (queue: NewQueue) => dp<{ queue: Queue }>("/v1/queues", { body: queue }).then((r) => r.queue);
export const deleteQueue = (id: string) => dp(path(id), { method: "DELETE" });
export const setQueueEnabled = (queue: Queue, enabled: boolean) =>
  dp<{ queue: Queue }>(path(queue.id), { method: "PUT", body: { id: queue.id, enabled } }).then((r) => r.queue);
export const queueItems = (id: string, query: { status?: "pending" | "scored"; cursor?: string | null; limit?: number }, signal?: AbortSignal) =>
  dp<{ items: QueueItem[]; next_cursor: string | null }>(`${path(id)}/items`, { query: { ...query }, signal });
export const queueProgress = (id: string, signal?: AbortSignal) => dp<QueueProgress>(`${path(id)}/progress`, { signal });
export const queueAgreement = (id: string, metric: string, judge: string, signal?: AbortSignal) =>
  dp<Agreement>(`${path(id)}/agreement`, { query: { metric, judge }, signal });
export const scoreItem = (queueId: string, eventId: string, score: { metric: string; value: unknown; comment?: string }) =>
  dp<{ score: QueueScore; event_value: unknown }>(`${path(queueId)}/items/${encodeURIComponent(eventId)}/scores`, { body: score });
