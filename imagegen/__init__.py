"""The Discord-free core of the bot: settings, the image API client, image handling and texts."""
