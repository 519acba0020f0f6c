"""Who is making a request: a signed-in browser session, or a department's API token."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BrowserAuth:
    """A signed-in session; the raw token is kept to end or rotate it, and to bind CSRF tokens."""

    token: str


@dataclass(frozen=True)
class TokenAuth:
    token_id: int
    department_id: int
