-- A job drawn as a task at the relay (Midjourney) keeps the task's id from the moment the relay accepts it: after a
-- restart, or in another process, the task is followed on, never submitted twice. Its result keeps the buttons
-- Midjourney gave it, which act on the task for days.
ALTER TABLE jobs ADD COLUMN task_id TEXT;
ALTER TABLE jobs ADD COLUMN task_buttons TEXT;

-- A running job whose task is drawing at the relay only waits on it: it leaves the count of running jobs, so a slow
-- task keeps no drawing waiting.
CREATE OR REPLACE FUNCTION imagine_claim(p_owner TEXT, p_now DOUBLE PRECISION, p_lease DOUBLE PRECISION, p_max_running INTEGER)
RETURNS SETOF jobs LANGUAGE plpgsql AS $$
DECLARE
    claimed jobs%ROWTYPE;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7243002) THEN
        RETURN;
    END IF;
    IF (SELECT count(*) FROM jobs WHERE lease_until >= p_now AND task_id IS NULL) >= p_max_running THEN
        RETURN;
    END IF;
    UPDATE jobs SET state = 'running', owner = p_owner, lease_until = p_now + p_lease, started_at = p_now
    WHERE jobs.id = (
        SELECT next.id FROM jobs AS next JOIN queue_order ON queue_order.id = next.id
        ORDER BY queue_order.turn, queue_order.since, next.id LIMIT 1
        FOR UPDATE OF next SKIP LOCKED
    )
    RETURNING * INTO claimed;
    IF claimed.id IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO member_state AS m (user_id, served) VALUES (claimed.user_id, nextval(pg_get_serial_sequence('jobs', 'id')))
        ON CONFLICT (user_id) DO UPDATE SET served = excluded.served;
    PERFORM pg_notify('imagine_jobs', 'claimed:' || claimed.id || ':' || p_owner);
    RETURN NEXT claimed;
END
$$;
