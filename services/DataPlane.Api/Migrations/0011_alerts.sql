-- Alert definitions synced from the CP, and the alert engine's own state: per alert its stage, and every
-- transition, which is also the outbox of notifications (published_at) and of reports to the CP (reported_at).

CREATE TABLE alerts (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- HoneyHive.Contracts.Alerts.AlertDefinition
    definition  jsonb NOT NULL,
    synced_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_by_project ON alerts (project_id);

CREATE TABLE alert_states (
    alert_id         uuid PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    stage            text NOT NULL DEFAULT 'OK' CHECK (stage IN ('OK', 'WARNING', 'CRITICAL')),
    stage_since      timestamptz NOT NULL DEFAULT now(),
    -- Since when the resolved condition has held while WARNING or CRITICAL (the recovery window), else null.
    recovering_since timestamptz,
    last_run_at      timestamptz,
    last_result      jsonb,
    last_error       text,
    -- The latest run was not yet reported to the CP.
    run_reported     boolean NOT NULL DEFAULT false
);

CREATE TABLE alert_transitions (
    id            uuid PRIMARY KEY,
    alert_id      uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    project_id    uuid NOT NULL,
    from_stage    text NOT NULL,
    to_stage      text NOT NULL,
    result        jsonb NOT NULL,
    muted         boolean NOT NULL DEFAULT false,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    reported_at   timestamptz
);
CREATE INDEX alert_transitions_unpublished ON alert_transitions (occurred_at) WHERE published_at IS NULL;
CREATE INDEX alert_transitions_unreported ON alert_transitions (occurred_at) WHERE reported_at IS NULL;
CREATE INDEX alert_transitions_by_alert ON alert_transitions (alert_id, occurred_at DESC);
