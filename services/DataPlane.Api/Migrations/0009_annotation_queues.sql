-- Annotation queues (the data-plane spec's /v1/queues): events put in front of people to score with the
-- project's HUMAN metrics. A queue is soft-deleted (is_active false) so the scores given in it stay explainable.
CREATE TABLE annotation_queues (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    -- The spec's filterArray, as the event search reads it.
    filters        jsonb NOT NULL DEFAULT '[]',
    enabled        boolean NOT NULL DEFAULT true,
    -- Members (user ids of the project's org) new items are handed to in turn; next_assignee is the turn.
    assignees      uuid[] NOT NULL DEFAULT '{}',
    next_assignee  bigint NOT NULL DEFAULT 0,
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz,
    -- Target of the composite keys below: a child row can only name a queue of its own project.
    UNIQUE (project_id, id)
);
CREATE INDEX annotation_queues_project_created ON annotation_queues (project_id, created_at, id);

-- The events of a queue: named by id, or found by its filters (materialized when read, so an item keeps its
-- place and its assignee). A removed item stays as a row (removed) so a filter match does not bring it back.
CREATE TABLE annotation_queue_items (
    project_id  uuid NOT NULL,
    queue_id    uuid NOT NULL,
    event_id    text NOT NULL,
    source      text NOT NULL CHECK (source IN ('event_ids', 'filters')),
    position    bigint GENERATED ALWAYS AS IDENTITY,
    removed     boolean NOT NULL DEFAULT false,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue_id, event_id),
    FOREIGN KEY (project_id, queue_id) REFERENCES annotation_queues (project_id, id) ON DELETE CASCADE
);
CREATE INDEX annotation_queue_items_order ON annotation_queue_items (queue_id, position);

-- Who is to score an item: one member per item, by turn or the first member who scores it.
CREATE TABLE annotation_queue_assignments (
    project_id   uuid NOT NULL,
    queue_id     uuid NOT NULL,
    event_id     text NOT NULL,
    assignee     uuid NOT NULL,
    assigned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue_id, event_id),
    FOREIGN KEY (queue_id, event_id) REFERENCES annotation_queue_items (queue_id, event_id) ON DELETE CASCADE
);
CREATE INDEX annotation_queue_assignments_assignee ON annotation_queue_assignments (queue_id, assignee);

-- One score per annotator, item and HUMAN metric. revision grows with every write, so the score published on
-- the event for a new state of an item's scores always has a message id of its own.
CREATE TABLE annotation_scores (
    project_id   uuid NOT NULL,
    queue_id     uuid NOT NULL,
    event_id     text NOT NULL,
    metric_name  text NOT NULL,
    -- A member's user id, or key:<id> for a project API key.
    annotator    text NOT NULL,
    value        jsonb NOT NULL,
    comment      text,
    revision     bigint GENERATED ALWAYS AS IDENTITY,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue_id, event_id, metric_name, annotator),
    FOREIGN KEY (queue_id, event_id) REFERENCES annotation_queue_items (queue_id, event_id) ON DELETE CASCADE
);
-- The event's published value is over every annotator of the project, whichever queue they scored it in.
CREATE INDEX annotation_scores_event ON annotation_scores (project_id, event_id, metric_name);
