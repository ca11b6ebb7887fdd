"use client";
// Which columns a table shows: a pop-over list of every field (typed), searchable, each a checkbox; the chosen
// ones keep the order they were chosen in, and can be moved left or right.
import { useEffect, useRef, useState } from "react";

export function ColumnPicker({
  choices, chosen, onChange, defaults,
}: {
  choices: { name: string; type: string }[];
  chosen: string[];
  onChange: (columns: string[]) => void;
  defaults: string[];
}) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState("");
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onDown = (event: MouseEvent) => {
      if (box.current && !box.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  const known = new Set(choices.map((c) => c.name));
  // A remembered column the schema no longer lists is still shown, so it can be unchosen.
  const all = [...choices, ...chosen.filter((c) => !known.has(c)).map((name) => ({ name, type: "?" }))];
  const needle = search.trim().toLowerCase();
  const shown = needle ? all.filter((c) => c.name.toLowerCase().includes(needle)) : all;

  function toggle(name: string) {
    onChange(chosen.includes(name) ? chosen.filter((c) => c !== name) : [...chosen, name]);
  }
  function move(name: string, by: number) {
    const index = chosen.indexOf(name);
    const to = index + by;
    if (index < 0 || to < 0 || to >= chosen.length) return;
    const next = [...chosen];
    next.splice(index, 1);
    next.splice(to, 0, name);
    onChange(next);
  }

  return (
    <div className="popover-anchor" ref={box} onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
      <button type="button" aria-expanded={open} aria-haspopup="true" onClick={() => setOpen(!open)} data-testid="column-picker">
        Columns ({chosen.length})
      </button>
      {open && (
        <div className="popover stack" role="group" aria-label="Choose columns" data-testid="column-picker-panel">
          <input autoFocus type="search" placeholder="Find a field…" aria-label="Find a field" value={search} onChange={(e) => setSearch(e.target.value)} />
          {chosen.length > 0 && !needle && (
            <div className="stack small">
              <span className="muted">Shown, in order</span>
              {chosen.map((name, i) => (
                <div key={name} className="row picker-chosen">
                  <span className="mono grow">{name}</span>
                  <button type="button" className="link" aria-label={`Move ${name} left`} disabled={i === 0} onClick={() => move(name, -1)}>↑</button>
                  <button type="button" className="link" aria-label={`Move ${name} right`} disabled={i === chosen.length - 1} onClick={() => move(name, 1)}>↓</button>
                  <button type="button" className="link" aria-label={`Hide ${name}`} onClick={() => toggle(name)}>×</button>
                </div>
              ))}
            </div>
          )}
          <div className="picker-list">
            {shown.map((c) => (
              <label key={c.name} className="inline">
                <input type="checkbox" checked={chosen.includes(c.name)} onChange={() => toggle(c.name)} />
                <span className="mono">{c.name}</span>
                <span className="muted small">{c.type}</span>
              </label>
            ))}
            {shown.length === 0 && <div className="muted small">No field matches “{search}”.</div>}
          </div>
          <div className="row">
            <button type="button" className="link" onClick={() => onChange(defaults)}>Reset to defaults</button>
            <div className="grow" />
            <button type="button" onClick={() => setOpen(false)}>Close</button>
          </div>
        </div>
      )}
    </div>
  );
}
