-- The project settings a data plane enforces (retention, migration 0009; quotas, 0010) are synced like the rest of a project: a
-- change to one notes the project for the controllers' stream (migration 0008), and a change to an org's default notes
-- every project of the org that has no setting of its own.
DROP TRIGGER projects_sync ON projects;
CREATE TRIGGER projects_sync AFTER INSERT OR DELETE OR UPDATE OF workspace_id, name, description, deleted_at, retention_days,
    ingest_spans_per_second, ingest_spans_per_day, api_requests_per_minute ON projects
    FOR EACH ROW EXECUTE FUNCTION sync_projects_changed();

CREATE FUNCTION sync_org_defaults_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_note('project', ARRAY(
        SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id
        WHERE w.org_id = NEW.id AND p.retention_days IS NULL));
    RETURN NEW;
END $$;
CREATE TRIGGER orgs_sync AFTER UPDATE OF default_retention_days ON orgs
    FOR EACH ROW EXECUTE FUNCTION sync_org_defaults_changed();
