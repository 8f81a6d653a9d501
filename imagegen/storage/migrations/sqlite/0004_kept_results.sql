-- Result images kept from the moment they arrive until Discord has them, and the retries of posting them.
ALTER TABLE jobs ADD COLUMN images_made INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET images_made = images_delivered;
ALTER TABLE jobs ADD COLUMN upload_limit INTEGER;
ALTER TABLE jobs ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN next_delivery_at REAL;
CREATE TABLE job_results (
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (job_id, position)
);
