-- Issue #15. Workflow schedules (docs/scheduler.md) and what each fire did.
-- next_run_time is the first fire time not made yet (NULL: never again); the firing loop sleeps until
-- the smallest one of the schedules not paused.
CREATE TABLE schedules (
    name TEXT PRIMARY KEY,
    workflow_name TEXT NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0,
    next_run_time BIGINT,
    body TEXT NOT NULL,
    updated_time BIGINT NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_run_time) WHERE paused = 0 AND next_run_time IS NOT NULL;
CREATE INDEX schedules_workflow ON schedules (workflow_name);

-- One row per fire: the unique (schedule, scheduled time) makes each fire time start one workflow, however
-- many nodes race for it (the row is written in the transaction that starts the workflow).
CREATE TABLE schedule_executions (
    execution_id TEXT PRIMARY KEY,
    schedule_name TEXT NOT NULL,
    scheduled_time BIGINT NOT NULL,
    execution_time BIGINT NOT NULL,
    state TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (schedule_name, scheduled_time)
);
CREATE INDEX schedule_executions_time ON schedule_executions (scheduled_time);
