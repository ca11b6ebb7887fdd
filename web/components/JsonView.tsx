"use client";
// Inputs, outputs, config and metadata as collapsible JSON (react-json-view-lite: fast on large values).
import { JsonView as Viewer, allExpanded, collapseAllNested, darkStyles, defaultStyles } from "react-json-view-lite";
import "react-json-view-lite/dist/index.css";
import { useEffect, useState } from "react";

export function JsonView({ value, expanded = true }: { value: unknown; expanded?: boolean }) {
  const [dark, setDark] = useState(true);
  useEffect(() => setDark((document.documentElement.dataset.theme ?? "dark") === "dark"), []);
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (typeof value !== "object") return <pre className="mono" style={{ whiteSpace: "pre-wrap", margin: 0 }}>{String(value)}</pre>;
  return (
    <div className="json-view">
      <Viewer data={value as object} shouldExpandNode={expanded ? allExpanded : collapseAllNested} style={dark ? darkStyles : defaultStyles} />
    </div>
  );
}
