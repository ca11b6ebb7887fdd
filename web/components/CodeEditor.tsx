"use client";
// A code editor (CodeMirror 6 through @uiw/react-codemirror) for Python evaluators, judge prompts (markdown)
// and JSON, themed with the page (one-dark in the dark theme), with the line an error points at marked.
import { useEffect, useMemo, useRef, useState } from "react";
import CodeMirror, { Decoration, EditorView, type Extension, type ReactCodeMirrorRef } from "@uiw/react-codemirror";
import { python } from "@codemirror/lang-python";
import { markdown } from "@codemirror/lang-markdown";
import { json } from "@codemirror/lang-json";
import { oneDark } from "@codemirror/theme-one-dark";

/** The page's theme, followed as the toggle changes it (data-theme on <html>). */
export function usePageTheme(): "dark" | "light" {
  const [theme, setTheme] = useState<"dark" | "light">("dark");
  useEffect(() => {
    const read = () => setTheme(document.documentElement.dataset.theme === "light" ? "light" : "dark");
    read();
    const observer = new MutationObserver(read);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => observer.disconnect();
  }, []);
  return theme;
}

const errorLineTheme = EditorView.baseTheme({
  ".cm-hh-error-line": { backgroundColor: "rgba(240, 97, 109, 0.22)", boxShadow: "inset 3px 0 0 #f0616d" },
});

function errorLineMark(line: number | null): Extension {
  if (!line) return [];
  return EditorView.decorations.compute(["doc"], (state) => {
    if (line < 1 || line > state.doc.lines) return Decoration.none;
    return Decoration.set([Decoration.line({ class: "cm-hh-error-line", attributes: { "data-testid": "error-line" } }).range(state.doc.line(line).from)]);
  });
}

export type CodeEditorProps = {
  value: string;
  onChange: (value: string) => void;
  language: "python" | "markdown" | "json";
  /** 1-based line to mark as the error's. */
  errorLine?: number | null;
  label: string;
  height?: string;
  readOnly?: boolean;
  testId?: string;
};

export function CodeEditor({ value, onChange, language, errorLine = null, label, height = "320px", readOnly, testId }: CodeEditorProps) {
  const theme = usePageTheme();
  const ref = useRef<ReactCodeMirrorRef>(null);
  const extensions = useMemo(() => {
    const lang = language === "python" ? python() : language === "markdown" ? markdown() : json();
    return [lang, EditorView.lineWrapping, errorLineTheme, errorLineMark(errorLine), EditorView.contentAttributes.of({ "aria-label": label })];
  }, [language, errorLine, label]);

  // Bring the marked line into view when an error arrives.
  useEffect(() => {
    const view = ref.current?.view;
    if (!view || !errorLine || errorLine > view.state.doc.lines) return;
    const at = view.state.doc.line(errorLine).from;
    view.dispatch({ effects: EditorView.scrollIntoView(at, { y: "center" }) });
  }, [errorLine]);

  return (
    <div className="code-editor" data-testid={testId}>
      <CodeMirror
        ref={ref}
        value={value}
        onChange={onChange}
        extensions={extensions}
        theme={theme === "dark" ? oneDark : "light"}
        height={height}
        readOnly={readOnly}
        basicSetup={{ foldGutter: language !== "markdown", highlightActiveLine: true, autocompletion: language === "python" }}
      />
    </div>
  );
}

/** Moves the caret to a line of the editor inside `container` (for "go to line" links under an error). */
export function focusLine(container: HTMLElement | null, line: number) {
  const content = container?.querySelector<HTMLElement>(".cm-content");
  const view = content ? EditorView.findFromDOM(content) : null;
  if (!view || line < 1 || line > view.state.doc.lines) return;
  const at = view.state.doc.line(line).from;
  view.dispatch({ selection: { anchor: at }, effects: EditorView.scrollIntoView(at, { y: "center" }) });
  view.focus();
}
