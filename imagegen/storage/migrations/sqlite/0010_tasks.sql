-- A job drawn as a task at the relay (Midjourney) keeps the task's id from the moment the relay accepts it: after a
-- restart, or in another process, the task is followed on, never submitted twice.
ALTER TABLE jobs ADD COLUMN task_id TEXT;
