CREATE TABLE fleets (
    id                TEXT    NOT NULL PRIMARY KEY,
    project_id        TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    status_message    TEXT,
    spec              TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    last_processed_at TEXT    NOT NULL,
    deleted           INTEGER NOT NULL DEFAULT 0,
    deleted_at        TEXT,
    lock_token        TEXT,
    lock_owner        TEXT,
    lock_expires_at   TEXT
);
CREATE INDEX ix_fleets_project_id_name ON fleets (project_id, name);
CREATE INDEX ix_fleets_last_processed_at ON fleets (last_processed_at);

CREATE TABLE instances (
    id                         TEXT    NOT NULL PRIMARY KEY,
    project_id                 TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    fleet_id                   TEXT    REFERENCES fleets (id),
    name                       TEXT    NOT NULL,
    instance_num               INTEGER NOT NULL,
    status                     TEXT    NOT NULL,
    status_message             TEXT,
    unreachable                INTEGER NOT NULL DEFAULT 0,
    health_status              TEXT    NOT NULL DEFAULT 'HEALTHY',
    termination_reason         TEXT,
    termination_reason_message TEXT,
    backend                    TEXT,
    region                     TEXT,
    price                      REAL,
    hostname                   TEXT,
    instance_type              TEXT,
    job_provisioning_data      TEXT,
    remote_connection_info     TEXT,
    total_blocks               INTEGER,
    busy_blocks                INTEGER NOT NULL DEFAULT 0,
    retries                    INTEGER NOT NULL DEFAULT 0,
    next_attempt_at            TEXT,
    created_at                 TEXT    NOT NULL,
    finished_at                TEXT,
    deleted                    INTEGER NOT NULL DEFAULT 0,
    deleted_at                 TEXT,
    last_processed_at          TEXT    NOT NULL,
    lock_token                 TEXT,
    lock_owner                 TEXT,
    lock_expires_at            TEXT
);
CREATE INDEX ix_instances_fleet_id ON instances (fleet_id);
CREATE INDEX ix_instances_project_id ON instances (project_id);
CREATE INDEX ix_instances_last_processed_at ON instances (last_processed_at);
