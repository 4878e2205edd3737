-- config/source_config: JSON without credentials; auth/source_auth: encrypted JSON of the credentials.
CREATE TABLE backends (
    id            TEXT NOT NULL PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    config        TEXT NOT NULL,
    auth          TEXT NOT NULL,
    source_config TEXT,
    source_auth   TEXT
);
CREATE UNIQUE INDEX uq_backends_project_id_type ON backends (project_id, type);
