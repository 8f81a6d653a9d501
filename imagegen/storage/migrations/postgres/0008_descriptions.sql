-- What /describe answered: the prompts its buttons draw, kept so the buttons work after a restart.
CREATE TABLE descriptions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    guild_id BIGINT,
    channel_id BIGINT NOT NULL,
    -- The image model its buttons draw with (none: the server's default when clicked).
    model TEXT,
    prompts TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
