-- Podium schema, version 1 (PostgreSQL). JSON bodies are text: written and read verbatim, cast to
-- jsonb only by searches.
CREATE TABLE task_defs (
    name TEXT PRIMARY KEY,
    json TEXT NOT NULL
);

CREATE TABLE workflow_defs (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    json TEXT NOT NULL,
    create_time BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE workflows (
    workflow_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    correlation_id TEXT,
    parent_workflow_id TEXT,
    start_time BIGINT NOT NULL,
    update_time BIGINT NOT NULL,
    end_time BIGINT,
    next_check BIGINT,
    def_hash TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX workflows_by_name ON workflows (name, start_time);
CREATE INDEX workflows_by_status ON workflows (status, start_time);
CREATE INDEX workflows_by_start ON workflows (start_time);
CREATE INDEX workflows_by_correlation ON workflows (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX workflows_by_parent ON workflows (parent_workflow_id) WHERE parent_workflow_id IS NOT NULL;
CREATE INDEX workflows_next_check ON workflows (next_check) WHERE next_check IS NOT NULL;

-- Immutable, content-addressed copies of the definitions executions run with.
CREATE TABLE workflow_snapshots (
    def_hash TEXT PRIMARY KEY,
    json TEXT NOT NULL
);

CREATE TABLE tasks (
    task_id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    task_type TEXT NOT NULL,
    task_def_name TEXT,
    ref_name TEXT NOT NULL,
    status TEXT NOT NULL,
    update_time BIGINT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX tasks_by_workflow ON tasks (workflow_id, seq);
CREATE INDEX tasks_in_progress ON tasks (task_def_name) WHERE status = 'IN_PROGRESS';
CREATE INDEX tasks_pending_by_type ON tasks (task_type, update_time) WHERE status IN ('SCHEDULED', 'IN_PROGRESS');
CREATE INDEX tasks_by_update ON tasks (update_time);

-- Delay queues. Dequeue walks queue_ready in serving order and skips rows other nodes hold.
CREATE TABLE queue (
    queue_name TEXT NOT NULL,
    task_id TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    visible_at BIGINT NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (queue_name, task_id)
);
CREATE INDEX queue_ready ON queue (queue_name, priority DESC, visible_at, created);
CREATE INDEX queue_by_task ON queue (task_id);

CREATE TABLE poll_data (
    queue_name TEXT NOT NULL,
    domain TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    last_poll_time BIGINT NOT NULL,
    PRIMARY KEY (queue_name, domain)
);

CREATE TABLE task_logs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id TEXT NOT NULL,
    log TEXT NOT NULL,
    created_time BIGINT NOT NULL
);
CREATE INDEX task_logs_by_task ON task_logs (task_id);

CREATE TABLE event_handlers (
    name TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX event_handlers_by_event ON event_handlers (event);

-- The internal event queue. A node takes messages by leasing them (lease_until), so each message is
-- delivered by one node at a time and a crashed node's messages come back when the lease ends.
CREATE TABLE event_queue (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_name TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE event_executions (
    id TEXT PRIMARY KEY,
    handler_name TEXT NOT NULL,
    event TEXT NOT NULL,
    message_id TEXT NOT NULL,
    created BIGINT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX event_executions_by_handler ON event_executions (handler_name, created DESC);
