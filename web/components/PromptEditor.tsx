"use client";
// A prompt's text in CodeMirror (markdown), with {{variables}} highlighted. Tab leaves the editor (keyboard users
// must be able to move on), lines wrap, and the theme follows the page's.
import { useEffect, useMemo, useState } from "react";
import CodeMirror, { Decoration, EditorView, MatchDecorator, ViewPlugin, type DecorationSet, type ViewUpdate } from "@uiw/react-codemirror";
import { markdown } from "@codemirror/lang-markdown";

const variableMark = Decoration.mark({ class: "cm-variable" });
const variables = new MatchDecorator({ regexp: /\{\{\s*[A-Za-z_][A-Za-z0-9_.-]*\s*\}\}/g, decoration: () => variableMark });
const highlightVariables = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = variables.createDeco(view);
    }
    update(update: ViewUpdate) {
      this.decorations = variables.updateDeco(update, this.decorations);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

export function PromptEditor({
  value, onChange, label, placeholder, minHeight = "60px", testId,
}: {
  value: string;
  onChange: (value: string) => void;
  label: string;
  placeholder?: string;
  minHeight?: string;
  testId?: string;
}) {
  const [dark, setDark] = useState(true);
  useEffect(() => {
    const read = () => setDark((document.documentElement.dataset.theme ?? "dark") === "dark");
    read();
    const observer = new MutationObserver(read);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => observer.disconnect();
  }, []);
  const extensions = useMemo(() => [markdown(), EditorView.lineWrapping, highlightVariables, EditorView.contentAttributes.of({ "aria-label": label })], [label]);
  return (
    <div data-testid={testId}>
      <CodeMirror
        value={value}
        onChange={onChange}
        extensions={extensions}
        theme={dark ? "dark" : "light"}
        minHeight={minHeight}
        maxHeight="420px"
        placeholder={placeholder}
        indentWithTab={false}
        basicSetup={{ lineNumbers: false, foldGutter: false, highlightActiveLine: false, highlightActiveLineGutter: false, autocompletion: false }}
      />
    </div>
  );
}
