-- Result images kept from the moment they arrive until Discord has them, and the retries of posting them.
-- In the database itself (not in files, as SQLite does): any process on any machine may have to post them.
ALTER TABLE jobs ADD COLUMN images_made INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET images_made = images_delivered;
ALTER TABLE jobs ADD COLUMN upload_limit INTEGER;
ALTER TABLE jobs ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN next_delivery_at DOUBLE PRECISION;
CREATE TABLE job_results (
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    position INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (job_id, position)
);
-- Images are compressed already: stored as they are, without PostgreSQL trying to compress them again (a quarter
-- of the time to keep a result, bench/).
ALTER TABLE job_results ALTER COLUMN data SET STORAGE EXTERNAL;
