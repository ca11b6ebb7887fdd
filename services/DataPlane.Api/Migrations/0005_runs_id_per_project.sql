-- The client may choose a run's id (run_id). With a global key, creating a run under another
-- project's id answered 409 and so confirmed that id exists elsewhere; keyed per project, each
-- project has its own id space and never learns about another's runs.
ALTER TABLE runs DROP CONSTRAINT runs_pkey;
ALTER TABLE runs ADD PRIMARY KEY (project_id, id);
