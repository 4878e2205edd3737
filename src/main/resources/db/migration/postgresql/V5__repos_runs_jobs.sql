CREATE TABLE repos (
    id         uuid NOT NULL PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       varchar(200) NOT NULL,
    type       varchar(200) NOT NULL,
    info       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX uq_repos_project_id_name ON repos (project_id, name);

CREATE TABLE repo_creds (
    id      uuid NOT NULL PRIMARY KEY,
    repo_id uuid NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creds   text NOT NULL
);
CREATE UNIQUE INDEX uq_repo_creds_repo_id_user_id ON repo_creds (repo_id, user_id);

CREATE TABLE codes (
    id        uuid NOT NULL PRIMARY KEY,
    repo_id   uuid NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    blob_hash varchar(200) NOT NULL,
    blob      bytea NOT NULL
);
CREATE UNIQUE INDEX uq_codes_repo_id_blob_hash ON codes (repo_id, blob_hash);

CREATE TABLE file_archives (
    id        uuid NOT NULL PRIMARY KEY,
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blob_hash varchar(200) NOT NULL,
    blob      bytea NOT NULL
);
CREATE UNIQUE INDEX uq_file_archives_user_id_blob_hash ON file_archives (user_id, blob_hash);

CREATE TABLE runs (
    id                    uuid    NOT NULL PRIMARY KEY,
    project_id            uuid    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id               uuid    NOT NULL REFERENCES users (id),
    repo_id               uuid    REFERENCES repos (id) ON DELETE SET NULL,
    fleet_id              uuid    REFERENCES fleets (id),
    run_name              varchar(200)    NOT NULL,
    submitted_at          timestamptz    NOT NULL,
    last_processed_at     timestamptz    NOT NULL,
    status                varchar(200)    NOT NULL,
    termination_reason    varchar(200),
    run_spec              text    NOT NULL,
    priority              integer NOT NULL DEFAULT 0,
    deployment_num        integer NOT NULL DEFAULT 0,
    resubmission_attempt  integer NOT NULL DEFAULT 0,
    next_triggered_at     timestamptz,
    deleted               boolean NOT NULL DEFAULT false,
    lock_token            uuid,
    lock_owner            varchar(200),
    lock_expires_at       timestamptz
);
CREATE INDEX ix_runs_project_id_run_name ON runs (project_id, run_name);
CREATE INDEX ix_runs_submitted_at_id ON runs (submitted_at DESC, id);
CREATE INDEX ix_runs_active ON runs (last_processed_at) WHERE status NOT IN ('TERMINATED', 'FAILED', 'DONE');

CREATE TABLE jobs (
    id                         uuid    NOT NULL PRIMARY KEY,
    project_id                 uuid    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    run_id                     uuid    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    fleet_id                   uuid    REFERENCES fleets (id),
    instance_id                uuid    REFERENCES instances (id),
    used_instance_id           uuid,
    run_name                   varchar(200)    NOT NULL,
    job_num                    integer NOT NULL,
    job_name                   varchar(200)    NOT NULL,
    replica_num                integer NOT NULL,
    submission_num             integer NOT NULL,
    deployment_num             integer NOT NULL DEFAULT 0,
    submitted_at               timestamptz    NOT NULL,
    last_processed_at          timestamptz    NOT NULL,
    finished_at                timestamptz,
    status                     varchar(200)    NOT NULL,
    termination_reason         varchar(200),
    termination_reason_message text,
    exit_status                integer,
    job_spec_data              text    NOT NULL,
    job_provisioning_data      text,
    job_runtime_data           text,
    runner_timestamp           bigint,
    disconnected_at            timestamptz,
    inactivity_secs            integer,
    remove_at                  timestamptz,
    instance_blocks            integer NOT NULL DEFAULT 0,
    image_pull_progress        text,
    lock_token                 uuid,
    lock_owner                 varchar(200),
    lock_expires_at            timestamptz
);
CREATE INDEX ix_jobs_run_id ON jobs (run_id);
CREATE INDEX ix_jobs_instance_id ON jobs (instance_id);
CREATE INDEX ix_jobs_active ON jobs (last_processed_at) WHERE status NOT IN ('TERMINATED', 'ABORTED', 'FAILED', 'DONE');

CREATE TABLE job_metrics_points (
    id                       uuid    NOT NULL PRIMARY KEY,
    job_id                   uuid    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    timestamp_micro          bigint NOT NULL,
    cpu_usage_micro          bigint NOT NULL,
    memory_usage_bytes       bigint NOT NULL,
    memory_working_set_bytes bigint NOT NULL,
    gpus_memory_usage_bytes  text    NOT NULL,
    gpus_util_percent        text    NOT NULL
);
CREATE INDEX ix_job_metrics_points_job_id_timestamp ON job_metrics_points (job_id, timestamp_micro);

CREATE TABLE events (
    id            uuid NOT NULL PRIMARY KEY,
    message       text NOT NULL,
    recorded_at   timestamptz NOT NULL,
    actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX ix_events_recorded_at_id ON events (recorded_at DESC, id);

CREATE TABLE event_targets (
    id                uuid NOT NULL PRIMARY KEY,
    event_id          uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    entity_type       varchar(200) NOT NULL,
    entity_id         uuid NOT NULL,
    entity_name       varchar(200) NOT NULL,
    entity_project_id uuid,
    entity_run_id     uuid,
    entity_fleet_id   uuid
);
CREATE INDEX ix_event_targets_event_id ON event_targets (event_id);
CREATE INDEX ix_event_targets_entity_id ON event_targets (entity_id);
CREATE INDEX ix_event_targets_entity_project_id ON event_targets (entity_project_id);
