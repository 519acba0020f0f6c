"""The scheduler: APScheduler 3.11 triggers idempotent domain steps; the database holds the truth."""
