// What the UI tells a user about where to send data: the addresses the operator runs the platform on.
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({
    otlp_http_url: (process.env.HH_OTLP_URL ?? "http://127.0.0.1:4318") + "/v1/traces",
    dp_url: process.env.HH_DP_URL ?? "http://127.0.0.1:8080",
  });
}
