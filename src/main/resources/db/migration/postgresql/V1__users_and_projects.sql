CREATE TABLE users (
    id              uuid         NOT NULL PRIMARY KEY,
    name            varchar(100) NOT NULL,
    original_name   varchar(100),
    created_at      timestamptz  NOT NULL,
    token           varchar(2000) NOT NULL,
    token_hash      varchar(64)  NOT NULL,
    global_role     varchar(20)  NOT NULL,
    email           varchar(200),
    active          boolean      NOT NULL DEFAULT true,
    deleted         boolean      NOT NULL DEFAULT false,
    projects_quota  integer      NOT NULL,
    ssh_private_key text,
    ssh_public_key  text
);
CREATE UNIQUE INDEX uq_users_name ON users (lower(name)) WHERE NOT deleted;
CREATE UNIQUE INDEX uq_users_token_hash ON users (token_hash);
CREATE INDEX ix_users_created_at ON users (created_at, id);

CREATE TABLE user_public_keys (
    id          uuid         NOT NULL PRIMARY KEY,
    user_id     uuid         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at    timestamptz  NOT NULL,
    name        varchar(100) NOT NULL,
    type        varchar(100) NOT NULL,
    fingerprint varchar(200) NOT NULL,
    key         text         NOT NULL
);
CREATE UNIQUE INDEX uq_user_public_keys_user_id_fingerprint ON user_public_keys (user_id, fingerprint);

CREATE TABLE projects (
    id              uuid         NOT NULL PRIMARY KEY,
    name            varchar(100) NOT NULL,
    original_name   varchar(100),
    owner_id        uuid         NOT NULL REFERENCES users (id),
    created_at      timestamptz  NOT NULL,
    is_public       boolean      NOT NULL DEFAULT false,
    templates_repo  text,
    deleted         boolean      NOT NULL DEFAULT false,
    ssh_private_key text         NOT NULL,
    ssh_public_key  text         NOT NULL
);
CREATE UNIQUE INDEX uq_projects_name ON projects (lower(name)) WHERE NOT deleted;
CREATE INDEX ix_projects_created_at ON projects (created_at, id);

CREATE TABLE members (
    id           uuid        NOT NULL PRIMARY KEY,
    project_id   uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_role varchar(20) NOT NULL,
    member_num   integer
);
CREATE UNIQUE INDEX uq_members_project_id_user_id ON members (project_id, user_id);
CREATE INDEX ix_members_user_id ON members (user_id);
