-- name: get_task_def
SELECT json FROM task_defs WHERE name = %s;
-- name: put_task_def
INSERT INTO task_defs (name, json) VALUES (%s, %s)
ON CONFLICT (name) DO UPDATE SET json = excluded.json;
-- name: list_task_defs
SELECT json FROM task_defs ORDER BY name;
-- name: delete_task_def
DELETE FROM task_defs WHERE name = %s RETURNING 1;

-- name: get_workflow_def
SELECT json FROM workflow_defs WHERE name = %s AND version = %s;
-- name: get_latest_workflow_def
SELECT json FROM workflow_defs WHERE name = %s ORDER BY version DESC LIMIT 1;
-- name: put_workflow_def
INSERT INTO workflow_defs (name, version, json, create_time) VALUES (%s, %s, %s, %s)
ON CONFLICT (name, version) DO UPDATE SET json = excluded.json;
-- name: list_workflow_defs
SELECT json FROM workflow_defs ORDER BY name, version;
-- name: delete_workflow_def
DELETE FROM workflow_defs WHERE name = %s AND version = %s RETURNING 1;
-- name: notify_metadata
SELECT pg_notify('podium_meta', %s);

-- A running workflow's body is in json, an ended one's in ended_json, which the free-text index reads
-- (migration 0010); readers take COALESCE(json, ended_json).
-- name: insert_workflow
INSERT INTO workflows (workflow_id, name, version, status, correlation_id, parent_workflow_id,
                       start_time, update_time, end_time, next_check, def_hash, json, ended_json)
VALUES (%(workflow_id)s, %(name)s, %(version)s, %(status)s, %(correlation_id)s, %(parent_workflow_id)s,
        %(start_time)s, %(update_time)s, %(end_time)s, %(next_check)s, %(def_hash)s,
        CASE WHEN %(status)s IN ('COMPLETED', 'FAILED', 'TERMINATED', 'TIMED_OUT') THEN NULL ELSE %(json)s END,
        CASE WHEN %(status)s IN ('COMPLETED', 'FAILED', 'TERMINATED', 'TIMED_OUT') THEN %(json)s END);
-- An update keeps the stored next check when it is still ahead, no later than the new one, and at least
-- half as far ahead: the workflow is then decided early (a decide that finds nothing due sets the real
-- check), at worst at half the distance, and the steps of a running workflow change no indexed column,
-- so their writes stay HOT (migration 0010). A check moving earlier, or cleared, is always written.
-- The same statement wrapped to also wake whoever waits on the workflow on another node (e.g. a synchronous
-- execute) is update_workflow, made from this one in postgres/queries.py.
-- name: update_workflow_quiet
UPDATE workflows SET status = %(status)s, correlation_id = %(correlation_id)s, update_time = %(update_time)s,
  end_time = %(end_time)s, def_hash = %(def_hash)s,
  json = CASE WHEN %(status)s IN ('COMPLETED', 'FAILED', 'TERMINATED', 'TIMED_OUT') THEN NULL ELSE %(json)s END,
  next_check = CASE WHEN next_check <= %(next_check)s::bigint
    AND 2 * (next_check - %(update_time)s::bigint) >= %(next_check)s::bigint - %(update_time)s::bigint
    THEN next_check ELSE %(next_check)s::bigint END,
  ended_json = CASE WHEN %(status)s IN ('COMPLETED', 'FAILED', 'TERMINATED', 'TIMED_OUT') THEN %(json)s END
WHERE workflow_id = %(workflow_id)s;
-- name: get_workflow
SELECT def_hash, COALESCE(json, ended_json) FROM workflows WHERE workflow_id = %s;
-- Inside a transaction a workflow is loaded to be decided: the row lock keeps every other node's
-- decide, update and poll of this workflow waiting (or skipping) until the transaction ends.
-- name: get_workflow_locked
SELECT def_hash, COALESCE(json, ended_json) FROM workflows WHERE workflow_id = %s FOR NO KEY UPDATE;
-- The same inside a group that holds other units' locks: fail at once instead of waiting (see postgres.group).
-- name: get_workflow_locked_nowait
SELECT def_hash, COALESCE(json, ended_json) FROM workflows WHERE workflow_id = %s FOR NO KEY UPDATE NOWAIT;
-- name: put_snapshot
INSERT INTO workflow_snapshots (def_hash, json) VALUES (%s, %s) ON CONFLICT (def_hash) DO NOTHING;
-- name: get_snapshot
SELECT json FROM workflow_snapshots WHERE def_hash = %s;
-- name: delete_workflow
DELETE FROM workflows WHERE workflow_id = %s;
-- The sweeper claims due workflows: rows another node is deciding are skipped, and the claim pushes
-- next_check out by a lease so no other node picks them up meanwhile (the decide sets the real one).
-- name: claim_due_workflows
WITH due AS (
  SELECT workflow_id, next_check FROM workflows WHERE next_check IS NOT NULL AND next_check <= %s
  ORDER BY next_check LIMIT %s FOR UPDATE SKIP LOCKED)
UPDATE workflows w SET next_check = %s FROM due WHERE w.workflow_id = due.workflow_id
RETURNING w.workflow_id, due.next_check;
-- name: set_next_check
UPDATE workflows SET next_check = %s WHERE workflow_id = %s;
-- name: running_workflow_ids
SELECT workflow_id FROM workflows WHERE name = %s AND version = %s AND status = 'RUNNING'
  AND start_time >= %s AND start_time <= %s ORDER BY start_time;
-- name: workflows_by_correlation
SELECT def_hash, COALESCE(json, ended_json) FROM workflows WHERE name = %s AND correlation_id = %s ORDER BY start_time;
-- name: child_workflow_ids
SELECT workflow_id FROM workflows WHERE parent_workflow_id = %s;

-- name: get_tasks
SELECT json FROM tasks WHERE workflow_id = %s ORDER BY seq;
-- name: get_task
SELECT json FROM tasks WHERE task_id = %s;
-- Statements with ROWS(...) write a run of rows: the tuple is repeated once per row (see
-- ``postgres.runs``); the rows of one run have distinct keys. Its parameters are named.
-- name: upsert_tasks
INSERT INTO tasks (task_id, workflow_id, seq, task_type, task_def_name, ref_name, status, update_time, json)
VALUES ROWS(%(task_id)s, %(workflow_id)s, %(seq)s, %(task_type)s, %(task_def_name)s, %(ref_name)s, %(status)s,
             %(update_time)s, %(json)s)
ON CONFLICT (task_id) DO UPDATE SET status = excluded.status,
  update_time = excluded.update_time, json = excluded.json;
-- name: delete_tasks
DELETE FROM tasks WHERE task_id = ANY(%s::text[]);
-- name: delete_workflow_tasks
DELETE FROM tasks WHERE workflow_id = %s;
-- name: count_in_progress
SELECT count(*) FROM tasks WHERE task_def_name = %s AND status = 'IN_PROGRESS';
-- name: pending_tasks_of_type
SELECT json FROM tasks WHERE task_type = %s AND status IN ('SCHEDULED', 'IN_PROGRESS')
ORDER BY update_time LIMIT %s OFFSET %s;

-- A push wakes long-polls on every node: the notification is delivered when the transaction commits.
-- name: queue_push
WITH pushed AS (
  INSERT INTO queue (queue_name, task_id, priority, visible_at, created) VALUES (%s, %s, %s, %s, %s)
  ON CONFLICT (queue_name, task_id) DO UPDATE SET visible_at = excluded.visible_at, priority = excluded.priority)
SELECT pg_notify('podium_queue', %s);
-- name: queue_push_quiet
INSERT INTO queue (queue_name, task_id, priority, visible_at, created) VALUES ROWS(%(queue_name)s, %(task_id)s, %(priority)s, %(visible_at)s, %(created)s)
ON CONFLICT (queue_name, task_id) DO UPDATE SET visible_at = excluded.visible_at, priority = excluded.priority;
-- name: queue_peek
SELECT task_id FROM queue WHERE queue_name = %s AND visible_at <= %s
ORDER BY priority DESC, visible_at, created LIMIT %s;
-- Dequeue inside a transaction: lock the message, its task and the task's workflow together, skipping
-- any of them another node holds, so a message is handed to one poller and never to a poll racing a
-- decide of the same workflow. Returns the task body too, saving a read per task.
-- name: queue_claim
SELECT q.task_id, t.json FROM queue q
JOIN tasks t ON t.task_id = q.task_id
JOIN workflows w ON w.workflow_id = t.workflow_id
WHERE q.queue_name = %s AND q.visible_at <= %s
ORDER BY q.priority DESC, q.visible_at, q.created
LIMIT %s
FOR NO KEY UPDATE OF q, t, w SKIP LOCKED;
-- name: queue_set_visible
UPDATE queue SET visible_at = %s WHERE queue_name = %s AND task_id = %s;
-- name: queue_set_visible_rows
UPDATE queue q SET visible_at = u.visible_at
FROM (VALUES ROWS(%(visible_at)s::bigint, %(queue_name)s::text, %(task_id)s::text)) AS u (visible_at, queue_name, task_id)
WHERE q.queue_name = u.queue_name AND q.task_id = u.task_id;
-- name: queue_set_visible_notify
WITH moved AS (UPDATE queue SET visible_at = %s WHERE queue_name = %s AND task_id = %s)
SELECT pg_notify('podium_queue', %s);
-- name: queue_remove
DELETE FROM queue WHERE queue_name = %s AND task_id = %s;
-- name: queue_remove_task
DELETE FROM queue WHERE task_id = %s;
-- name: queue_size
SELECT count(*) FROM queue WHERE queue_name = %s;
-- name: queue_sizes
SELECT queue_name, count(*), count(*) FILTER (WHERE visible_at > %s) FROM queue GROUP BY queue_name;
-- name: queue_next_visible
SELECT min(visible_at) FROM queue WHERE queue_name = %s;
-- name: queue_requeue
UPDATE queue SET visible_at = %s WHERE queue_name = %s AND visible_at > %s RETURNING 1;
-- name: queue_compact
-- Reclaims dead queue rows for reuse; never truncates (that would lock out every reader for a moment).
VACUUM (SKIP_LOCKED, TRUNCATE false) queue;
-- Free-text entries of newly ended workflows wait in the trigram index's pending list; merged here, off the
-- request path (otherwise the write that fills the list to gin_pending_list_limit merges it, ~30 ms).
-- name: text_index_flush
SELECT gin_clean_pending_list(i) FROM to_regclass('workflows_text') i WHERE i IS NOT NULL;
-- name: queue_compact_try_lock
-- Nodes take turns: one that finds another compacting skips quietly (VACUUM's own skip logs a warning).
SELECT pg_try_advisory_lock(%s);
-- name: queue_compact_unlock
SELECT pg_advisory_unlock(%s);
-- name: queue_may_vacuum
-- Who may VACUUM a table: its owner, the database's owner, a superuser; since PostgreSQL 17 also a role
-- granted MAINTAIN on it.
SELECT CASE WHEN current_setting('server_version_num')::int >= 170000
            THEN has_table_privilege('queue', 'MAINTAIN')
            ELSE pg_has_role(c.relowner, 'USAGE') OR pg_has_role(d.datdba, 'USAGE')
                 OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) END
FROM pg_class c, pg_database d WHERE c.oid = 'queue'::regclass AND d.datname = current_database();
-- name: queue_contains
SELECT 1 FROM queue WHERE queue_name = %s AND task_id = %s;
-- name: queue_names
SELECT DISTINCT queue_name FROM queue;
-- name: notify_queue
SELECT pg_notify('podium_queue', %s);

-- name: put_poll_data
INSERT INTO poll_data (queue_name, domain, worker_id, last_poll_time) VALUES (%s, %s, %s, %s)
ON CONFLICT (queue_name, domain) DO UPDATE SET worker_id = excluded.worker_id,
  last_poll_time = excluded.last_poll_time;
-- name: list_poll_data
SELECT queue_name, domain, worker_id, last_poll_time FROM poll_data ORDER BY queue_name, domain;

-- name: add_log
INSERT INTO task_logs (task_id, log, created_time) VALUES (%s, %s, %s);
-- name: get_logs
SELECT log, created_time FROM task_logs WHERE task_id = %s ORDER BY id;

-- name: put_event_handler
INSERT INTO event_handlers (name, event, active, json) VALUES (%s, %s, %s, %s)
ON CONFLICT (name) DO UPDATE SET event = excluded.event, active = excluded.active, json = excluded.json;
-- name: get_event_handler
SELECT json FROM event_handlers WHERE name = %s;
-- name: list_event_handlers
SELECT json FROM event_handlers ORDER BY name;
-- name: event_handlers_for
SELECT json FROM event_handlers WHERE event = %s ORDER BY name;
-- name: delete_event_handler
DELETE FROM event_handlers WHERE name = %s RETURNING 1;

-- name: event_publish
INSERT INTO event_queue (queue_name, message_id, payload, created) VALUES (%s, %s, %s, %s);
-- name: event_claim
UPDATE event_queue SET lease_until = %s
WHERE id IN (SELECT id FROM event_queue WHERE lease_until <= %s ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)
RETURNING id, queue_name, message_id, payload;
-- name: event_ack
DELETE FROM event_queue WHERE id = %s;
-- name: event_queue_sizes
SELECT queue_name, count(*) FROM event_queue GROUP BY queue_name ORDER BY queue_name;
-- name: put_event_execution
INSERT INTO event_executions (id, handler_name, event, message_id, created, json)
VALUES (%(id)s, %(handler_name)s, %(event)s, %(message_id)s, %(created)s, %(json)s)
ON CONFLICT (id) DO UPDATE SET json = excluded.json;
-- name: get_event_execution
SELECT json FROM event_executions WHERE id = %s;
-- name: list_event_executions
SELECT json FROM event_executions WHERE handler_name = %s ORDER BY created DESC, id LIMIT %s;

-- Issue #12: decide failures, idempotency keys, event chains (see 0002_robustness.sql).
-- name: record_decide_failure
INSERT INTO decide_failures (workflow_id, failures, update_time) VALUES (%s, 1, %s)
ON CONFLICT (workflow_id) DO UPDATE SET update_time = excluded.update_time,
  failures = CASE WHEN decide_failures.update_time = excluded.update_time THEN decide_failures.failures + 1 ELSE 1 END
RETURNING failures;
-- name: clear_decide_failures
DELETE FROM decide_failures WHERE workflow_id = %s;
-- name: claim_idempotency_key
INSERT INTO idempotency_keys (name, idem_key, workflow_id) VALUES (%s, %s, %s)
ON CONFLICT (name, idem_key) DO NOTHING RETURNING workflow_id;
-- name: idempotency_key_owner
SELECT workflow_id FROM idempotency_keys WHERE name = %s AND idem_key = %s;
-- name: replace_idempotency_key
UPDATE idempotency_keys SET workflow_id = %s WHERE name = %s AND idem_key = %s AND workflow_id = %s RETURNING 1;
-- name: set_event_depth
INSERT INTO event_chains (workflow_id, depth) VALUES (%s, %s)
ON CONFLICT (workflow_id) DO UPDATE SET depth = excluded.depth;
-- name: event_depth
SELECT depth FROM event_chains WHERE workflow_id = %s;
-- A removed workflow's side rows (decide failures, idempotency keys, event chain depth).
-- name: forget_workflow_extras
WITH f AS (DELETE FROM decide_failures WHERE workflow_id = %(workflow_id)s),
     k AS (DELETE FROM idempotency_keys WHERE workflow_id = %(workflow_id)s)
DELETE FROM event_chains WHERE workflow_id = %(workflow_id)s;

-- Connection set-up (postgres.session.configure).
-- name: session_settings
SELECT set_config('lock_timeout', '10s', false), set_config('idle_in_transaction_session_timeout', '60s', false);

-- Migrations (postgres.migrations): concurrent starts apply each migration once under this lock.
-- name: migration_lock
SELECT pg_advisory_xact_lock(%s);
-- name: schema_version_table
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
-- name: schema_version
SELECT max(version) FROM schema_version;
-- name: schema_version_exists
SELECT to_regclass('schema_version') IS NOT NULL;
-- name: schema_version_add
INSERT INTO schema_version (version) VALUES (%s);

-- The notification listener (postgres.listen).
-- name: listen_queue
LISTEN podium_queue;
-- name: listen_meta
LISTEN podium_meta;
-- name: announce
SELECT pg_notify('podium_meta', %s);
-- Other nodes' listeners on this database, known by their application name.
-- name: other_listeners
SELECT count(*), count(*) FILTER (WHERE application_name = %s) FROM pg_stat_activity
  WHERE application_name IN (%s, %s) AND datname = current_database() AND pid <> pg_backend_pid();

-- Issue #13: application keys and the token signing secret (see the access_control migration).
-- name: insert_api_key
INSERT INTO api_keys (key_id, name, role, task_types, secret_hash, created_time) VALUES (%s, %s, %s, %s, %s, %s);
-- name: get_api_key
SELECT key_id, name, role, task_types, secret_hash, created_time, revoked_time FROM api_keys WHERE key_id = %s;
-- name: list_api_keys
SELECT key_id, name, role, task_types, secret_hash, created_time, revoked_time FROM api_keys ORDER BY created_time, key_id;
-- name: revoke_api_key
UPDATE api_keys SET revoked_time = %s WHERE key_id = %s AND revoked_time IS NULL RETURNING 1;
-- name: revoked_api_keys
SELECT key_id FROM api_keys WHERE revoked_time IS NOT NULL;
-- name: claim_server_secret
INSERT INTO server_secrets (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING;
-- name: get_server_secret
SELECT value FROM server_secrets WHERE name = %s;

-- Issue #14: tags on definitions (see the tags migration).
-- name: get_definition_tags
SELECT tags FROM definition_tags WHERE kind = %s AND name = %s;
-- name: put_definition_tags
INSERT INTO definition_tags (kind, name, tags, update_time) VALUES (%s, %s, %s, %s)
ON CONFLICT (kind, name) DO UPDATE SET tags = excluded.tags, update_time = excluded.update_time;
-- name: all_definition_tags
SELECT tags FROM definition_tags ORDER BY kind, name;

-- name: put_secret
INSERT INTO secrets (name, sealed, updated_time) VALUES (%s, %s, %s)
ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_time = excluded.updated_time;
-- name: get_secret
SELECT sealed FROM secrets WHERE name = %s;
-- name: list_secrets
SELECT name, sealed FROM secrets ORDER BY name;
-- name: delete_secret
DELETE FROM secrets WHERE name = %s RETURNING 1;
-- name: put_env_value
INSERT INTO environment_values (name, value, updated_time) VALUES (%s, %s, %s)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_time = excluded.updated_time;
-- name: list_env_values
SELECT name, value FROM environment_values ORDER BY name;
-- name: delete_env_value
DELETE FROM environment_values WHERE name = %s RETURNING 1;

-- name: put_payload
INSERT INTO external_payloads (path, data, created_time) VALUES (%s, %s, %s)
ON CONFLICT (path) DO UPDATE SET data = excluded.data, created_time = excluded.created_time;
-- name: get_payload
SELECT data FROM external_payloads WHERE path = %s;

-- Issue #15: workflow schedules and their executions (see the schedules migration).
-- name: put_schedule
INSERT INTO schedules (name, workflow_name, paused, next_run_time, body, updated_time) VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (name) DO UPDATE SET workflow_name = excluded.workflow_name, paused = excluded.paused,
  next_run_time = excluded.next_run_time, body = excluded.body, updated_time = excluded.updated_time;
-- name: get_schedule
SELECT body, next_run_time FROM schedules WHERE name = %s;
-- name: list_schedules
SELECT body, next_run_time FROM schedules ORDER BY name;
-- name: list_schedules_of
SELECT body, next_run_time FROM schedules WHERE workflow_name = %s ORDER BY name;
-- name: delete_schedule
DELETE FROM schedules WHERE name = %s RETURNING 1;
-- name: due_schedules
SELECT body, next_run_time FROM schedules WHERE paused = 0 AND next_run_time IS NOT NULL AND next_run_time <= %s
ORDER BY next_run_time LIMIT %s;
-- name: earliest_schedule
SELECT min(next_run_time) FROM schedules WHERE paused = 0 AND next_run_time IS NOT NULL;
-- name: advance_schedule
UPDATE schedules SET next_run_time = %s WHERE name = %s AND next_run_time = %s RETURNING 1;
-- name: claim_schedule_fire
INSERT INTO schedule_executions (execution_id, schedule_name, scheduled_time, execution_time, state, body)
VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (schedule_name, scheduled_time) DO NOTHING RETURNING 1;
-- name: recent_schedule_executions
SELECT body FROM schedule_executions ORDER BY scheduled_time DESC, execution_id LIMIT %s;
-- name: recent_schedule_executions_of
SELECT body FROM schedule_executions WHERE schedule_name = %s ORDER BY scheduled_time DESC, execution_id LIMIT %s;
-- name: prune_schedule_executions
DELETE FROM schedule_executions WHERE execution_id IN (
  SELECT execution_id FROM schedule_executions WHERE scheduled_time < %s ORDER BY scheduled_time LIMIT %s)
RETURNING 1;
-- Retention (issue #16). Ended workflows whose end time is before the cutoff, of one definition name or
-- of every name but those skipped: read from the status index (a workflow starts before it ends), at most
-- ``limit``, unordered. Rows another node is removing are skipped: inside a transaction the
-- rows found stay locked until it ends, so nodes running retention at once take different ones.
-- name: expired_workflows_of
SELECT workflow_id FROM workflows
WHERE name = %(name)s AND status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED')
  AND start_time < %(before)s AND end_time < %(before)s
LIMIT %(limit)s FOR UPDATE SKIP LOCKED;
-- name: expired_workflows_except
SELECT workflow_id FROM workflows
WHERE status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED')
  AND start_time < %(before)s AND end_time < %(before)s
  AND name <> ALL(%(skip)s::text[])
LIMIT %(limit)s FOR UPDATE SKIP LOCKED;
-- name: delete_task_logs
DELETE FROM task_logs WHERE task_id = %s;
-- name: delete_payload
DELETE FROM external_payloads WHERE path = %s;
