-- Experiment runs (HoneyHive's "evaluations"). A run's events live in ClickHouse: the sessions
-- whose metadata.run_id names the run, plus the sessions listed in event_ids / session_ids.
-- This table holds only what the client declares about the run.
CREATE TABLE runs (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name           text,
    description    text,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'completed', 'failed', 'cancelled', 'running')),
    dataset_id     text,
    event_ids      text[] NOT NULL DEFAULT '{}',
    session_ids    text[] NOT NULL DEFAULT '{}',
    datapoint_ids  text[] NOT NULL DEFAULT '{}',
    metadata       jsonb NOT NULL DEFAULT '{}',
    results        jsonb NOT NULL DEFAULT '{}',
    configuration  jsonb NOT NULL DEFAULT '{}',
    evaluators     jsonb NOT NULL DEFAULT '[]',
    -- {metric name: {min, max}}: the thresholds pass/fail counts use.
    passing_ranges jsonb NOT NULL DEFAULT '{}',
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The list is per project, newest first by default, optionally per dataset.
CREATE INDEX runs_project_created ON runs (project_id, created_at DESC);
CREATE INDEX runs_project_dataset ON runs (project_id, dataset_id);
