"""Supervision flags: what the rules find about cases, and the scans that find it."""
