-- name: get_task_def
SELECT json FROM task_defs WHERE name = ?;
-- name: put_task_def
INSERT INTO task_defs (name, json) VALUES (?, ?)
ON CONFLICT (name) DO UPDATE SET json = excluded.json;
-- name: list_task_defs
SELECT json FROM task_defs ORDER BY name;
-- name: delete_task_def
DELETE FROM task_defs WHERE name = ?;

-- name: get_workflow_def
SELECT json FROM workflow_defs WHERE name = ? AND version = ?;
-- name: get_latest_workflow_def
SELECT json FROM workflow_defs WHERE name = ? ORDER BY version DESC LIMIT 1;
-- name: put_workflow_def
INSERT INTO workflow_defs (name, version, json, create_time) VALUES (?, ?, ?, ?)
ON CONFLICT (name, version) DO UPDATE SET json = excluded.json;
-- name: list_workflow_defs
SELECT json FROM workflow_defs ORDER BY name, version;
-- name: delete_workflow_def
DELETE FROM workflow_defs WHERE name = ? AND version = ?;

-- name: insert_workflow
INSERT INTO workflows (workflow_id, name, version, status, correlation_id, parent_workflow_id,
                       start_time, update_time, end_time, next_check, def_hash, json)
VALUES (:workflow_id, :name, :version, :status, :correlation_id, :parent_workflow_id,
        :start_time, :update_time, :end_time, :next_check, :def_hash, :json);
-- name: update_workflow
UPDATE workflows SET status = :status, correlation_id = :correlation_id, update_time = :update_time,
  end_time = :end_time, next_check = :next_check, def_hash = :def_hash, json = :json
WHERE workflow_id = :workflow_id;
-- The next two write a workflow whose status and correlation id are as stored (see StateCache.columns):
-- naming no indexed column (or only next_check) keeps those indexes untouched.
-- name: update_workflow_unindexed
UPDATE workflows SET update_time = :update_time, end_time = :end_time, def_hash = :def_hash, json = :json
WHERE workflow_id = :workflow_id;
-- name: update_workflow_next_check
UPDATE workflows SET update_time = :update_time, end_time = :end_time, def_hash = :def_hash, json = :json,
  next_check = :next_check
WHERE workflow_id = :workflow_id;
-- name: queue_free_text
INSERT OR IGNORE INTO workflow_text_pending (workflow_rowid) SELECT rowid FROM workflows WHERE workflow_id = ?;
-- name: get_workflow
SELECT def_hash, json FROM workflows WHERE workflow_id = ?;
-- name: put_snapshot
INSERT INTO workflow_snapshots (def_hash, json) VALUES (?, ?) ON CONFLICT (def_hash) DO NOTHING;
-- name: get_snapshot
SELECT json FROM workflow_snapshots WHERE def_hash = ?;
-- name: delete_workflow
DELETE FROM workflows WHERE workflow_id = ?;
-- name: due_workflows
SELECT workflow_id FROM workflows WHERE next_check IS NOT NULL AND next_check <= ? ORDER BY next_check LIMIT ?;
-- name: set_next_check
UPDATE workflows SET next_check = ? WHERE workflow_id = ?;
-- name: running_workflow_ids
SELECT workflow_id FROM workflows WHERE name = ? AND version = ? AND status = 'RUNNING'
  AND start_time >= ? AND start_time <= ? ORDER BY start_time;
-- name: workflows_by_correlation
SELECT def_hash, json FROM workflows WHERE name = ? AND correlation_id = ? ORDER BY start_time;
-- name: child_workflow_ids
SELECT workflow_id FROM workflows WHERE parent_workflow_id = ?;

-- name: get_tasks
SELECT json FROM tasks WHERE workflow_id = ? ORDER BY seq;
-- name: get_task
SELECT json FROM tasks WHERE task_id = ?;
-- name: upsert_task
-- A task's workflow and seq never change after insert; leaving them out of the SET keeps the update
-- off the (workflow_id, seq) index.
INSERT INTO tasks (task_id, workflow_id, seq, task_type, task_def_name, ref_name, status, update_time, json)
VALUES (:task_id, :workflow_id, :seq, :task_type, :task_def_name, :ref_name, :status, :update_time, :json)
ON CONFLICT (task_id) DO UPDATE SET status = excluded.status,
  update_time = excluded.update_time, json = excluded.json;
-- name: delete_task
DELETE FROM tasks WHERE task_id = ?;
-- name: delete_workflow_tasks
DELETE FROM tasks WHERE workflow_id = ?;
-- name: count_in_progress
SELECT count(*) FROM tasks WHERE task_def_name = ? AND status = 'IN_PROGRESS';
-- name: pending_tasks_of_type
SELECT json FROM tasks WHERE task_type = ? AND status IN ('SCHEDULED', 'IN_PROGRESS')
ORDER BY update_time LIMIT ? OFFSET ?;

-- name: queue_push
INSERT INTO queue (queue_name, task_id, priority, visible_at, created) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (queue_name, task_id) DO UPDATE SET visible_at = excluded.visible_at, priority = excluded.priority;
-- name: queue_peek
SELECT task_id FROM queue WHERE queue_name = ? AND visible_at <= ?
ORDER BY priority DESC, visible_at, created LIMIT ?;
-- name: queue_set_visible
UPDATE queue SET visible_at = ? WHERE queue_name = ? AND task_id = ?;
-- name: queue_remove
DELETE FROM queue WHERE queue_name = ? AND task_id = ?;
-- name: queue_remove_task
DELETE FROM queue WHERE task_id = ?;
-- name: queue_size
SELECT count(*) FROM queue WHERE queue_name = ?;
-- name: queue_sizes
SELECT queue_name, count(*), sum(CASE WHEN visible_at > ? THEN 1 ELSE 0 END) FROM queue GROUP BY queue_name;
-- name: queue_next_visible
SELECT min(visible_at) FROM queue WHERE queue_name = ?;
-- name: queue_requeue
UPDATE queue SET visible_at = ? WHERE queue_name = ? AND visible_at > ?;
-- name: queue_contains
SELECT 1 FROM queue WHERE queue_name = ? AND task_id = ?;

-- name: put_poll_data
INSERT INTO poll_data (queue_name, domain, worker_id, last_poll_time) VALUES (?, ?, ?, ?)
ON CONFLICT (queue_name, domain) DO UPDATE SET worker_id = excluded.worker_id,
  last_poll_time = excluded.last_poll_time;
-- name: list_poll_data
SELECT queue_name, domain, worker_id, last_poll_time FROM poll_data ORDER BY queue_name, domain;

-- name: add_log
INSERT INTO task_logs (task_id, log, created_time) VALUES (?, ?, ?);
-- name: get_logs
SELECT log, created_time FROM task_logs WHERE task_id = ? ORDER BY id;

-- name: put_event_handler
INSERT INTO event_handlers (name, event, active, json) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET event = excluded.event, active = excluded.active, json = excluded.json;
-- name: get_event_handler
SELECT json FROM event_handlers WHERE name = ?;
-- name: list_event_handlers
SELECT json FROM event_handlers ORDER BY name;
-- name: event_handlers_for
SELECT json FROM event_handlers WHERE event = ? ORDER BY name;
-- name: delete_event_handler
DELETE FROM event_handlers WHERE name = ?;

-- name: event_publish
INSERT INTO event_queue (queue_name, message_id, payload, created) VALUES (?, ?, ?, ?);
-- name: event_peek
SELECT id, queue_name, message_id, payload FROM event_queue ORDER BY id LIMIT ?;
-- name: event_ack
DELETE FROM event_queue WHERE id = ?;
-- name: event_queue_sizes
SELECT queue_name, count(*) FROM event_queue GROUP BY queue_name ORDER BY queue_name;
-- name: put_event_execution
INSERT INTO event_executions (id, handler_name, event, message_id, created, json)
VALUES (:id, :handler_name, :event, :message_id, :created, :json)
ON CONFLICT (id) DO UPDATE SET json = excluded.json;
-- name: get_event_execution
SELECT json FROM event_executions WHERE id = ?;
-- name: list_event_executions
SELECT json FROM event_executions WHERE handler_name = ? ORDER BY created DESC, id LIMIT ?;

-- The free-text indexer (migration 0003): the last of the next ``limit`` queued rowids; then every
-- queued workflow up to it that is still terminal goes into the trigram index with its current body.
-- name: free_text_last_queued
SELECT max(workflow_rowid) FROM (SELECT workflow_rowid FROM workflow_text_pending ORDER BY workflow_rowid LIMIT ?);
-- name: free_text_index_queued
INSERT INTO workflow_text (rowid, body)
SELECT w.rowid, CAST(w.json AS TEXT) FROM workflow_text_pending p JOIN workflows w ON w.rowid = p.workflow_rowid
WHERE p.workflow_rowid <= ? AND w.status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED');
-- name: free_text_dequeue
DELETE FROM workflow_text_pending WHERE workflow_rowid <= ?;
-- Free text goes through the trigram index only while its candidates (queued workflows plus index
-- hits, counted up to a cap) stay few; see SqliteSearch._few_text_candidates.
-- name: free_text_candidates
SELECT (SELECT count(*) FROM (SELECT 1 FROM workflow_text_pending LIMIT :cap))
  + (SELECT count(*) FROM (SELECT 1 FROM workflow_text WHERE workflow_text MATCH :match LIMIT :cap));
-- name: max_workflow_rowid
SELECT max(rowid) FROM workflows;

-- Connection set-up (sqlite.connection), one statement per line.
-- name: connection_settings
PRAGMA journal_mode=WAL;
-- NORMAL in WAL mode survives a process kill (the OS keeps the WAL); only power loss may lose the last
-- transactions.
PRAGMA synchronous=NORMAL;
PRAGMA busy_timeout=5000;
PRAGMA cache_size=-65536;
PRAGMA temp_store=MEMORY;
-- Checkpoint every ~40 MB of WAL instead of SQLite's default ~4 MB: pages written many times between
-- checkpoints are copied back once, and the checkpoints' syncs are 10x rarer (commit CPU -15-25 % in
-- linear-5). Recovery after a crash replays at most that much WAL.
PRAGMA wal_autocheckpoint=10000;
PRAGMA journal_size_limit=67108864;

-- Migrations (sqlite.connection.migrate).
-- name: schema_version_table
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
-- name: schema_version
SELECT max(version) FROM schema_version;
-- name: schema_version_add
INSERT INTO schema_version (version) VALUES (?);

-- Issue #12: decide failures, idempotency keys, event chains (see 0005_robustness.sql).
-- name: record_decide_failure
INSERT INTO decide_failures (workflow_id, failures, update_time) VALUES (?, 1, ?)
ON CONFLICT (workflow_id) DO UPDATE SET update_time = excluded.update_time,
  failures = CASE WHEN decide_failures.update_time = excluded.update_time THEN decide_failures.failures + 1 ELSE 1 END
RETURNING failures;
-- name: clear_decide_failures
DELETE FROM decide_failures WHERE workflow_id = ?;
-- name: claim_idempotency_key
INSERT INTO idempotency_keys (name, idem_key, workflow_id) VALUES (?, ?, ?)
ON CONFLICT (name, idem_key) DO NOTHING RETURNING workflow_id;
-- name: idempotency_key_owner
SELECT workflow_id FROM idempotency_keys WHERE name = ? AND idem_key = ?;
-- name: replace_idempotency_key
UPDATE idempotency_keys SET workflow_id = ? WHERE name = ? AND idem_key = ? AND workflow_id = ? RETURNING 1;
-- name: set_event_depth
INSERT INTO event_chains (workflow_id, depth) VALUES (?, ?)
ON CONFLICT (workflow_id) DO UPDATE SET depth = excluded.depth;
-- name: event_depth
SELECT depth FROM event_chains WHERE workflow_id = ?;
-- name: forget_idempotency_keys
DELETE FROM idempotency_keys WHERE workflow_id = ?;
-- name: forget_event_depth
DELETE FROM event_chains WHERE workflow_id = ?;

-- Issue #13: application keys and the token signing secret (see the access_control migration).
-- name: insert_api_key
INSERT INTO api_keys (key_id, name, role, task_types, secret_hash, created_time) VALUES (?, ?, ?, ?, ?, ?);
-- name: get_api_key
SELECT key_id, name, role, task_types, secret_hash, created_time, revoked_time FROM api_keys WHERE key_id = ?;
-- name: list_api_keys
SELECT key_id, name, role, task_types, secret_hash, created_time, revoked_time FROM api_keys ORDER BY created_time, key_id;
-- name: revoke_api_key
UPDATE api_keys SET revoked_time = ? WHERE key_id = ? AND revoked_time IS NULL RETURNING 1;
-- name: revoked_api_keys
SELECT key_id FROM api_keys WHERE revoked_time IS NOT NULL;
-- name: claim_server_secret
INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING;
-- name: get_server_secret
SELECT value FROM server_secrets WHERE name = ?;

-- Issue #14: tags on definitions (see the tags migration).
-- name: get_definition_tags
SELECT tags FROM definition_tags WHERE kind = ? AND name = ?;
-- name: put_definition_tags
INSERT INTO definition_tags (kind, name, tags, update_time) VALUES (?, ?, ?, ?)
ON CONFLICT (kind, name) DO UPDATE SET tags = excluded.tags, update_time = excluded.update_time;
-- name: all_definition_tags
SELECT tags FROM definition_tags ORDER BY kind, name;

-- name: put_secret
INSERT INTO secrets (name, sealed, updated_time) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_time = excluded.updated_time;
-- name: get_secret
SELECT sealed FROM secrets WHERE name = ?;
-- name: list_secrets
SELECT name, sealed FROM secrets ORDER BY name;
-- name: delete_secret
DELETE FROM secrets WHERE name = ? RETURNING 1;
-- name: put_env_value
INSERT INTO environment_values (name, value, updated_time) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_time = excluded.updated_time;
-- name: list_env_values
SELECT name, value FROM environment_values ORDER BY name;
-- name: delete_env_value
DELETE FROM environment_values WHERE name = ? RETURNING 1;

-- Issue #15: workflow schedules and their executions (see the schedules migration).
-- name: put_schedule
INSERT INTO schedules (name, workflow_name, paused, next_run_time, body, updated_time) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET workflow_name = excluded.workflow_name, paused = excluded.paused,
  next_run_time = excluded.next_run_time, body = excluded.body, updated_time = excluded.updated_time;
-- name: get_schedule
SELECT body, next_run_time FROM schedules WHERE name = ?;
-- name: list_schedules
SELECT body, next_run_time FROM schedules ORDER BY name;
-- name: list_schedules_of
SELECT body, next_run_time FROM schedules WHERE workflow_name = ? ORDER BY name;
-- name: delete_schedule
DELETE FROM schedules WHERE name = ? RETURNING 1;
-- name: due_schedules
SELECT body, next_run_time FROM schedules WHERE paused = 0 AND next_run_time IS NOT NULL AND next_run_time <= ?
ORDER BY next_run_time LIMIT ?;
-- name: earliest_schedule
SELECT min(next_run_time) FROM schedules WHERE paused = 0 AND next_run_time IS NOT NULL;
-- name: advance_schedule
UPDATE schedules SET next_run_time = ? WHERE name = ? AND next_run_time = ? RETURNING 1;
-- name: claim_schedule_fire
INSERT INTO schedule_executions (execution_id, schedule_name, scheduled_time, execution_time, state, body)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (schedule_name, scheduled_time) DO NOTHING RETURNING 1;
-- name: recent_schedule_executions
SELECT body FROM schedule_executions ORDER BY scheduled_time DESC, execution_id LIMIT ?;
-- name: recent_schedule_executions_of
SELECT body FROM schedule_executions WHERE schedule_name = ? ORDER BY scheduled_time DESC, execution_id LIMIT ?;
-- name: prune_schedule_executions
DELETE FROM schedule_executions WHERE execution_id IN (
  SELECT execution_id FROM schedule_executions WHERE scheduled_time < ? ORDER BY scheduled_time LIMIT ?)
RETURNING 1;
-- Retention (issue #16). Ended workflows whose end time is before a cutoff, of one definition name or of
-- every name but those skipped (a JSON array): read from the status indexes (a workflow starts before it
-- ends, so the start time narrows them), unordered, at most a limit.
-- name: expired_workflows_of
SELECT workflow_id FROM workflows
WHERE name = :name AND status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED')
  AND start_time < :before AND end_time < :before
LIMIT :limit;
-- name: expired_workflows_except
SELECT workflow_id FROM workflows
WHERE status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED')
  AND start_time < :before AND end_time < :before
  AND name NOT IN (SELECT value FROM json_each(:skip))
LIMIT :limit;
-- name: delete_task_logs
DELETE FROM task_logs WHERE task_id = ?;
-- A removed workflow's free-text entry (migration 0003). The index is contentless, so an entry is
-- deleted by giving the text it was made from: a terminal workflow that is not queued was indexed with
-- its current body (every terminal write queues it again). One still queued is only dequeued.
-- name: forget_free_text
INSERT INTO workflow_text (workflow_text, rowid, body)
SELECT 'delete', w.rowid, CAST(w.json AS TEXT) FROM workflows w
WHERE w.workflow_id = ? AND w.status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED')
  AND NOT EXISTS (SELECT 1 FROM workflow_text_pending p WHERE p.workflow_rowid = w.rowid);
-- name: forget_free_text_queued
DELETE FROM workflow_text_pending WHERE workflow_rowid = (SELECT rowid FROM workflows WHERE workflow_id = ?);
