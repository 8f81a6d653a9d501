-- Which process holds a job and until when, and what another process needs to carry it on (the interaction to
-- answer through, how it is screened): used by PostgreSQL's shared queue, kept here so both describe a job alike.
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until REAL;
ALTER TABLE jobs ADD COLUMN handover TEXT;
