"use client";
// JSON editing with CodeMirror (@uiw/react-codemirror + lang-json): the text is checked as it is typed, and
// what is wrong (not JSON, with its line and column, or not the shape the field needs) shows under the editor.
import CodeMirror from "@uiw/react-codemirror";
import { json } from "@codemirror/lang-json";
import { oneDark } from "@codemirror/theme-one-dark";
import { useEffect, useMemo, useState } from "react";

export type JsonShape = "object" | "array" | "object-or-empty" | "array-of-objects";

/** The parsed value, or why the text is not acceptable for the shape. */
export function checkJson(text: string, shape: JsonShape): { value?: unknown; error?: string } {
  if (shape === "object-or-empty" && text.trim() === "") return { value: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: jsonErrorText(text, e) };
  }
  const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
  if ((shape === "object" || shape === "object-or-empty") && !isObject) {
    if (shape === "object-or-empty" && value === null) return { value: null };
    return { error: shape === "object" ? "Must be a JSON object, e.g. {\"question\": \"…\"}." : "Must be a JSON object, or empty for none." };
  }
  if (shape === "array" && !Array.isArray(value)) return { error: "Must be a JSON array, e.g. []." };
  if (shape === "array-of-objects") {
    if (!Array.isArray(value)) return { error: "Must be a JSON array of objects, e.g. [{\"role\": \"user\", \"content\": \"…\"}]." };
    const bad = value.findIndex((item) => item === null || typeof item !== "object" || Array.isArray(item));
    if (bad >= 0) return { error: `Item ${bad} is not a JSON object; every item must be an object.` };
  }
  return { value };
}

/** "Unexpected token } at line 3, column 5": the engine's message with a line and column when it names a position. */
function jsonErrorText(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  if (position && !/line \d+/.test(message)) {
    const offset = Number(position[1]);
    const before = text.slice(0, offset).split("\n");
    return `Not valid JSON: ${message} (line ${before.length}, column ${before[before.length - 1].length + 1}).`;
  }
  return `Not valid JSON: ${message}`;
}

export function JsonEditor({
  label, value, onChange, shape, height = "160px", testId,
}: {
  label: string;
  value: string;
  onChange: (text: string) => void;
  shape: JsonShape;
  height?: string;
  testId?: string;
}) {
  const [dark, setDark] = useState(true);
  useEffect(() => setDark((document.documentElement.dataset.theme ?? "dark") === "dark"), []);
  const extensions = useMemo(() => [json()], []);
  const check = checkJson(value, shape);
  const id = `json-${label.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <div className="stack json-editor" data-testid={testId}>
      <span className="muted small" id={id}>{label}</span>
      <div className={`editor-frame${check.error ? " invalid" : ""}`}>
        <CodeMirror
          value={value}
          height={height}
          theme={dark ? oneDark : "light"}
          extensions={extensions}
          onChange={onChange}
          basicSetup={{ foldGutter: true, highlightActiveLine: false }}
          aria-labelledby={id}
        />
      </div>
      {check.error && <div className="bad small" role="alert" data-testid="json-error">{label}: {check.error}</div>}
    </div>
  );
}
