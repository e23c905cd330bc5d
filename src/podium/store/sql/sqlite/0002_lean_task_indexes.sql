-- Fewer index pages written per task update: the update-time index served only task search sorting,
-- and the concurrency-limit count needs only IN_PROGRESS rows.
DROP INDEX IF EXISTS tasks_by_update;
DROP INDEX IF EXISTS tasks_in_progress;
CREATE INDEX tasks_in_progress ON tasks (task_def_name) WHERE status = 'IN_PROGRESS';
-- Searches by definition and status (the UI's default filters) count and page from the index alone.
CREATE INDEX workflows_by_name_status ON workflows (name, status, start_time);
