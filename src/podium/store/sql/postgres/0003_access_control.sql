-- Issue #13. Application keys: the secret only as a salted scrypt hash; task_types a JSON array of the
-- task types a WORKER key is limited to (NULL: every type). A revoked key keeps its row (and its name).
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    task_types TEXT,
    secret_hash TEXT NOT NULL,
    created_time BIGINT NOT NULL,
    revoked_time BIGINT
);

-- Server-wide secrets made once by whichever node (or CLI) gets there first, so every node of a
-- cluster signs and verifies tokens with the same key.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
