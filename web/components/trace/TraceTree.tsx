"use client";
// The span tree beside its waterfall: each row is indented by depth, with a bar placed on the session's time
// axis. Virtualized (1,000 spans cost what 30 do). Keyboard: ↑/↓ select, ←/→ collapse/expand, Home/End.
import { useEffect, useRef, type KeyboardEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { TreeRow } from "./flatten";
import { formatDuration } from "@/lib/format";

const rowHeight = 26;

type Props = {
  rows: TreeRow[];
  selected: string | null;
  onSelect: (id: string) => void;
  onToggle: (id: string, open?: boolean) => void;
  collapsed: Set<string>;
  window: { start: number; span: number };
};

export function TraceTree({ rows, selected, onSelect, onToggle, collapsed, window }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan: 20 });
  const selectedIndex = rows.findIndex((r) => r.event.event_id === selected);

  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: "auto" });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selectedIndex]);

  function onKey(event: KeyboardEvent) {
    const at = Math.max(0, selectedIndex);
    const row = rows[at];
    const go = (i: number) => rows[Math.max(0, Math.min(rows.length - 1, i))] && onSelect(rows[Math.max(0, Math.min(rows.length - 1, i))].event.event_id);
    const actions: Record<string, () => void> = {
      ArrowDown: () => go(at + 1), j: () => go(at + 1),
      ArrowUp: () => go(at - 1), k: () => go(at - 1),
      Home: () => go(0), End: () => go(rows.length - 1),
      ArrowLeft: () => (row?.hasChildren && !collapsed.has(row.event.event_id) ? onToggle(row.event.event_id, false) : row?.event.parent_id && onSelect(row.event.parent_id)),
      ArrowRight: () => row?.hasChildren && onToggle(row.event.event_id, true),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }

  return (
    <div ref={scroller} className="tree" role="tree" aria-label="Span tree" tabIndex={0} onKeyDown={onKey} data-testid="span-tree">
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((item) => {
          const { event, depth, hasChildren } = rows[item.index];
          const start = ((event.start_time - window.start) / window.span) * 100;
          const width = (((event.duration ?? 0) as number) / window.span) * 100;
          const kind = event.error ? "error" : event.event_type;
          const open = !collapsed.has(event.event_id);
          return (
            <div
              key={event.event_id}
              role="treeitem"
              aria-level={depth + 1}
              aria-expanded={hasChildren ? open : undefined}
              aria-selected={event.event_id === selected}
              data-testid="span-row"
              data-event-id={event.event_id}
              className={`node${event.event_id === selected ? " selected" : ""}`}
              style={{ position: "absolute", top: 0, left: 0, right: 0, height: rowHeight, transform: `translateY(${item.start}px)` }}
              onClick={() => onSelect(event.event_id)}
            >
              <div className="label" style={{ paddingLeft: depth * 14 }}>
                {hasChildren ? (
                  <button type="button" className="link" aria-label={open ? "Collapse" : "Expand"} onClick={(e) => { e.stopPropagation(); onToggle(event.event_id); }} style={{ width: 14 }}>
                    {open ? "▾" : "▸"}
                  </button>
                ) : (
                  <span style={{ width: 14, display: "inline-block" }} />
                )}
                <span className={`badge ${event.event_type}`}>{event.event_type}</span>
                <span title={event.event_name}>{event.event_name}</span>
                {event.error && <span className="bad" title={String(event.error)}>●</span>}
              </div>
              <div className="bar-track" title={`${formatDuration(event.duration)} from +${formatDuration(event.start_time - window.start)}`}>
                <div className={`bar ${kind}`} style={{ left: `${Math.min(100, start)}%`, width: `${Math.max(0.3, Math.min(100 - start, width))}%` }} />
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}
