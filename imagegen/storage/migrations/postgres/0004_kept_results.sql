-- Result images kept from the moment they arrive until Discord has them, and the retries of posting them. First
-- in files beside the process (``name``), as SQLite does; in the database itself (``data``) once posting them
-- failed, since any process on any machine may then have to post them.
ALTER TABLE jobs ADD COLUMN images_made INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET images_made = images_delivered;
ALTER TABLE jobs ADD COLUMN upload_limit INTEGER;
ALTER TABLE jobs ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN next_delivery_at DOUBLE PRECISION;
CREATE TABLE job_results (
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    position INTEGER NOT NULL,
    name TEXT,
    data BYTEA,
    PRIMARY KEY (job_id, position)
);
-- Images are compressed already: stored as they are, without PostgreSQL trying to compress them again.
ALTER TABLE job_results ALTER COLUMN data SET STORAGE EXTERNAL;
