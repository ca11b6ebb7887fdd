"use client";
// The project's name and description (control plane), and where to send data: the project id, the data plane's
// base URL, the OTLP endpoint, and a first trace to paste into a terminal.
import { useEffect, useState, type FormEvent } from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getProject, updateProject } from "@/lib/settings";
import { usePlatformInfo } from "@/lib/info";
import { usePermissions } from "@/lib/permissions";
import { formatTime } from "@/lib/format";
import { ErrorNotice, Loading } from "@/components/Feedback";
import { NeedsPermission, ProblemNotice } from "@/components/ProblemNotice";
import { CopyButton } from "@/components/CopyButton";

export function ProjectTab({ projectId }: { projectId: string }) {
  const queryClient = useQueryClient();
  const { can } = usePermissions(projectId);
  const project = useQuery({ queryKey: ["project", projectId], queryFn: () => getProject(projectId) });
  const urls = usePlatformInfo();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [saved, setSaved] = useState(false);
  const mayManage = can("projects:manage");

  useEffect(() => {
    if (project.data) {
      setName(project.data.name);
      setDescription(project.data.description);
    }
  }, [project.data]);

  const save = useMutation({
    mutationFn: () => updateProject(projectId, { name: name.trim(), description }),
    onSuccess: async (updated) => {
      queryClient.setQueryData(["project", projectId], updated);
      setSaved(true);
      // The switcher shows project names.
      await queryClient.invalidateQueries({ queryKey: ["projects"] });
    },
  });

  const changed = project.data && (name.trim() !== project.data.name || description !== project.data.description);

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    if (name.trim()) save.mutate();
  }

  return (
    <div className="stack" data-testid="project-settings">
      {project.isLoading && <Loading label="Loading the project…" />}
      {project.error && <ProblemNotice error={project.error} what="read the project" />}
      {project.data && (
        <form className="card stack" onSubmit={submit} aria-label="Project details" style={{ maxWidth: 720 }}>
          <h2 style={{ margin: 0 }}>Project</h2>
          <label>Name
            <input value={name} maxLength={200} required onChange={(e) => { setName(e.target.value); setSaved(false); }} disabled={mayManage === false} data-testid="project-name" />
          </label>
          <label>Description
            <textarea value={description} rows={3} maxLength={2000} onChange={(e) => { setDescription(e.target.value); setSaved(false); }} disabled={mayManage === false} data-testid="project-description" />
          </label>
          <div className="muted small">Created {formatTime(project.data.created_at)} · updated {formatTime(project.data.updated_at)}</div>
          {save.error && <ProblemNotice error={save.error} what="save the project" />}
          {saved && !changed && <div className="notice" role="status" data-testid="project-saved">Saved.</div>}
          <div className="row">
            <button type="submit" className="primary" disabled={mayManage === false || !changed || !name.trim() || save.isPending}>{save.isPending ? "Saving…" : "Save"}</button>
            {changed && <button type="button" onClick={() => { setName(project.data.name); setDescription(project.data.description); }}>Discard changes</button>}
            {mayManage === false && <NeedsPermission permission="projects:manage" />}
          </div>
        </form>
      )}

      <section className="card stack" aria-labelledby="connect-heading" style={{ maxWidth: 920 }}>
        <h2 id="connect-heading" style={{ margin: 0 }}>Send data to this project</h2>
        {urls.error && <ErrorNotice error={urls.error} what="read the platform's addresses" />}
        <dl className="kv connect" data-testid="connection-info">
          <dt>Project ID</dt>
          <dd className="copy-row"><code data-testid="project-id">{projectId}</code> <CopyButton value={projectId} /></dd>
          <dt>Data plane API</dt>
          <dd className="copy-row">{urls.data ? <><code data-testid="dp-url">{urls.data.dp_url}</code> <CopyButton value={urls.data.dp_url} /></> : <span className="muted">…</span>}</dd>
          <dt>OTLP traces (HTTP)</dt>
          <dd className="copy-row">{urls.data ? <><code data-testid="otlp-url">{urls.data.otlp_http_url}</code> <CopyButton value={urls.data.otlp_http_url} /></> : <span className="muted">…</span>}</dd>
          <dt>API key</dt>
          <dd style={{ wordBreak: "normal" }}>A project key with the <code>ingest</code> scope: <Link href={`/p/${projectId}/settings?tab=keys`}>create one under API keys</Link>. The key decides the project; no project header is needed.</dd>
        </dl>
        {urls.data && <FirstTraceSnippets otlp={urls.data.otlp_http_url} dp={urls.data.dp_url} />}
      </section>
    </div>
  );
}

function FirstTraceSnippets({ otlp, dp }: { otlp: string; dp: string }) {
  const [tab, setTab] = useState<"otel" | "curl" | "openai">("otel");
  const otel = `export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${otlp}
export OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf
export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer $HH_API_KEY"
# then run your app with any OpenTelemetry GenAI / OpenInference / OpenLLMetry instrumentation`;
  const curl = `NOW=$(date +%s%N)
curl -sS ${otlp} \\
  -H "Authorization: Bearer $HH_API_KEY" -H 'Content-Type: application/json' \\
  -d '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my-app"}}]},
  "scopeSpans":[{"scope":{"name":"first-trace"},"spans":[{"traceId":"'$(openssl rand -hex 16)'","spanId":"'$(openssl rand -hex 8)'",
  "name":"chat gpt-4o-mini","kind":3,"startTimeUnixNano":"'$((NOW - 1200000000))'","endTimeUnixNano":"'$NOW'",
  "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
    {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},
    {"key":"gen_ai.usage.input_tokens","value":{"intValue":"35"}},
    {"key":"gen_ai.usage.output_tokens","value":{"intValue":"23"}}],"status":{"code":1}}]}]}]}'`;
  const openai = `from openai import OpenAI
# Calls go through the platform's proxy with the workspace's provider keys, and each is traced in this project.
client = OpenAI(base_url="${dp}/v1", api_key=HH_API_KEY)
client.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}])`;
  const text = tab === "otel" ? otel : tab === "curl" ? curl : openai;
  return (
    <div className="stack" data-testid="first-trace">
      <h3 style={{ margin: 0 }}>Your first trace</h3>
      <div className="tabs" role="tablist" aria-label="How to send a first trace">
        {([["otel", "OpenTelemetry"], ["curl", "curl"], ["openai", "OpenAI client"]] as const).map(([key, label]) => (
          <button key={key} type="button" role="tab" aria-selected={tab === key} className={tab === key ? "active" : ""} onClick={() => setTab(key)}>{label}</button>
        ))}
      </div>
      <div style={{ position: "relative" }}>
        <pre className="snippet" tabIndex={0} aria-label="Snippet">{text}</pre>
        <div style={{ position: "absolute", top: 6, right: 6 }}><CopyButton value={text} /></div>
      </div>
      <p className="muted small" style={{ margin: 0 }}>
        Set <code>HH_API_KEY</code> to a project key first. The trace shows up under Sessions within seconds.
      </p>
    </div>
  );
}
