"""Where jobs are recorded: SQLite by default, PostgreSQL for many processes, and their migrations."""
