"use client";
// An event's inputs and outputs as a reviewer reads them: chat messages by role (system, user, assistant, tool),
// otherwise collapsible JSON.
import type { HhEvent } from "@/lib/events";
import { JsonView } from "./JsonView";

type Message = { role?: string; content?: unknown; tool_calls?: unknown; name?: string };

function messagesOf(value: unknown): Message[] | null {
  if (!value || typeof value !== "object") return null;
  const record = value as Record<string, unknown>;
  const list = Array.isArray(value) ? value : record.chat_history ?? record.messages;
  if (Array.isArray(list) && list.length > 0 && list.every((m) => m && typeof m === "object" && "role" in (m as object))) return list as Message[];
  // A single answer: {role, content}.
  if (typeof record.role === "string" && "content" in record) return [record as Message];
  return null;
}

function MessageView({ message }: { message: Message }) {
  const role = String(message.role ?? "message");
  const known = ["system", "user", "assistant", "tool"].includes(role) ? role : "";
  return (
    <div className={`message ${known}`}>
      <div className="role">{role}{message.name ? ` · ${message.name}` : ""}</div>
      {typeof message.content === "string" ? <pre>{message.content}</pre> : message.content !== undefined && message.content !== null ? <JsonView value={message.content} /> : null}
      {message.tool_calls !== undefined && message.tool_calls !== null && (
        <details><summary className="small">tool calls</summary><JsonView value={message.tool_calls} /></details>
      )}
    </div>
  );
}

/** Inputs or outputs: messages when they are a chat, the rest of the object as JSON. */
export function Payload({ value, label }: { value: unknown; label: string }) {
  const messages = messagesOf(value);
  const record = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  const rest = record && messages ? Object.fromEntries(Object.entries(record).filter(([k]) => !["chat_history", "messages", "role", "content", "tool_calls"].includes(k))) : null;
  const empty = value === null || value === undefined || (record !== null && Object.keys(record).length === 0);
  return (
    <section aria-label={label} className="stack" style={{ gap: 4 }}>
      <h3 style={{ margin: 0 }}>{label}</h3>
      {empty ? <span className="muted small">none</span>
        : messages ? (
          <>
            {messages.map((m, i) => <MessageView key={i} message={m} />)}
            {rest && Object.keys(rest).length > 0 && <JsonView value={rest} expanded={false} />}
          </>
        ) : (
          <JsonView value={value} />
        )}
    </section>
  );
}

export function EventBody({ event }: { event: HhEvent }) {
  return (
    <div className="stack">
      <Payload value={event.inputs} label="Inputs" />
      <Payload value={event.outputs} label="Outputs" />
      {event.error && <div className="notice error"><strong>Error:</strong> {event.error}</div>}
      <details className="section">
        <summary>Config, metadata, metrics and feedback</summary>
        <div className="stack">
          {(["config", "metadata", "metrics", "feedback"] as const).map((key) => (
            <div key={key}>
              <div className="muted small">{key}</div>
              <JsonView value={event[key] ?? {}} expanded={false} />
            </div>
          ))}
        </div>
      </details>
    </div>
  );
}
