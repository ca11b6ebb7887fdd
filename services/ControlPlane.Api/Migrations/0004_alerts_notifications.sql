-- Alerts (the control-plane spec's /v1/projects/{project_id}/alerts), the history the data planes' alert engines
-- report, notification channels per scope, and the notification service's delivery ledger.

CREATE TABLE alerts (
    id                    uuid PRIMARY KEY,
    project_id            uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                  text NOT NULL,
    description           text,
    -- ACTIVE / PAUSED are the user's; TRIGGERED / RESOLVED are set from the DP's reports while ACTIVE.
    status                text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'TRIGGERED', 'PAUSED', 'RESOLVED')),
    frequency             text NOT NULL CHECK (frequency IN ('HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY')),
    minimum_sample_size   integer NOT NULL DEFAULT 0 CHECK (minimum_sample_size >= 0),
    alert_type            text NOT NULL CHECK (alert_type IN ('DRIFT', 'AGGREGATE', 'PER_EVENT')),
    aggregation           text NOT NULL,
    event_filters         jsonb NOT NULL DEFAULT '[]',
    event_metrics         jsonb NOT NULL DEFAULT '[]',
    -- {critical:{operator,value}, resolved:{...}, warning?:{...}}
    thresholds            jsonb NOT NULL,
    -- {critical:{channel,scope,user_ids,metadata}, resolved:{...}, warning?:{...}}; a webhook secret in metadata is
    -- stored sealed by the master key (metadata.secret_sealed) and never returned.
    notification_details  jsonb NOT NULL,
    muted_until           timestamptz,
    recovery_seconds      integer NOT NULL DEFAULT 0 CHECK (recovery_seconds >= 0),
    created_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    -- Moves on every change: the controllers' sync reads it to push definitions to data planes.
    updated_at            timestamptz NOT NULL DEFAULT now(),
    deleted_at            timestamptz,
    -- The latest evaluation, as the DP reports it.
    last_run_at           timestamptz,
    last_result           jsonb,
    trigger_error         text,
    stage                 text NOT NULL DEFAULT 'OK',
    last_trigger_id       uuid,
    last_triggered        timestamptz
);
CREATE INDEX alerts_by_project ON alerts (project_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX alerts_by_update ON alerts (updated_at);

-- Every stage change an engine recorded (the spec's AlertTrigger), keyed by the DP's transition id so a repeated
-- report is one row. stage: WARNING, CRITICAL or RESOLUTION.
CREATE TABLE alert_triggers (
    id                 uuid PRIMARY KEY,
    alert_id           uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    project_id         uuid NOT NULL,
    from_stage         text NOT NULL,
    stage              text NOT NULL,
    result             jsonb NOT NULL,
    muted              boolean NOT NULL DEFAULT false,
    notification_sent  boolean NOT NULL DEFAULT false,
    triggered_time     timestamptz NOT NULL,
    resolved_time      timestamptz,
    resolved_by        uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_triggers_by_alert ON alert_triggers (alert_id, triggered_time DESC);

-- Where an org, workspace or project wants its alert notifications, besides each alert's own destinations.
-- kind EMAIL: target {emails:[...]}; SLACK / WEBHOOK: target {url}. secret_sealed signs webhooks (HMAC-SHA256).
CREATE TABLE notification_channels (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    scope_type     text NOT NULL CHECK (scope_type IN ('org', 'workspace', 'project')),
    scope_id       uuid NOT NULL,
    name           text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('EMAIL', 'SLACK', 'WEBHOOK')),
    target         jsonb NOT NULL,
    secret_sealed  bytea,
    stages         text[] NOT NULL DEFAULT ARRAY['WARNING', 'CRITICAL', 'RESOLUTION'],
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE INDEX notification_channels_by_scope ON notification_channels (scope_type, scope_id) WHERE deleted_at IS NULL;

-- One row per (message, destination): the notification service sends a delivery id at most once and keeps what
-- happened. status: pending (claimed, being tried), sent, dead (gave up after the last try).
CREATE TABLE notification_deliveries (
    delivery_id   text PRIMARY KEY,
    message_id    text NOT NULL,
    org_id        uuid,
    channel       text NOT NULL,
    destination   text NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);
CREATE INDEX notification_deliveries_by_message ON notification_deliveries (message_id);
