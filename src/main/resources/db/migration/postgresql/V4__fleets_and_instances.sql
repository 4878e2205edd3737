CREATE TABLE fleets (
    id                uuid         NOT NULL PRIMARY KEY,
    project_id        uuid         NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name              varchar(100) NOT NULL,
    status            varchar(100) NOT NULL,
    status_message    text,
    spec              text         NOT NULL,
    created_at        timestamptz  NOT NULL,
    last_processed_at timestamptz  NOT NULL,
    deleted           boolean      NOT NULL DEFAULT false,
    deleted_at        timestamptz,
    lock_token        uuid,
    lock_owner        varchar(100),
    lock_expires_at   timestamptz
);
CREATE INDEX ix_fleets_project_id_name ON fleets (project_id, name);
CREATE INDEX ix_fleets_last_processed_at ON fleets (last_processed_at);

CREATE TABLE instances (
    id                         uuid         NOT NULL PRIMARY KEY,
    project_id                 uuid         NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    fleet_id                   uuid         REFERENCES fleets (id),
    name                       varchar(100) NOT NULL,
    instance_num               integer      NOT NULL,
    status                     varchar(100) NOT NULL,
    status_message             text,
    unreachable                boolean      NOT NULL DEFAULT false,
    health_status              varchar(100) NOT NULL DEFAULT 'HEALTHY',
    termination_reason         varchar(100),
    termination_reason_message text,
    backend                    varchar(100),
    region                     varchar(2000),
    price                      double precision,
    hostname                   varchar(2000),
    instance_type              text,
    job_provisioning_data      text,
    remote_connection_info     text,
    total_blocks               integer,
    busy_blocks                integer      NOT NULL DEFAULT 0,
    retries                    integer      NOT NULL DEFAULT 0,
    next_attempt_at            timestamptz,
    created_at                 timestamptz  NOT NULL,
    finished_at                timestamptz,
    deleted                    boolean      NOT NULL DEFAULT false,
    deleted_at                 timestamptz,
    last_processed_at          timestamptz  NOT NULL,
    lock_token                 uuid,
    lock_owner                 varchar(100),
    lock_expires_at            timestamptz
);
CREATE INDEX ix_instances_fleet_id ON instances (fleet_id);
CREATE INDEX ix_instances_project_id ON instances (project_id);
CREATE INDEX ix_instances_last_processed_at ON instances (last_processed_at);
