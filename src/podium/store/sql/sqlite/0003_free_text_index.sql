-- Free-text search over ended workflows: a contentless trigram index of each terminal workflow's JSON
-- body, keyed by its workflows rowid. It only narrows the candidates: search still checks every candidate
-- with LIKE, so stale entries (a re-opened, changed or deleted workflow) never show in results. Without
-- positions (detail=none) it says only which bodies hold a trigram: building it costs less than half, and
-- a query asks for bodies holding every trigram of a term, a superset the LIKE then narrows.
CREATE VIRTUAL TABLE workflow_text USING fts5(body, content='', tokenize='trigram', detail=none);

-- Terminal workflows whose current body is not in workflow_text yet. The triggers below queue a workflow
-- whenever it is written in a terminal status (cheap, no indexing on the request path); the sweeper
-- drains the queue in small batches (SqliteStore.index_free_text), and search also scans what is queued.
CREATE TABLE workflow_text_pending (workflow_rowid INTEGER PRIMARY KEY);

CREATE TRIGGER workflow_text_on_insert AFTER INSERT ON workflows
WHEN NEW.status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED')
BEGIN
    INSERT OR IGNORE INTO workflow_text_pending (workflow_rowid) VALUES (NEW.rowid);
END;

CREATE TRIGGER workflow_text_on_update AFTER UPDATE OF status, json ON workflows
WHEN NEW.status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED')
BEGIN
    INSERT OR IGNORE INTO workflow_text_pending (workflow_rowid) VALUES (NEW.rowid);
END;

-- A store from before this version: every workflow that has already ended waits for its first indexing.
INSERT INTO workflow_text_pending (workflow_rowid)
SELECT rowid FROM workflows WHERE status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED');
