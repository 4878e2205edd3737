CREATE TABLE secrets (
    id         uuid        NOT NULL PRIMARY KEY,
    project_id uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       varchar(200) NOT NULL,
    value      text        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX uq_secrets_project_id_name ON secrets (project_id, name);
