-- Retention: how many days of events a data plane keeps for a project before archiving and removing them.
-- The org's default applies to every project without a setting of its own (NULL). 1 to 3650 days, as the API checks.
ALTER TABLE orgs ADD COLUMN default_retention_days integer NOT NULL DEFAULT 30
    CONSTRAINT orgs_default_retention_days_range CHECK (default_retention_days BETWEEN 1 AND 3650);
ALTER TABLE projects ADD COLUMN retention_days integer
    CONSTRAINT projects_retention_days_range CHECK (retention_days BETWEEN 1 AND 3650);
