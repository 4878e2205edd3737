-- config/source_config: JSON without credentials; auth/source_auth: encrypted JSON of the credentials.
CREATE TABLE backends (
    id            uuid         NOT NULL PRIMARY KEY,
    project_id    uuid         NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    type          varchar(100) NOT NULL,
    config        text         NOT NULL,
    auth          text         NOT NULL,
    source_config text,
    source_auth   text
);
CREATE UNIQUE INDEX uq_backends_project_id_type ON backends (project_id, type);
