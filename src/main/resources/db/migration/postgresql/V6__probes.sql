CREATE TABLE probes (
    id             uuid        NOT NULL PRIMARY KEY,
    name           varchar(100) NOT NULL,
    job_id         uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    probe_num      integer     NOT NULL,
    due            timestamptz NOT NULL,
    success_streak bigint      NOT NULL DEFAULT 0,
    active         boolean     NOT NULL DEFAULT true
);
CREATE UNIQUE INDEX uq_probes_job_id_probe_num ON probes (job_id, probe_num);
CREATE INDEX ix_probes_due ON probes (due) WHERE active;
