-- Saved charts (the data-plane spec's /v1/charts): a chart configuration per row, scoped by
-- project. The validated request fields are kept as one jsonb document, as configurations are:
-- the spec's shape changes more often than anything queries by.
CREATE TABLE charts (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    content     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz
);
CREATE INDEX charts_project_created ON charts (project_id, created_at, id);
