// Where SDKs and OpenTelemetry exporters reach the platform, as the UI server was told (./hh up sets HH_DP_URL,
// HH_CP_URL and HH_OTLP_URL). HH_PUBLIC_* override them when users reach the platform by another address than
// this server does (a load balancer, a DNS name). Addresses only: nothing secret.
export const dynamic = "force-dynamic";

function trim(url: string) {
  return url.replace(/\/+$/, "");
}

export function GET() {
  const dp = trim(process.env.HH_PUBLIC_DP_URL ?? process.env.HH_DP_URL ?? "http://127.0.0.1:8080");
  const cp = trim(process.env.HH_PUBLIC_CP_URL ?? process.env.HH_CP_URL ?? "http://127.0.0.1:8081");
  let otlp = process.env.HH_PUBLIC_OTLP_URL ?? process.env.HH_OTLP_URL;
  if (!otlp) {
    // The single-node default: OTLP/HTTP on port 4318 of the data plane's host.
    const host = new URL(dp);
    otlp = `${host.protocol}//${host.hostname}:4318`;
  }
  otlp = trim(otlp);
  const traces = otlp.endsWith("/v1/traces") ? otlp : `${otlp}/v1/traces`;
  return Response.json({ dp_url: dp, cp_url: cp, otlp_traces_url: traces }, { headers: { "cache-control": "no-store" } });
}
