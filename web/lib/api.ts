// The one way pages reach the platform: dp() for the data plane, cp() for the control plane, both through
// this server's /api proxy. Every call carries the signed-in user's access token and, on the data plane,
// the project the user is looking at. A 401 refreshes the token once (rotating refresh cookie) and retries;
// if that fails the user is sent to /expired. Errors become ApiError with the server's problem details.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly body: unknown,
  ) {
    // "The request is not valid." + ": " + detail reads as a stray period; the title's own full stop goes.
    super(detail ? `${title.replace(/\.$/, "")}: ${detail}` : title);
  }
}

type TokenSource = {
  token: () => string | null;
  refresh: () => Promise<string | null>;
  expired: () => void;
};

let tokens: TokenSource = { token: () => null, refresh: async () => null, expired: () => {} };
let currentProject: string | null = null;

/** Wired once by AuthProvider. */
export function setTokenSource(source: TokenSource) {
  tokens = source;
}

/** Set by the project layout from the URL: every dp() call is scoped to it. */
export function setCurrentProject(projectId: string | null) {
  currentProject = projectId;
}

export function getCurrentProject() {
  return currentProject;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export type RequestOptions = {
  method?: string;
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Returns the raw Response (streams, downloads) instead of parsed JSON. */
  raw?: boolean;
  project?: string | null;
  /** Extra request headers the proxy forwards (e.g. x-hh-session-id, to trace a model call into a known session). */
  headers?: Record<string, string>;
};

function url(plane: "cp" | "dp", path: string, query?: Query) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return `/api/${plane}${path.startsWith("/") ? path : "/" + path}${text ? "?" + text : ""}`;
}

async function send(plane: "cp" | "dp", path: string, options: RequestOptions, token: string | null) {
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  const project = options.project === undefined ? currentProject : options.project;
  if (plane === "dp" && project) headers["x-hh-project-id"] = project;
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  return fetch(url(plane, path, options.query), {
    method: options.method ?? (body ? "POST" : "GET"),
    headers,
    body,
    signal: options.signal,
    credentials: "same-origin",
    cache: "no-store",
  });
}

export async function request<T = unknown>(plane: "cp" | "dp", path: string, options: RequestOptions = {}): Promise<T> {
  let response = await send(plane, path, options, tokens.token());
  if (isAuthChallenge(response)) {
    const fresh = await tokens.refresh();
    if (!fresh) {
      tokens.expired();
      throw await toError(response);
    }
    response = await send(plane, path, options, fresh);
    if (isAuthChallenge(response)) {
      tokens.expired();
      throw await toError(response);
    }
  }
  if (!response.ok) throw await toError(response);
  if (options.raw) return response as unknown as T;
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * The platform refuses a missing or stale token with 401 and a Bearer challenge (WWW-Authenticate). A 401 without
 * one is someone else's: an LLM provider refusing the workspace's key, passed through by the proxy. That must be
 * shown as an error, not sign the user out (nor be sent twice).
 */
function isAuthChallenge(response: Response) {
  return response.status === 401 && response.headers.has("www-authenticate");
}

export const dp = <T = unknown>(path: string, options?: RequestOptions) => request<T>("dp", path, options);
export const cp = <T = unknown>(path: string, options?: RequestOptions) => request<T>("cp", path, options);

export async function toError(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const problem = (body ?? {}) as Record<string, unknown>;
  const title = typeof problem.title === "string" ? problem.title : `${response.status} ${response.statusText || "error"}`;
  const detail =
    typeof problem.detail === "string" ? problem.detail
    : typeof problem.message === "string" ? problem.message
    : typeof problem.error === "string" ? problem.error
    : errorsText(problem.errors);
  return new ApiError(response.status, title, detail, body);
}

function errorsText(errors: unknown): string | undefined {
  if (!errors || typeof errors !== "object") return undefined;
  return Object.entries(errors as Record<string, unknown>)
    .map(([field, messages]) => `${field}: ${Array.isArray(messages) ? messages.join(" ") : String(messages)}`)
    .join("; ");
}

/** Text for an error of any kind, as shown to the user. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
