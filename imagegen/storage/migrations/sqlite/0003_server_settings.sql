-- Settings admins change from Discord, and the record of every change.
CREATE TABLE server_settings (
    guild_id INTEGER PRIMARY KEY,
    settings TEXT NOT NULL
);
CREATE TABLE settings_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    change TEXT NOT NULL,
    at REAL NOT NULL
);
