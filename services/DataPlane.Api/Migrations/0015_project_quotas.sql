-- Issue 20: the project's quota overrides as the CP sent them (ProjectRecord fields 8-10). NULL: the configured
-- default (Quotas:*) applies. Read by ingestion and the DP API's quota check (ProjectQuotas), cached for seconds.
ALTER TABLE projects
    ADD COLUMN ingest_spans_per_second bigint,
    ADD COLUMN ingest_spans_per_day bigint,
    ADD COLUMN api_requests_per_minute bigint;
