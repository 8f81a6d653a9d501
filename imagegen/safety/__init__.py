"""Keeping the bot safe to leave running: screening, word lists, the refusal help, secrets kept out."""
