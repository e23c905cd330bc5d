-- Issue #18. Free-text search over ended workflows through a trigram index (pg_trgm, shipped with
-- PostgreSQL's contrib and a trusted extension since version 13). The index is partial: it holds only
-- workflows in a terminal status, so the hot path's many writes to running workflows never touch it; a
-- workflow enters it once, with the write that ends it. The search (store/search_sql.py) splits free
-- text into "ended and the index says so" OR "still open" and checks every candidate with the same
-- ILIKE as before, so results and totals do not depend on the index, only the rows read do.
-- Without pg_trgm (a server without contrib, or a role that may not create it) the migration still
-- applies and free text scans as before.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX workflows_text ON workflows USING gin (json gin_trgm_ops)
        WHERE status IN ('COMPLETED', 'FAILED', 'TERMINATED', 'TIMED_OUT');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): free-text search scans the workflows', SQLERRM;
END
$$;
