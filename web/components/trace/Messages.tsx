"use client";
// Chat messages by role (system, user, assistant, tool) with tool calls and their results, read from the
// shapes instrumentations write: inputs.chat_history / inputs.messages, and outputs as one message, a
// messages array or OpenAI choices.
import type { HhEvent } from "@/lib/events";
import { JsonView } from "@/components/JsonView";

type ToolCall = { id?: string; type?: string; function?: { name?: string; arguments?: unknown }; name?: string; arguments?: unknown };
export type ChatMessage = { role: string; content?: unknown; name?: string; tool_calls?: ToolCall[]; tool_call_id?: string };

function asMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value)) return [];
  return value.filter((m): m is ChatMessage => !!m && typeof m === "object" && typeof (m as ChatMessage).role === "string");
}

export function inputMessages(event: HhEvent): ChatMessage[] {
  const inputs = event.inputs ?? {};
  return asMessages(inputs.chat_history).length ? asMessages(inputs.chat_history) : asMessages(inputs.messages);
}

export function outputMessages(event: HhEvent): ChatMessage[] {
  const outputs = (event.outputs ?? {}) as Record<string, unknown>;
  if (typeof outputs.role === "string") return [outputs as ChatMessage];
  if (asMessages(outputs.messages).length) return asMessages(outputs.messages);
  if (Array.isArray(outputs.choices)) {
    return asMessages(outputs.choices.map((c) => (c && typeof c === "object" ? (c as { message?: unknown }).message : undefined)));
  }
  return [];
}

function text(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (Array.isArray(content) && content.every((p) => p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string")) {
    return content.map((p) => (p as { text: string }).text).join("\n");
  }
  return null;
}

function parsedArguments(args: unknown): unknown {
  if (typeof args !== "string") return args;
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

export function Message({ message }: { message: ChatMessage }) {
  const role = ["system", "user", "assistant", "tool"].includes(message.role) ? message.role : "user";
  const body = text(message.content);
  return (
    <div className={`message ${role}`} data-testid="chat-message" data-role={message.role}>
      <div className="role">
        {message.role}
        {message.name ? ` · ${message.name}` : ""}
        {message.tool_call_id ? ` · result of ${message.tool_call_id}` : ""}
      </div>
      {body !== null ? <pre>{body}</pre> : message.content !== undefined && message.content !== null ? <JsonView value={message.content} /> : null}
      {message.tool_calls?.map((call, i) => (
        <div key={call.id ?? i} className="card" style={{ marginTop: 6 }} data-testid="tool-call">
          <div className="small"><strong>Tool call</strong> {call.function?.name ?? call.name} {call.id && <span className="muted">({call.id})</span>}</div>
          <JsonView value={parsedArguments(call.function?.arguments ?? call.arguments)} />
        </div>
      ))}
    </div>
  );
}

export function Conversation({ event }: { event: HhEvent }) {
  const input = inputMessages(event);
  const output = outputMessages(event);
  if (!input.length && !output.length) return null;
  return (
    <section aria-label="Messages" data-testid="messages">
      <h3>Messages</h3>
      {input.map((m, i) => <Message key={`in-${i}`} message={m} />)}
      {output.length > 0 && <div className="muted small" style={{ margin: "4px 0" }}>Response</div>}
      {output.map((m, i) => <Message key={`out-${i}`} message={m} />)}
    </section>
  );
}
