-- Reference images, already checked and shrunk: kept so Reroll and Remix work days later.
CREATE TABLE job_references (
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    position INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (job_id, position)
);
