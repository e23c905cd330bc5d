-- The task queue clustered on its key: a push, a visibility change or a removal writes the row where
-- its (queue, task) key sorts, instead of a rowid table plus a separate key index.
CREATE TABLE queue_clustered (
    queue_name TEXT NOT NULL,
    task_id TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (queue_name, task_id)
) WITHOUT ROWID;
INSERT INTO queue_clustered (queue_name, task_id, priority, visible_at, created)
SELECT queue_name, task_id, priority, visible_at, created FROM queue;
DROP TABLE queue;
ALTER TABLE queue_clustered RENAME TO queue;
CREATE INDEX queue_ready ON queue (queue_name, visible_at);
