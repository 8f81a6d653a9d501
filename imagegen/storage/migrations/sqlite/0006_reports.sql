-- Members' reports of results to moderators: one per member and result.
CREATE TABLE reports (
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    user_id INTEGER NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (job_id, user_id)
);
