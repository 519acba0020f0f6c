"""Downloading a reply's or report's attachment: only for those who may see the flag, never inline."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File

from tracker.accounts.guards import current_user, roles
from tracker.accounts.models import Role
from tracker.accounts.scope import get_in_scope
from tracker.flags.attachments import TYPES, download_name, find, stored_path
from tracker.flags.models import Flag
from tracker.web.downloads import stored_file
from tracker.web.forms import DB
from tracker.web.runtime import runtime


class AttachmentsController(Controller):
    path = "/flags/{flag_id:int}/attachments"
    guards = [roles(Role.admin, Role.supervisor, Role.operator)]
    include_in_schema = False

    @get("/{attachment_id:int}", name="flag_attachment", sync_to_thread=True)
    def download(
        self,
        request: Request[Any, Any, Any],
        db_session: DB,
        flag_id: FromPath[int],
        attachment_id: FromPath[int],
    ) -> File:
        user = current_user(request)
        assert user is not None  # guarded
        # Another department's flag answers 404, as its page does.
        flag = get_in_scope(db_session, Flag, flag_id, user)
        attachment = find(db_session, flag_id, attachment_id)
        if attachment is None:
            raise NotFoundException()
        return stored_file(
            stored_path(runtime(request).settings.data_dir, attachment),
            download_name(flag_id, attachment),
            TYPES[attachment.content_type].content_type,
            f"attachment {attachment.id} of flag {flag.id}",
        )
