-- Issue #14. Tags on definitions (Orkes' TagObject {key, type, value}): one JSON list per definition,
-- kind 'workflow' or 'task'. A definition's tags outlive its versions (the name is the key, as in Orkes).
CREATE TABLE definition_tags (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    tags TEXT NOT NULL,
    update_time BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);
