// Forwards /api/cp/... to the control plane and /api/dp/... to the data plane. The upstreams are fixed by
// the operator (HH_CP_URL, HH_DP_URL); the browser chooses only the path, which is re-encoded segment by
// segment so it can never name another host. Bodies stream both ways (the playground's answer streams).
import type { NextRequest } from "next/server";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const upstreams: Record<string, string> = {
  cp: process.env.HH_CP_URL ?? "http://127.0.0.1:8081",
  dp: process.env.HH_DP_URL ?? "http://127.0.0.1:8080",
};

const forwardedRequestHeaders = ["authorization", "content-type", "accept", "cookie", "x-hh-project-id", "last-event-id", "x-hh-session-id"];
const droppedResponseHeaders = new Set(["content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive", "set-cookie"]);

type Context = { params: Promise<{ plane: string; path: string[] }> };

async function forward(request: NextRequest, context: Context): Promise<Response> {
  const { plane, path } = await context.params;
  const base = upstreams[plane];
  if (!base) return problem(404, "Unknown API", `There is no API named '${plane}'; use /api/cp or /api/dp.`);
  if (path.some((segment) => segment === ".." || segment === ".")) return problem(400, "Bad path", "Path segments '.' and '..' are not allowed.");

  const target = new URL(base);
  target.pathname = "/" + path.map(encodeURIComponent).join("/");
  target.search = request.nextUrl.search;

  const headers = new Headers();
  for (const name of forwardedRequestHeaders) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : undefined,
      redirect: "manual",
      cache: "no-store",
      signal: request.signal,
      // Node's fetch needs this to stream a request body.
      ...(hasBody ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch {
    return problem(502, plane === "cp" ? "Control plane unreachable" : "Data plane unreachable",
      `The ${plane === "cp" ? "control" : "data"} plane at ${base} did not answer. Is the platform running (./hh status)?`);
  }

  const responseHeaders = new Headers();
  upstream.headers.forEach((value, name) => {
    if (!droppedResponseHeaders.has(name)) responseHeaders.set(name, value);
  });
  // The CP scopes its refresh cookie to /v1/auth; through this proxy that path is /api/cp/v1/auth.
  for (const cookie of upstream.headers.getSetCookie()) {
    responseHeaders.append("set-cookie", cookie.replace(/;\s*path=\/v1\//i, "; Path=/api/cp/v1/"));
  }
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: responseHeaders });
}

function problem(status: number, title: string, detail: string): Response {
  return Response.json({ type: "about:blank", title, status, detail }, { status, headers: { "content-type": "application/problem+json" } });
}

export { forward as GET, forward as POST, forward as PUT, forward as PATCH, forward as DELETE };
