-- Issue 19: versioned CP -> DP sync, the data planes' signed identity and their latest health report.
--
-- Every change to what data planes hold (projects, project API keys, alert definitions) appends a row to
-- sync_changes, written by triggers in the changing transaction and stamped with that transaction's id (xid8 as
-- bigint). A sync version is a transaction-id watermark: the xmin of a snapshot taken by the CP controller, below which
-- every transaction has finished. Reading "xid >= the DP's version AND xid < the watermark" therefore never skips a
-- transaction that commits late: a long transaction holds the watermark back until it ends, instead of committing
-- behind a version already sent (which is what a plain sequence or updated_at would allow). Deletes (soft and hard)
-- are changes like any other, so a delta carries them too.
CREATE TABLE sync_changes (
    xid         bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    kind        text NOT NULL CHECK (kind IN ('project', 'api_key', 'alert')),
    object_id   uuid NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (xid, kind, object_id)
);
CREATE INDEX sync_changes_by_time ON sync_changes (changed_at);

-- Changes older than the retention are pruned; a DP whose version is below pruned_below gets a full snapshot instead.
CREATE TABLE sync_state (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    pruned_below  bigint NOT NULL DEFAULT 0
);
INSERT INTO sync_state DEFAULT VALUES;

CREATE FUNCTION sync_note(kind text, ids uuid[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO sync_changes (kind, object_id) SELECT kind, unnest(ids) ON CONFLICT DO NOTHING;
    -- Wakes the CP controller's streams at once (NOTIFY is delivered on commit, once per transaction and payload).
    SELECT pg_notify('sync_changes', '');
$$;

-- Projects whose live state (or ancestry) changed: the projects, and their keys and alerts (a restored project needs them again).
CREATE FUNCTION sync_note_projects(project_ids uuid[], with_children boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_note('project', project_ids);
    IF with_children THEN
        PERFORM sync_note('api_key', ARRAY(SELECT id FROM api_keys WHERE project_id = ANY(project_ids) AND kind = 'project'));
        PERFORM sync_note('alert', ARRAY(SELECT id FROM alerts WHERE project_id = ANY(project_ids)));
    END IF;
END $$;

CREATE FUNCTION sync_projects_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM sync_note('project', ARRAY[OLD.id]);
        RETURN OLD;
    END IF;
    PERFORM sync_note_projects(ARRAY[NEW.id], TG_OP = 'UPDATE' AND OLD.deleted_at IS DISTINCT FROM NEW.deleted_at);
    RETURN NEW;
END $$;
CREATE TRIGGER projects_sync AFTER INSERT OR DELETE OR UPDATE OF workspace_id, name, description, deleted_at ON projects
    FOR EACH ROW EXECUTE FUNCTION sync_projects_changed();

CREATE FUNCTION sync_workspaces_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_note_projects(ARRAY(SELECT id FROM projects WHERE workspace_id = NEW.id), true);
    RETURN NEW;
END $$;
CREATE TRIGGER workspaces_sync AFTER UPDATE OF org_id, virtual_dataplane_id, deleted_at ON workspaces
    FOR EACH ROW EXECUTE FUNCTION sync_workspaces_changed();

CREATE FUNCTION sync_virtual_dataplanes_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_note_projects(ARRAY(
        SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.virtual_dataplane_id = NEW.id), true);
    RETURN NEW;
END $$;
CREATE TRIGGER virtual_dataplanes_sync AFTER UPDATE OF org_id, deleted_at ON virtual_dataplanes
    FOR EACH ROW EXECUTE FUNCTION sync_virtual_dataplanes_changed();

-- Key uses (last_used_at) are not changes: only the columns a DP holds fire this.
CREATE FUNCTION sync_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM sync_note(TG_ARGV[0], ARRAY[OLD.id]);
        RETURN OLD;
    END IF;
    PERFORM sync_note(TG_ARGV[0], ARRAY[NEW.id]);
    RETURN NEW;
END $$;
-- Control-plane keys never reach a DP, not even their ids.
CREATE TRIGGER api_keys_sync_insert AFTER INSERT ON api_keys FOR EACH ROW WHEN (NEW.kind = 'project')
    EXECUTE FUNCTION sync_row_changed('api_key');
CREATE TRIGGER api_keys_sync_update AFTER UPDATE OF project_id, key_hash, scopes, revoked_at, expires_at, kind ON api_keys
    FOR EACH ROW WHEN (NEW.kind = 'project' OR OLD.kind = 'project') EXECUTE FUNCTION sync_row_changed('api_key');
CREATE TRIGGER api_keys_sync_delete AFTER DELETE ON api_keys FOR EACH ROW WHEN (OLD.kind = 'project')
    EXECUTE FUNCTION sync_row_changed('api_key');
-- The engine's reports (stage, last run, TRIGGERED/RESOLVED) are not changes to the definition a DP evaluates.
CREATE TRIGGER alerts_sync AFTER INSERT OR DELETE ON alerts
    FOR EACH ROW EXECUTE FUNCTION sync_row_changed('alert');
CREATE TRIGGER alerts_sync_update AFTER UPDATE ON alerts FOR EACH ROW
    WHEN ((OLD.project_id, OLD.name, OLD.frequency, OLD.minimum_sample_size, OLD.alert_type, OLD.aggregation, OLD.event_filters,
           OLD.event_metrics, OLD.thresholds, OLD.muted_until, OLD.recovery_seconds, OLD.updated_at, OLD.deleted_at, OLD.status = 'PAUSED')
          IS DISTINCT FROM
          (NEW.project_id, NEW.name, NEW.frequency, NEW.minimum_sample_size, NEW.alert_type, NEW.aggregation, NEW.event_filters,
           NEW.event_metrics, NEW.thresholds, NEW.muted_until, NEW.recovery_seconds, NEW.updated_at, NEW.deleted_at, NEW.status = 'PAUSED'))
    EXECUTE FUNCTION sync_row_changed('alert');

-- The identity document the CP last issued to each data plane, and its latest health report (the figures and every
-- check, as JSON), shown by GET /v1/orgs/{org_id}/data_planes.
ALTER TABLE data_planes
    ADD COLUMN identity_issued_at   timestamptz,
    ADD COLUMN identity_expires_at  timestamptz,
    ADD COLUMN health               jsonb,
    ADD COLUMN health_reported_at   timestamptz,
    ADD COLUMN sync_version         bigint;
