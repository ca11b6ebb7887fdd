"use client";
// What to do when there is nothing to show yet: where traces go and with which key.
import { useEffect, useState } from "react";
import Link from "next/link";
import { getCurrentProject } from "@/lib/api";

export function SendTracesHint() {
  const [endpoint, setEndpoint] = useState("http://127.0.0.1:4318/v1/traces");
  useEffect(() => setEndpoint(`${window.location.protocol}//${window.location.hostname}:4318/v1/traces`), []);
  return (
    <div className="stack" style={{ alignItems: "center" }}>
      <pre>{`# any OpenTelemetry SDK, or the HoneyHive SDK, with this project's API key
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${endpoint}
OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <API key>"`}</pre>
      <span className="small">
        Create a key under <Link href={`/p/${getCurrentProject()}/settings`}>Settings → API keys</Link>; spans appear here within seconds.
      </span>
    </div>
  );
}
