"use client";
// What to do when a range holds nothing to show yet: where traces go (the operator's OTLP address) and with which key.
// The sessions list has its own fuller version (FirstTrace); this one sits inside another page's empty state.
import Link from "next/link";
import { getCurrentProject } from "@/lib/api";
import { usePlatformInfo } from "@/lib/info";

export function SendTracesHint() {
  const info = usePlatformInfo();
  const otlp = info.data?.otlp_http_url ?? "http://127.0.0.1:4318/v1/traces";
  return (
    <div className="stack" style={{ alignItems: "center" }}>
      <pre>{`export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${otlp}
export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <your project API key>"`}</pre>
      <span className="small">
        Create a key under <Link href={`/p/${getCurrentProject()}/settings`}>Settings → API keys</Link>; spans appear here within seconds.
      </span>
    </div>
  );
}
