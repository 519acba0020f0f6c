"""Downloading a reply's or report's attachment: only for those who may see the flag, never inline."""

from __future__ import annotations

import logging
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
from tracker.web.forms import DB
from tracker.web.runtime import runtime

log = logging.getLogger("tracker.web")


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
        path = stored_path(runtime(request).settings.data_dir, attachment)
        if not path.is_file():
            log.error("attachment %s of flag %s: %s is missing", attachment.id, flag.id, path)
            raise NotFoundException()
        return File(
            path=path,
            # A name and a type of our choosing: the client's name and claimed type are never echoed.
            filename=download_name(flag_id, attachment),
            media_type=TYPES[attachment.content_type].content_type,
            content_disposition_type="attachment",
            headers={"x-content-type-options": "nosniff", "cache-control": "private, no-store"},
        )
