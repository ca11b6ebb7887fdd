-- The single node's durable workflow backend (services/WorkflowBackend): the state daprd keeps for the Dapr
-- Workflow SDK in distributed mode. Every key starts with the task hub, so two backends (or a test) sharing dpdb
-- never see each other's instance ids. Events are serialized HistoryEvent protobuf messages.
CREATE TABLE workflow_instances (
    hub                text        NOT NULL,
    instance_id        text        NOT NULL,
    name               text        NOT NULL,
    execution_id       text        NOT NULL,
    -- OrchestrationStatus of the protocol: 0 running, 1 completed, 2 continued as new, 3 failed, 5 terminated,
    -- 6 pending (started, no turn yet), 7 suspended.
    status             int         NOT NULL,
    input              text,
    output             text,
    custom_status      text,
    failure            bytea,
    parent_instance_id text,
    parent_task_id     int,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz,
    -- The orchestration lease: one turn per instance at a time; lease_token is the work item's completion token.
    lease_owner        uuid,
    lease_token        uuid,
    lease_expires      timestamptz,
    PRIMARY KEY (hub, instance_id)
);
CREATE INDEX workflow_instances_parent ON workflow_instances (hub, parent_instance_id) WHERE parent_instance_id IS NOT NULL;
CREATE INDEX workflow_instances_leased ON workflow_instances (hub, lease_owner) WHERE lease_owner IS NOT NULL;

-- The committed history of the current execution, in order.
CREATE TABLE workflow_history (
    hub         text   NOT NULL,
    instance_id text   NOT NULL,
    seq         int    NOT NULL,
    event       bytea  NOT NULL,
    PRIMARY KEY (hub, instance_id, seq)
);

-- Events waiting for the instance's next turn: ExecutionStarted, TaskCompleted/Failed, EventRaised, child results,
-- timers (TimerFired, invisible until fire time) and the turn's own WorkflowStarted, written when it is leased. A turn consumes the visible rows it was given, in one
-- transaction with the history the turn appends.
CREATE TABLE workflow_inbox (
    id          bigserial   PRIMARY KEY,
    hub         text        NOT NULL,
    instance_id text        NOT NULL,
    kind        text        NOT NULL,
    event       bytea       NOT NULL,
    visible_at  timestamptz NOT NULL DEFAULT now(),
    -- The leased turn that was handed this row (its completion token); the turn's completion deletes it.
    turn_token  uuid
);
CREATE INDEX workflow_inbox_due ON workflow_inbox (hub, visible_at);
CREATE INDEX workflow_inbox_instance ON workflow_inbox (hub, instance_id, id);

-- Scheduled activity calls (ActivityRequest protobuf) until their result is in the inbox.
CREATE TABLE workflow_activities (
    id            bigserial   PRIMARY KEY,
    hub           text        NOT NULL,
    instance_id   text        NOT NULL,
    task_id       int         NOT NULL,
    request       bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    lease_owner   uuid,
    lease_token   uuid,
    lease_expires timestamptz
);
CREATE INDEX workflow_activities_ready ON workflow_activities (hub, id) WHERE lease_owner IS NULL;
CREATE INDEX workflow_activities_instance ON workflow_activities (hub, instance_id);
CREATE INDEX workflow_activities_leased ON workflow_activities (hub, lease_owner) WHERE lease_owner IS NOT NULL;
