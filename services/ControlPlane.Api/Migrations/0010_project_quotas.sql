-- Issue 20: per-project quota overrides, set by workspace admins (PUT /v1/projects/{project_id}/quotas) and synced to the
-- data planes with the project. NULL: the data plane's configured default (Quotas:*) applies.
ALTER TABLE projects
    ADD COLUMN ingest_spans_per_second bigint CHECK (ingest_spans_per_second > 0),
    ADD COLUMN ingest_spans_per_day bigint CHECK (ingest_spans_per_day > 0),
    ADD COLUMN api_requests_per_minute bigint CHECK (api_requests_per_minute > 0);
