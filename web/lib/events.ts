// The event as the data plane returns it (HoneyHive's event model: reference/HONEYHIVE-DATA-MODEL.md).
export type HhEvent = {
  event_id: string;
  project_id?: string;
  session_id: string;
  parent_id?: string | null;
  children_ids?: string[];
  event_type: "session" | "chain" | "model" | "tool" | string;
  event_name: string;
  source?: string;
  start_time: number;
  end_time?: number;
  duration?: number;
  error?: string | null;
  config?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  feedback?: Record<string, unknown>;
  user_properties?: Record<string, unknown>;
  children?: HhEvent[];
};

export type SessionPage = { sessions: HhEvent[]; count: number; total_is_estimate: boolean; next_cursor: string | null };
export type EventPage = { events: HhEvent[]; totalEvents?: number; count?: number; next_cursor?: string | null; total_is_estimate?: boolean };
