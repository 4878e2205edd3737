-- ids are dashed UUID text, timestamps ISO-8601 UTC text with a six-digit fraction, booleans 0/1:
-- the forms pgloader turns into uuid, timestamptz and boolean when moving to PostgreSQL.
CREATE TABLE users (
    id              TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL,
    original_name   TEXT,
    created_at      TEXT    NOT NULL,
    token           TEXT    NOT NULL,
    token_hash      TEXT    NOT NULL,
    global_role     TEXT    NOT NULL,
    email           TEXT,
    active          INTEGER NOT NULL DEFAULT 1,
    deleted         INTEGER NOT NULL DEFAULT 0,
    projects_quota  INTEGER NOT NULL,
    ssh_private_key TEXT,
    ssh_public_key  TEXT
);
CREATE UNIQUE INDEX uq_users_name ON users (lower(name)) WHERE deleted = 0;
CREATE UNIQUE INDEX uq_users_token_hash ON users (token_hash);
CREATE INDEX ix_users_created_at ON users (created_at, id);

CREATE TABLE user_public_keys (
    id          TEXT NOT NULL PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at    TEXT NOT NULL,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    key         TEXT NOT NULL
);
CREATE UNIQUE INDEX uq_user_public_keys_user_id_fingerprint ON user_public_keys (user_id, fingerprint);

CREATE TABLE projects (
    id              TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL,
    original_name   TEXT,
    owner_id        TEXT    NOT NULL REFERENCES users (id),
    created_at      TEXT    NOT NULL,
    is_public       INTEGER NOT NULL DEFAULT 0,
    templates_repo  TEXT,
    deleted         INTEGER NOT NULL DEFAULT 0,
    ssh_private_key TEXT    NOT NULL,
    ssh_public_key  TEXT    NOT NULL
);
CREATE UNIQUE INDEX uq_projects_name ON projects (lower(name)) WHERE deleted = 0;
CREATE INDEX ix_projects_created_at ON projects (created_at, id);

CREATE TABLE members (
    id           TEXT    NOT NULL PRIMARY KEY,
    project_id   TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_role TEXT    NOT NULL,
    member_num   INTEGER
);
CREATE UNIQUE INDEX uq_members_project_id_user_id ON members (project_id, user_id);
CREATE INDEX ix_members_user_id ON members (user_id);
