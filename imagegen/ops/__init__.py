"""What an operator sees: metrics, health endpoints, JSON logs, the set-up check and usage reports."""
