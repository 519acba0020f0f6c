"""Notifications: every user's in-app inbox, the e-mail outbox, supervisors' subscriptions."""
