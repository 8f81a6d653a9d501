-- What /describe answered: the prompts its buttons draw, kept so the buttons work after a restart.
CREATE TABLE descriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    guild_id INTEGER,
    channel_id INTEGER NOT NULL,
    -- The image model its buttons draw with (none: the server's default when clicked).
    model TEXT,
    prompts TEXT NOT NULL,
    created_at REAL NOT NULL
);
