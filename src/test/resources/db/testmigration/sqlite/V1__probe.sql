-- a test-only resource for the pipeline engine: rows to process and a record of each processing
CREATE TABLE probe_rows (
    id                TEXT NOT NULL PRIMARY KEY,
    status            TEXT NOT NULL,
    related_id        TEXT,
    last_processed_at TEXT NOT NULL,
    lock_token        TEXT,
    lock_owner        TEXT,
    lock_expires_at   TEXT
);
CREATE INDEX ix_probe_rows_last_processed_at ON probe_rows (last_processed_at);
CREATE TABLE probe_records (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    row_id          TEXT    NOT NULL,
    owner           TEXT    NOT NULL,
    processed_at    TEXT    NOT NULL,
    held_connection INTEGER NOT NULL
);
