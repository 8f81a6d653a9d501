-- Members' reports of results to moderators: one per member and result.
CREATE TABLE reports (
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    user_id BIGINT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (job_id, user_id)
);
