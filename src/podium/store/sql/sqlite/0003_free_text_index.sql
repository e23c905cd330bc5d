-- Free-text search over ended workflows: a contentless trigram index of each terminal workflow's JSON
-- body, keyed by its workflows rowid. It only narrows the candidates: search still checks every candidate
-- with LIKE, so stale entries (a re-opened, changed or deleted workflow) never show in results. Without
-- positions (detail=none) it says only which bodies hold a trigram: building it costs less than half, and
-- a query asks for bodies holding every trigram of a term, a superset the LIKE then narrows.
CREATE VIRTUAL TABLE workflow_text USING fts5(body, content='', tokenize='trigram', detail=none);

-- Terminal workflows whose current body is not in workflow_text yet. The store queues a workflow
-- whenever it writes one in a terminal status (SqliteStore.insert_workflow/update_workflow: a statement
-- only for those writes, where a trigger would cost every workflow update ~7 us); the sweeper drains the
-- queue in small batches (SqliteStore.index_free_text), and search also scans what is queued.
CREATE TABLE workflow_text_pending (workflow_rowid INTEGER PRIMARY KEY);

-- A store from before this version: every workflow that has already ended waits for its first indexing.
INSERT INTO workflow_text_pending (workflow_rowid)
SELECT rowid FROM workflows WHERE status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED');
