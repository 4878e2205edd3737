CREATE TABLE repos (
    id         TEXT NOT NULL PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    info       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX uq_repos_project_id_name ON repos (project_id, name);

CREATE TABLE repo_creds (
    id      TEXT NOT NULL PRIMARY KEY,
    repo_id TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creds   TEXT NOT NULL
);
CREATE UNIQUE INDEX uq_repo_creds_repo_id_user_id ON repo_creds (repo_id, user_id);

CREATE TABLE codes (
    id        TEXT NOT NULL PRIMARY KEY,
    repo_id   TEXT NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    blob_hash TEXT NOT NULL,
    blob      BLOB NOT NULL
);
CREATE UNIQUE INDEX uq_codes_repo_id_blob_hash ON codes (repo_id, blob_hash);

CREATE TABLE file_archives (
    id        TEXT NOT NULL PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blob_hash TEXT NOT NULL,
    blob      BLOB NOT NULL
);
CREATE UNIQUE INDEX uq_file_archives_user_id_blob_hash ON file_archives (user_id, blob_hash);

CREATE TABLE runs (
    id                    TEXT    NOT NULL PRIMARY KEY,
    project_id            TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id               TEXT    NOT NULL REFERENCES users (id),
    repo_id               TEXT    REFERENCES repos (id) ON DELETE SET NULL,
    fleet_id              TEXT    REFERENCES fleets (id),
    run_name              TEXT    NOT NULL,
    submitted_at          TEXT    NOT NULL,
    last_processed_at     TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    termination_reason    TEXT,
    run_spec              TEXT    NOT NULL,
    priority              INTEGER NOT NULL DEFAULT 0,
    deployment_num        INTEGER NOT NULL DEFAULT 0,
    resubmission_attempt  INTEGER NOT NULL DEFAULT 0,
    next_triggered_at     TEXT,
    deleted               INTEGER NOT NULL DEFAULT 0,
    lock_token            TEXT,
    lock_owner            TEXT,
    lock_expires_at       TEXT
);
CREATE INDEX ix_runs_project_id_run_name ON runs (project_id, run_name);
CREATE INDEX ix_runs_submitted_at_id ON runs (submitted_at DESC, id);
CREATE INDEX ix_runs_active ON runs (last_processed_at) WHERE status NOT IN ('TERMINATED', 'FAILED', 'DONE');

CREATE TABLE jobs (
    id                         TEXT    NOT NULL PRIMARY KEY,
    project_id                 TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    run_id                     TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    fleet_id                   TEXT    REFERENCES fleets (id),
    instance_id                TEXT    REFERENCES instances (id),
    used_instance_id           TEXT,
    run_name                   TEXT    NOT NULL,
    job_num                    INTEGER NOT NULL,
    job_name                   TEXT    NOT NULL,
    replica_num                INTEGER NOT NULL,
    submission_num             INTEGER NOT NULL,
    deployment_num             INTEGER NOT NULL DEFAULT 0,
    submitted_at               TEXT    NOT NULL,
    last_processed_at          TEXT    NOT NULL,
    finished_at                TEXT,
    status                     TEXT    NOT NULL,
    termination_reason         TEXT,
    termination_reason_message TEXT,
    exit_status                INTEGER,
    job_spec_data              TEXT    NOT NULL,
    job_provisioning_data      TEXT,
    job_runtime_data           TEXT,
    runner_timestamp           INTEGER,
    disconnected_at            TEXT,
    inactivity_secs            INTEGER,
    remove_at                  TEXT,
    instance_blocks            INTEGER NOT NULL DEFAULT 0,
    image_pull_progress        TEXT,
    lock_token                 TEXT,
    lock_owner                 TEXT,
    lock_expires_at            TEXT
);
CREATE INDEX ix_jobs_run_id ON jobs (run_id);
CREATE INDEX ix_jobs_instance_id ON jobs (instance_id);
CREATE INDEX ix_jobs_active ON jobs (last_processed_at) WHERE status NOT IN ('TERMINATED', 'ABORTED', 'FAILED', 'DONE');

CREATE TABLE job_metrics_points (
    id                       TEXT    NOT NULL PRIMARY KEY,
    job_id                   TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    timestamp_micro          INTEGER NOT NULL,
    cpu_usage_micro          INTEGER NOT NULL,
    memory_usage_bytes       INTEGER NOT NULL,
    memory_working_set_bytes INTEGER NOT NULL,
    gpus_memory_usage_bytes  TEXT    NOT NULL,
    gpus_util_percent        TEXT    NOT NULL
);
CREATE INDEX ix_job_metrics_points_job_id_timestamp ON job_metrics_points (job_id, timestamp_micro);

CREATE TABLE events (
    id            TEXT NOT NULL PRIMARY KEY,
    message       TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    actor_user_id TEXT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX ix_events_recorded_at_id ON events (recorded_at DESC, id);

CREATE TABLE event_targets (
    id                TEXT NOT NULL PRIMARY KEY,
    event_id          TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    entity_type       TEXT NOT NULL,
    entity_id         TEXT NOT NULL,
    entity_name       TEXT NOT NULL,
    entity_project_id TEXT,
    entity_run_id     TEXT,
    entity_fleet_id   TEXT
);
CREATE INDEX ix_event_targets_event_id ON event_targets (event_id);
CREATE INDEX ix_event_targets_entity_id ON event_targets (entity_id);
CREATE INDEX ix_event_targets_entity_project_id ON event_targets (entity_project_id);
