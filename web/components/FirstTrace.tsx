"use client";
// The empty state of a project with no data: where to send a first trace, with which key, in which shape.
import Link from "next/link";
import { usePlatformInfo } from "@/lib/info";
import { EmptyState } from "./Feedback";

export function FirstTrace({ projectId, what = "sessions" }: { projectId: string; what?: string }) {
  const info = usePlatformInfo();
  const otlp = info.data?.otlp_http_url ?? "http://127.0.0.1:4318/v1/traces";
  return (
    <EmptyState title={`No ${what} in this range yet`}>
      <p>Point an OpenTelemetry exporter (or a HoneyHive SDK) at this platform; sessions appear here within seconds.</p>
      <pre>{`export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${otlp}
export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <your project API key>"`}</pre>
      <p className="small">
        A span with the attribute <code>honeyhive.session_auto_create=true</code> (and <code>honeyhive.session_name</code>) starts a session;
        the HoneyHive SDKs do this for you with <code>server_url={info.data?.dp_url ?? "http://127.0.0.1:8080"}</code>.
        Create a key in <Link href={`/p/${projectId}/settings`}>Settings → API keys</Link>, or widen the time range above.
      </p>
    </EmptyState>
  );
}
