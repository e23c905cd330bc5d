-- Issue #14. Secrets (the value encrypted by the server: nonce + AES-GCM ciphertext, base64) and plain
-- environment values, both read by ${workflow.secrets.NAME} / ${workflow.env.NAME}.
CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    updated_time BIGINT NOT NULL
);

CREATE TABLE environment_values (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_time BIGINT NOT NULL
);
