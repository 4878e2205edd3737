-- a test-only resource for the pipeline engine: rows to process and a record of each processing
CREATE TABLE probe_rows (
    id                uuid         NOT NULL PRIMARY KEY,
    status            varchar(20)  NOT NULL,
    related_id        uuid,
    last_processed_at timestamptz  NOT NULL,
    lock_token        uuid,
    lock_owner        varchar(100),
    lock_expires_at   timestamptz
);
CREATE INDEX ix_probe_rows_last_processed_at ON probe_rows (last_processed_at);
CREATE TABLE probe_records (
    id              bigserial    PRIMARY KEY,
    row_id          uuid         NOT NULL,
    owner           varchar(200) NOT NULL,
    processed_at    timestamptz  NOT NULL,
    held_connection boolean      NOT NULL
);
