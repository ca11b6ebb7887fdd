"use client";
// A long list rendered as a virtualized grid (@tanstack/react-virtual): only the rows in view are in the DOM,
// so 100 or 100,000 rows cost the same to draw. Keyboard: ↑/↓ (or j/k) move, Enter opens, Home/End jump.
import { useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";

export type Column<T> = {
  id: string;
  header: string;
  width?: string;
  cell: (row: T) => ReactNode;
  /** When set, the header sorts by this field. */
  sortField?: string;
};

export type Sort = { field: string; order: "asc" | "desc" };

type Props<T> = {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  onOpen?: (row: T) => void;
  sort?: Sort;
  onSort?: (sort: Sort) => void;
  height?: number | string;
  label: string;
  rowHeight?: number;
  footer?: ReactNode;
};

export function VirtualTable<T>({ rows, columns, rowKey, onOpen, sort, onSort, height = "calc(100vh - 220px)", label, rowHeight = 34, footer }: Props<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan: 12 });
  const template = columns.map((c) => c.width ?? "minmax(100px, 1fr)").join(" ");

  function move(to: number) {
    const index = Math.max(0, Math.min(rows.length - 1, to));
    setActive(index);
    virtualizer.scrollToIndex(index, { align: "auto" });
  }

  function onKey(event: KeyboardEvent<HTMLDivElement>) {
    if (rows.length === 0) return;
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(active + 1), j: () => move(active + 1),
      ArrowUp: () => move(active - 1), k: () => move(active - 1),
      Home: () => move(0), End: () => move(rows.length - 1),
      PageDown: () => move(active + 15), PageUp: () => move(active - 15),
      Enter: () => onOpen?.(rows[active]),
    };
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }

  return (
    <div
      ref={scroller}
      className="vtable"
      style={{ height }}
      role="grid"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      tabIndex={0}
      onKeyDown={onKey}
    >
      <div className="vrow vhead" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((column) => (
          <div key={column.id} role="columnheader" aria-sort={sort && column.sortField === sort.field ? (sort.order === "asc" ? "ascending" : "descending") : undefined}>
            {column.sortField && onSort ? (
              <button
                type="button"
                onClick={() => onSort({ field: column.sortField!, order: sort?.field === column.sortField && sort?.order === "desc" ? "asc" : "desc" })}
              >
                {column.header}
                {sort?.field === column.sortField ? (sort.order === "asc" ? " ▲" : " ▼") : ""}
              </button>
            ) : (
              column.header
            )}
          </div>
        ))}
      </div>
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          return (
            <div
              key={rowKey(row)}
              role="row"
              aria-rowindex={item.index + 2}
              data-testid="table-row"
              className={`vrow${item.index === active ? " selected" : ""}`}
              style={{ gridTemplateColumns: template, position: "absolute", top: 0, left: 0, right: 0, height: rowHeight, transform: `translateY(${item.start}px)` }}
              onClick={() => {
                setActive(item.index);
                onOpen?.(row);
              }}
            >
              {columns.map((column) => (
                <div key={column.id} role="gridcell">{column.cell(row)}</div>
              ))}
            </div>
          );
        })}
      </div>
      {footer}
    </div>
  );
}
