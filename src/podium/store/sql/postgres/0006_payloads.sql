-- Issue #14. External payload storage: inputs and outputs over Conductor's thresholds, by path
-- (the record names the path in externalInputPayloadStoragePath / externalOutputPayloadStoragePath).
CREATE TABLE IF NOT EXISTS external_payloads (
    path TEXT PRIMARY KEY,
    data BYTEA NOT NULL,
    created_time BIGINT NOT NULL
);
