"""Marking messages for translation where they are written, not where they are shown."""


def N_(message: str) -> str:
    """Mark an English message id for the catalog; the caller translates it when showing it."""
    return message
