-- Reference images, already checked and shrunk: kept so Reroll and Remix work days later.
CREATE TABLE job_references (
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    position INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (job_id, position)
);
ALTER TABLE job_references ALTER COLUMN data SET STORAGE EXTERNAL;
