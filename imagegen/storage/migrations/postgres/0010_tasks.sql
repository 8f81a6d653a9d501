-- A job drawn as a task at the relay (Midjourney) keeps the task's id from the moment the relay accepts it: after a
-- restart, or in another process, the task is followed on, never submitted twice. Its result keeps the buttons
-- Midjourney gave it, which act on the task for days.
ALTER TABLE jobs ADD COLUMN task_id TEXT;
ALTER TABLE jobs ADD COLUMN task_buttons TEXT;
