// Evaluators are the data plane's metric definitions (services/DataPlane.Api/Apis/MetricsApi.cs,
// Metrics/MetricDefinition.cs): a PYTHON function, an LLM judge prompt, a HUMAN rating or a COMPOSITE of
// others. Saving is create or update (every update is a new, deployed version); running one on an event
// is POST /v1/metrics/run (MetricRunsApi.cs), which answers the value or the error with its code.
import { ApiError, dp } from "./api";

export type MetricType = "PYTHON" | "LLM" | "HUMAN" | "COMPOSITE";
export type ReturnType = "float" | "boolean" | "string" | "categorical";
export type MetricFilter = { field: string; operator: string; value?: string | number | boolean | null; type: string };

export type MetricDefinition = {
  name: string;
  type: MetricType;
  criteria: string;
  description: string;
  return_type: ReturnType;
  enabled_in_prod: boolean;
  needs_ground_truth: boolean;
  sampling_percentage: number;
  model_provider: string | null;
  model_name: string | null;
  scale: number | null;
  threshold: { min?: number; max?: number; pass_when?: boolean | number; passing_categories?: string[] } | null;
  categories: { category: string; score: number | null }[] | null;
  child_metrics: { id?: string; name: string; weight: number; scale?: number | null }[] | null;
  filters: { filterArray: MetricFilter[] };
};

export type Metric = MetricDefinition & { id: string; created_at: string; updated_at: string | null };
export type MetricVersion = { name: string; full_sha: string; message: string; date: string; deployed: boolean; content: MetricDefinition };

export const metricTypes: { type: MetricType; label: string; hint: string }[] = [
  { type: "PYTHON", label: "Python", hint: "A Python function of the event, run in a sandbox." },
  { type: "LLM", label: "LLM judge", hint: "A prompt sent to a model, which answers a score and an explanation." },
  { type: "HUMAN", label: "Human", hint: "A rating people give in an annotation queue or on a trace." },
  { type: "COMPOSITE", label: "Composite", hint: "Combines other evaluators' scores (weighted average, min, max, all/any pass)." },
];
export const typeLabel = (type: string) => metricTypes.find((t) => t.type === type)?.label ?? type;
export const returnTypes: ReturnType[] = ["float", "boolean", "string", "categorical"];
export const compositeAggregates = ["weighted_average", "sum", "min", "max", "all_pass", "any_pass"];
export const providers = ["openai", "anthropic", "azure", "gemini", "vertex", "bedrock"];

export const listMetrics = (signal?: AbortSignal, type?: MetricType) =>
  dp<{ metrics: Metric[] }>("/v1/metrics", { query: { type, limit: 1000 }, signal }).then((r) => r.metrics);
export const getMetric = (id: string, signal?: AbortSignal) => dp<Metric>(`/v1/metrics/${encodeURIComponent(id)}`, { signal });
export const createMetric = (definition: MetricDefinition) => dp<{ inserted: boolean; metric_id: string }>("/v1/metrics", { body: definition });
export const updateMetric = (id: string, definition: MetricDefinition) =>
  dp<{ updated: boolean }>(`/v1/metrics/${encodeURIComponent(id)}`, { method: "PUT", body: definition });
export const deleteMetric = (id: string) => dp<{ deleted: boolean }>(`/v1/metrics/${encodeURIComponent(id)}`, { method: "DELETE" });
export const listVersions = (id: string, signal?: AbortSignal) =>
  dp<{ data: MetricVersion[] }>(`/v1/metrics/${encodeURIComponent(id)}/versions`, { query: { limit: 100 }, signal }).then((r) => r.data);
export const deployVersion = (id: string, version: string) =>
  dp(`/v1/metrics/${encodeURIComponent(id)}/versions/${encodeURIComponent(version)}/deploy`, { method: "POST" });

export type RunAnswer = { success: true; result: unknown; explanation: string | null; passed?: boolean };
export type RunFailure = { code: string; message: string; line: number | null; status: number; fields?: Record<string, string[]> };

/** Runs a definition (saved or not) on an event, named by id or given whole; the failure keeps the server's code and line. */
export async function runMetric(definition: MetricDefinition, event: { event_id: string } | Record<string, unknown>): Promise<RunAnswer | RunFailure> {
  try {
    return await dp<RunAnswer>("/v1/metrics/run", { body: { metric: definition, event } });
  } catch (error) {
    if (error instanceof ApiError) return failure(error);
    throw error;
  }
}

export function isFailure(answer: RunAnswer | RunFailure): answer is RunFailure {
  return (answer as RunFailure).code !== undefined;
}

function failure(error: ApiError): RunFailure {
  const body = (error.body ?? {}) as { errorCode?: string; message?: string; detail?: string; errors?: Record<string, string[]> };
  const message = body.message ?? body.detail ?? error.message;
  const code = body.errorCode ?? (error.status === 400 ? "invalid_request" : error.status === 404 ? "not_found" : `http_${error.status}`);
  return { code, message, line: errorLine(message), status: error.status, fields: body.errors };
}

/**
 * The line of the metric's code an error points at: "(line 2)" in a compilation error, else the last
 * `File "<metric>", line N` frame of a traceback (the innermost frame of the user's code).
 */
export function errorLine(message: string | undefined | null): number | null {
  if (!message) return null;
  const frames = [...message.matchAll(/File "<metric>", line (\d+)/g)];
  if (frames.length > 0) return Number(frames[frames.length - 1][1]);
  const compile = /\(line (\d+)\)/.exec(message) ?? /\bline (\d+)\b/.exec(message);
  return compile ? Number(compile[1]) : null;
}

/**
 * Whether Python code compiles, asked of the server (the only Python that counts is the sandbox's): the code
 * is run on an empty event; a compilation error is the answer, anything else (an empty event may well make the
 * function raise) means it compiled.
 */
export async function checkPython(definition: MetricDefinition): Promise<RunFailure | null> {
  const probe: MetricDefinition = { ...definition, needs_ground_truth: false, name: definition.name.trim() || "metric" };
  const answer = await runMetric(probe, { inputs: {}, outputs: {}, feedback: {}, metadata: {}, config: {}, metrics: {}, user_properties: {} });
  if (!isFailure(answer)) return null;
  if (answer.code === "compilation_error") return answer;
  // The engine itself failed or is busy: nothing is known about the code, which the caller must hear.
  if (answer.status >= 500 || answer.status === 429) throw new Error(`${answer.message} (HTTP ${answer.status})`);
  return null;
}

export const pythonTemplate = `def my_metric(event):
    """Scores one event. event holds inputs, outputs, feedback, metadata, config,
    metrics and user_properties (dicts), and ground_truth when the event has one.
    The function named like the evaluator is called (else the last one defined)."""
    answer = str(event["outputs"].get("content", ""))
    return len(answer) > 0
`;

export const judgeTemplate = `You are grading an AI assistant's answer.

Question:
{{inputs.question}}

Answer:
{{outputs.content}}

Rate from 1 to 5 how well the answer addresses the question: 5 is complete and correct,
1 is wrong or off-topic. Explain your rating in one sentence.
`;

export function blankDefinition(type: MetricType): MetricDefinition {
  const base: MetricDefinition = {
    name: "",
    type,
    criteria: "",
    description: "",
    return_type: "float",
    enabled_in_prod: type === "HUMAN",
    needs_ground_truth: false,
    sampling_percentage: 10,
    model_provider: null,
    model_name: null,
    scale: null,
    threshold: null,
    categories: null,
    child_metrics: null,
    filters: { filterArray: [] },
  };
  if (type === "PYTHON") return { ...base, name: "my_metric", criteria: pythonTemplate, return_type: "boolean" };
  if (type === "LLM") return { ...base, criteria: judgeTemplate, model_provider: "openai", model_name: "gpt-4o-mini", scale: 5, threshold: { min: 3 } };
  if (type === "HUMAN") return { ...base, criteria: "Rate how helpful the answer is, from 1 (useless) to 5 (perfect).", scale: 5 };
  return { ...base, criteria: "weighted_average", child_metrics: [] };
}

/** The editable fields of a stored metric (id and times dropped), every field present. */
export function definitionOf(metric: Metric | MetricDefinition): MetricDefinition {
  return {
    name: metric.name,
    type: metric.type,
    criteria: metric.criteria,
    description: metric.description ?? "",
    return_type: metric.return_type ?? "float",
    enabled_in_prod: metric.enabled_in_prod ?? false,
    needs_ground_truth: metric.needs_ground_truth ?? false,
    sampling_percentage: metric.sampling_percentage ?? 10,
    model_provider: metric.model_provider ?? null,
    model_name: metric.model_name ?? null,
    scale: metric.scale ?? null,
    threshold: metric.threshold ?? null,
    categories: metric.categories ?? null,
    child_metrics: metric.child_metrics ?? null,
    filters: metric.filters ?? { filterArray: [] },
  };
}
