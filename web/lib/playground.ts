// The playground's calls: prompt configurations and their versions (services/DataPlane.Api/Apis/ConfigurationsApi.cs),
// the workspace's models (services/LlmProxy/Apis/ModelsApi.cs), and a run streamed as server-sent events in OpenAI's
// chunk format, either of a saved configuration (POST /v1/playground/run, PlaygroundApi.cs) or of a blank prompt
// (POST /v1/chat/completions). Errors come in OpenAI's shape ({"error": {message, type, code, param}}).
import { ApiError, dp } from "./api";

export type Message = { role: string; content: string };

export type ConfigurationParameters = {
  call_type: "chat" | "completion";
  model: string;
  hyperparameters?: Record<string, unknown>;
  template?: Message[] | string;
  [key: string]: unknown;
};

export type Configuration = {
  id: string;
  name: string;
  type: string;
  provider: string;
  parameters: ConfigurationParameters;
  env: string[];
  tags: string[];
  user_properties?: Record<string, unknown> | null;
  version: number;
  created_at: string;
  updated_at: string | null;
};

export type ConfigurationVersion = { version: number; current: boolean; created_at: string; configuration: Configuration };

export type Model = { id: string; object: "model"; created: number; owned_by: string };

export const listConfigurations = async () => (await dp<{ configurations: Configuration[] }>("/v1/configurations", { query: { limit: 1000 } })).configurations;

export const getConfiguration = (id: string) => dp<Configuration>(`/v1/configurations/${id}`);

export const listVersions = async (id: string) => (await dp<{ versions: ConfigurationVersion[] }>(`/v1/configurations/${id}/versions`)).versions;

export const listModels = async () => (await dp<{ data: Model[] }>("/v1/models")).data;

export const createConfiguration = (body: { name: string; type: string; provider: string; parameters: ConfigurationParameters }) =>
  dp<{ acknowledged: boolean; insertedId: string }>("/v1/configurations", { method: "POST", body });

/** A PUT never overwrites: the fields given replace the current version's and the result is the next version. */
export const saveVersion = (id: string, body: { name: string; provider: string; parameters: ConfigurationParameters }) =>
  dp<{ acknowledged: boolean; version: number }>(`/v1/configurations/${id}`, { method: "PUT", body });

/** HoneyHive's {{variable}} placeholders, as the proxy's PromptTemplate reads them. */
const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

export function variablesOf(messages: Message[]): string[] {
  const found: string[] = [];
  for (const message of messages) {
    for (const match of message.content.matchAll(placeholder)) if (!found.includes(match[1])) found.push(match[1]);
  }
  return found;
}

/** For a blank prompt (no configuration to render server-side): the messages with every placeholder filled. */
export function render(messages: Message[], inputs: Record<string, string>): Message[] {
  return messages.map((m) => ({ ...m, content: m.content.replace(placeholder, (whole, name: string) => (name in inputs ? inputs[name] : whole)) }));
}

/** "provider/model" as the proxy routes it, or an alias (no slash). */
export function splitModel(model: string): { provider: string | null; model: string } {
  const slash = model.indexOf("/");
  if (slash <= 0 || slash === model.length - 1) return { provider: null, model: model.trim() };
  return { provider: model.slice(0, slash).trim().toLowerCase(), model: model.slice(slash + 1).trim() };
}

/** An error of a run, as the proxy words it. */
export class RunError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type?: string,
    readonly code?: string | null,
    readonly param?: string | null,
  ) {
    super(message);
  }
}

function runError(error: unknown): RunError {
  if (error instanceof ApiError) {
    const body = error.body as { error?: { message?: string; type?: string; code?: string | null; param?: string | null } } | undefined;
    if (body?.error?.message) return new RunError(error.status, body.error.message, body.error.type, body.error.code, body.error.param);
    const problem = error.body as { required_permission?: string } | undefined;
    return new RunError(error.status, error.message, error.status === 403 ? "permission_error" : undefined, problem?.required_permission ? "missing_permission" : null);
  }
  if (error instanceof RunError) return error;
  return new RunError(0, error instanceof Error ? error.message : String(error));
}

export type RunResult = {
  text: string;
  toolCalls: unknown[];
  finishReason: string | null;
  usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  firstTokenMs: number | null;
  totalMs: number;
  configurationVersion: number | null;
  model: string | null;
};

type Chunk = {
  model?: string;
  choices?: { delta?: { content?: string | null; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] }; finish_reason?: string | null }[];
  usage?: RunResult["usage"];
  error?: { message?: string; type?: string; code?: string | null; param?: string | null };
};

/**
 * Sends a run and reads its server-sent events as they arrive, calling onText with the answer so far. The model
 * event the proxy traces lands in the session named by sessionId (X-HH-Session-Id), where its tokens and cost are
 * read afterwards. Throws RunError (before the first byte: the HTTP error; midway: the error event).
 */
export async function streamRun(
  path: "/v1/playground/run" | "/v1/chat/completions",
  body: Record<string, unknown>,
  options: { sessionId: string; signal: AbortSignal; onText: (text: string) => void },
): Promise<RunResult> {
  const started = performance.now();
  let response: Response;
  try {
    response = await dp<Response>(path, { method: "POST", body, raw: true, signal: options.signal, headers: { accept: "text/event-stream", "x-hh-session-id": options.sessionId } });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw runError(error);
  }
  const version = response.headers.get("x-hh-configuration-version");
  const result: RunResult = {
    text: "", toolCalls: [], finishReason: null, usage: null, firstTokenMs: null, totalMs: 0,
    configurationVersion: version ? Number(version) : null, model: null,
  };
  const tools = new Map<number, { id?: string; name: string; arguments: string }>();

  const apply = (chunk: Chunk) => {
    if (chunk.error) throw new RunError(200, chunk.error.message ?? "The provider failed midway.", chunk.error.type, chunk.error.code, chunk.error.param);
    if (chunk.model) result.model = chunk.model;
    if (chunk.usage) result.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta;
    if (delta?.content) {
      if (result.firstTokenMs === null) result.firstTokenMs = performance.now() - started;
      result.text += delta.content;
      options.onText(result.text);
    }
    for (const call of delta?.tool_calls ?? []) {
      const entry = tools.get(call.index) ?? { id: call.id, name: "", arguments: "" };
      if (call.id) entry.id = call.id;
      entry.name += call.function?.name ?? "";
      entry.arguments += call.function?.arguments ?? "";
      tools.set(call.index, entry);
    }
    if (choice.finish_reason) result.finishReason = choice.finish_reason;
  };

  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("text/event-stream")) {
    // A JSON answer (a proxy in between that does not stream): the whole completion at once.
    const completion = (await response.json()) as { model?: string; choices?: { message?: { content?: string | null; tool_calls?: unknown[] }; finish_reason?: string }[]; usage?: RunResult["usage"] };
    const choice = completion.choices?.[0];
    result.text = choice?.message?.content ?? "";
    result.toolCalls = choice?.message?.tool_calls ?? [];
    result.finishReason = choice?.finish_reason ?? null;
    result.usage = completion.usage ?? null;
    result.model = completion.model ?? null;
    result.firstTokenMs = result.totalMs = performance.now() - started;
    options.onText(result.text);
    return result;
  }

  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      const data = event.split(/\r?\n/).filter((line) => line.startsWith("data:")).map((line) => line.slice(5).replace(/^ /, "")).join("\n");
      if (!data || data === "[DONE]") continue;
      let chunk: Chunk;
      try {
        chunk = JSON.parse(data) as Chunk;
      } catch {
        continue; // not JSON: a comment or keep-alive some servers send
      }
      apply(chunk);
    }
  }
  result.toolCalls = [...tools.values()].map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } }));
  result.totalMs = performance.now() - started;
  return result;
}

export type TracedCall = { event_id: string; session_id: string; duration?: number; metadata?: Record<string, unknown>; error?: string | null };

/** The model event the proxy traced for a run, once the Writer has stored it (null if not there yet). */
export async function findTrace(sessionId: string): Promise<TracedCall | null> {
  const page = await dp<{ events: (TracedCall & { event_type: string })[] }>("/v1/events/search", {
    method: "POST",
    body: { filters: [{ field: "session_id", operator: "is", value: sessionId, type: "string" }], limit: 10 },
  });
  return page.events.find((e) => e.event_type === "model") ?? null;
}
