-- The limits are decided by the bot's ledger (imagegen/ledger.py), for SQLite and PostgreSQL alike, in a
-- transaction that holds the ledger's lock: the database keeps the counts and no longer decides anything.
DROP FUNCTION IF EXISTS imagine_admit(
    BIGINT, BIGINT, DATE, INTEGER, DOUBLE PRECISION, INTEGER, INTEGER, DOUBLE PRECISION, DOUBLE PRECISION, BOOLEAN,
    DOUBLE PRECISION, INTEGER, INTEGER, INTEGER, DOUBLE PRECISION, TEXT
);
