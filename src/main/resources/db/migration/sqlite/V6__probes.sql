CREATE TABLE probes (
    id             TEXT    NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL,
    job_id         TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    probe_num      INTEGER NOT NULL,
    due            TEXT    NOT NULL,
    success_streak INTEGER NOT NULL DEFAULT 0,
    active         INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX uq_probes_job_id_probe_num ON probes (job_id, probe_num);
CREATE INDEX ix_probes_due ON probes (due) WHERE active = 1;
