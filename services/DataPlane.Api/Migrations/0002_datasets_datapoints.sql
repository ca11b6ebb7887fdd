-- Datasets and datapoints (HoneyHive's test sets). A datapoint may belong to several datasets, so
-- membership is its own table; a datapoint's linked_datasets and a dataset's datapoints are both
-- read from it, never stored twice.
-- No foreign key to projects: that table is a copy the controllers' sync rewrites, and a sync
-- mishap (a snapshot missing a project) must not cascade into deleting the DP's own data.
CREATE TABLE datasets (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL,
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    type           text NOT NULL DEFAULT 'evaluation' CHECK (type IN ('evaluation', 'fine-tuning')),
    pipeline_type  text NOT NULL DEFAULT 'event' CHECK (pipeline_type IN ('event', 'session')),
    linked_evals   text[] NOT NULL DEFAULT '{}',
    metadata       jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- Target of the membership table's composite key (see below).
    UNIQUE (project_id, id)
);

CREATE INDEX datasets_project_created ON datasets (project_id, created_at DESC, id DESC);
CREATE INDEX datasets_project_name ON datasets (project_id, name);

CREATE TABLE datapoints (
    id            uuid PRIMARY KEY,
    project_id    uuid NOT NULL,
    inputs        jsonb NOT NULL DEFAULT '{}',
    history       jsonb NOT NULL DEFAULT '[]',
    ground_truth  jsonb,
    metadata      jsonb,
    -- The event a datapoint was curated from (POST /datapoints/batch); events live in ClickHouse.
    linked_event  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, id)
);

CREATE INDEX datapoints_project_created ON datapoints (project_id, created_at, id);
CREATE INDEX datapoints_project_event ON datapoints (project_id, linked_event) WHERE linked_event IS NOT NULL;

-- project_id is part of both foreign keys, so the database itself refuses a link between a
-- dataset and a datapoint of different projects, whatever the code above it does.
CREATE TABLE dataset_datapoints (
    project_id    uuid NOT NULL,
    dataset_id    uuid NOT NULL,
    datapoint_id  uuid NOT NULL,
    -- Insertion order: a dataset lists its datapoints in the order they were added.
    position      bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (dataset_id, datapoint_id),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, datapoint_id) REFERENCES datapoints (project_id, id) ON DELETE CASCADE
);

CREATE INDEX dataset_datapoints_order ON dataset_datapoints (dataset_id, position);
CREATE INDEX dataset_datapoints_datapoint ON dataset_datapoints (datapoint_id, position);
CREATE INDEX dataset_datapoints_project ON dataset_datapoints (project_id);
