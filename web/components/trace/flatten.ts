import type { HhEvent } from "@/lib/events";

export type TreeRow = { event: HhEvent; depth: number; hasChildren: boolean };

/** The tree as rows in display order, skipping the children of collapsed nodes. */
export function flatten(root: HhEvent, collapsed: Set<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const stack: { event: HhEvent; depth: number }[] = [{ event: root, depth: 0 }];
  while (stack.length) {
    const { event, depth } = stack.pop()!;
    const children = event.children ?? [];
    rows.push({ event, depth, hasChildren: children.length > 0 });
    if (!collapsed.has(event.event_id)) {
      for (let i = children.length - 1; i >= 0; i--) stack.push({ event: children[i], depth: depth + 1 });
    }
  }
  return rows;
}

/** Every event of the tree by id (the panel shows the one in ?span=). */
export function index(root: HhEvent): Map<string, HhEvent> {
  const byId = new Map<string, HhEvent>();
  const stack = [root];
  while (stack.length) {
    const event = stack.pop()!;
    byId.set(event.event_id, event);
    for (const child of event.children ?? []) stack.push(child);
  }
  return byId;
}

/** The time window the waterfall spans: the earliest start to the latest end of any event. */
export function window(byId: Map<string, HhEvent>): { start: number; span: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const event of byId.values()) {
    start = Math.min(start, event.start_time);
    end = Math.max(end, event.end_time ?? event.start_time + (event.duration ?? 0));
  }
  return { start, span: Math.max(1, end - start) };
}

/** The ids on the path from the root to an event, so opening a deep link expands what hides it. */
export function ancestors(byId: Map<string, HhEvent>, id: string): string[] {
  const path: string[] = [];
  let current = byId.get(id);
  const seen = new Set<string>();
  while (current?.parent_id && !seen.has(current.parent_id)) {
    seen.add(current.parent_id);
    path.push(current.parent_id);
    current = byId.get(current.parent_id);
  }
  return path;
}
