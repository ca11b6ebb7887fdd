-- Retention of each project as the CP syncs it (the project's own setting, or its org's default when it has none).
ALTER TABLE projects ADD COLUMN retention_days integer NOT NULL DEFAULT 30;

-- Days of a project's archive loaded back into ClickHouse. A day listed here is not loaded again (a second restore of
-- it is a no-op) and the retention sweep leaves it in ClickHouse for Lifecycle:RestoredHold after restored_at; then
-- it removes the rows again (the archive stays) and drops this row, so the day can be restored anew.
CREATE TABLE archive_restores (
    project_id   uuid NOT NULL,
    day          date NOT NULL,
    row_count    bigint NOT NULL,
    restored_at  timestamptz NOT NULL,
    PRIMARY KEY (project_id, day)
);
