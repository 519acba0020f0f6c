"""Ending each request's database session without a thread hop when there is nothing to end.

Litestar runs a synchronous ``before_send`` hook in a worker thread, once per ASGI message: the
session hook alone cost two thread hops on every response, including the static files and the
cached public pages that never touch the database. The hook below answers in the event loop
when no session was opened, or when it was opened but never began a transaction (closing it then
touches no connection), and only hands the commit or rollback to a thread when there is one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from advanced_alchemy.extensions.litestar.plugins.init.config.common import SESSION_TERMINUS_ASGI_EVENTS
from advanced_alchemy.extensions.litestar.plugins.init.config.sync import autocommit_handler_maker
from litestar.concurrency import sync_to_thread
from litestar.types import Message, Scope
from sqlalchemy.orm import Session


def end_session_in_loop(session_scope_key: str) -> Callable[[Message, Scope], Awaitable[None]]:
    """Commit on 2xx and 3xx (a form answered with a redirect has written), roll back otherwise."""
    hook = autocommit_handler_maker(commit_on_redirect=True, session_scope_key=session_scope_key)

    async def end_session(message: Message, scope: Scope) -> None:
        if message["type"] not in SESSION_TERMINUS_ASGI_EVENTS:
            return
        session = get_aa_scope_state(scope, session_scope_key)
        if session is None:
            return
        if isinstance(session, Session) and not session.in_transaction():
            hook(message, scope)
            return
        await sync_to_thread(hook, message, scope)

    return end_session
