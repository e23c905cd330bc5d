-- Issue #18. A decide's write of a running workflow becomes a HOT update: PostgreSQL then writes no new
-- index entries for it, only the new row version (on the bench the statement, ending writes included, went
-- from ~60 µs and ~2.3 KB of WAL a call to ~34 µs and ~1.5 KB). An update is HOT only when no indexed
-- column changes and the page has room:
-- * the trigram index of free text moves from `json`, which every decide rewrites, to `ended_json`: an
--   ended workflow's body moves there (and `json` is NULL), by the write that ends it, and back by a write
--   that re-opens it, so every reader takes COALESCE(json, ended_json);
-- * a decide keeps a stored next check that is still at least half as far ahead as its own (queries.sql,
--   update_workflow), so the steps of a workflow leave the `next_check` index alone;
-- * `fillfactor = 70` leaves room on every page for the next versions of its rows.
-- Without pg_trgm ended bodies move all the same, and free text scans them.
ALTER TABLE workflows ADD COLUMN ended_json TEXT, ALTER COLUMN json DROP NOT NULL;
ALTER TABLE workflows SET (fillfactor = 70);
UPDATE workflows SET ended_json = json, json = NULL
WHERE status IN ('COMPLETED', 'FAILED', 'TERMINATED', 'TIMED_OUT');
DROP INDEX IF EXISTS workflows_text;
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX workflows_text ON workflows USING gin (ended_json gin_trgm_ops) WHERE ended_json IS NOT NULL;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): free-text search scans the workflows', SQLERRM;
END
$$;
