-- Issue #12. Failed decide passes per workflow (the sweeper retries with back-off, then fails it):
-- kept apart from the workflow row so no hot-path write touches them. update_time is the workflow's
-- as it was at the failure; a workflow persisted since (a decide that worked) starts counting afresh.
CREATE TABLE decide_failures (
    workflow_id TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    update_time BIGINT NOT NULL
);

-- Idempotency keys of started workflows, unique per workflow name: the primary key is what makes
-- concurrent starts with one key create one workflow.
CREATE TABLE idempotency_keys (
    name TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    PRIMARY KEY (name, idem_key)
);
CREATE INDEX idempotency_keys_by_workflow ON idempotency_keys (workflow_id);

-- How deep in a chain of event-started workflows a workflow is (1: started by an event handler on a
-- message that an ordinary workflow published). Only event-started workflows have a row.
CREATE TABLE event_chains (
    workflow_id TEXT PRIMARY KEY,
    depth INTEGER NOT NULL
);
