"""The application factory: controllers, database plugin, templates, security configuration."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin, SQLAlchemySyncConfig, SyncSessionConfig
from litestar import Litestar
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from tracker.accounts.auth import AuthMiddleware
from tracker.accounts.csrf import CsrfMiddleware
from tracker.db import check_schema, import_models, make_engine
from tracker.settings import Settings, load_settings
from tracker.web.account import AccountController
from tracker.web.admin import AdminController
from tracker.web.api import ApiController
from tracker.web.attachments import AttachmentsController
from tracker.web.calendar_pages import CalculatorController, CalendarAdminController
from tracker.web.cases import CasesController
from tracker.web.complain import complain_controller
from tracker.web.complaints import ComplaintsController
from tracker.web.cookie_queue import add_queued_cookies
from tracker.web.cookies import CookieNames
from tracker.web.db_session import end_session_in_loop
from tracker.web.errors import http_exception_handler, internal_error_handler
from tracker.web.feeds import FeedController
from tracker.web.flags import FlagsController, review_controller
from tracker.web.hosts import AllowedHostsMiddleware
from tracker.web.inbox import InboxController
from tracker.web.language import LanguageMiddleware
from tracker.web.nul import NulMiddleware
from tracker.web.open_data import OpenDataController
from tracker.web.page_cache import PageCache
from tracker.web.powerlist_manage import PowerListManageController, upload_controller
from tracker.web.powers import PowersController
from tracker.web.public import PublicController
from tracker.web.rate import RateController
from tracker.web.ratings import RatingsController
from tracker.web.runtime import Runtime
from tracker.web.security import make_security_headers_hook
from tracker.web.subscriptions import SubscriptionsController
from tracker.web.templating import template_config
from tracker.web.thresholds import ThresholdsController
from tracker.web.tokens import TokenController
from tracker.web.transparency import TransparencyController

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    settings = settings or load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import_models()
    engine = engine or make_engine(settings.database_url)
    check_schema(engine)
    runtime = Runtime(settings=settings, engine=engine, cookies=CookieNames.for_settings(settings))

    db_config = SQLAlchemySyncConfig(
        engine_instance=engine,
        metadata=SQLModel.metadata,
        session_config=SyncSessionConfig(class_=Session, expire_on_commit=False),
        create_all=False,
    )
    # The key is only known once the config exists (each app gets its own); commits on redirects too.
    db_config.before_send_handler = end_session_in_loop(db_config.session_scope_key)

    @asynccontextmanager
    async def scheduler_lifespan(app: Litestar) -> AsyncIterator[None]:
        # Only when asked: the test client and every extra web worker would run jobs too.
        if not settings.run_scheduler:
            yield
            return
        from scheduler.runner import run_soon, start_in_process

        scheduler = start_in_process(engine, settings)
        # The API calls this after storing events: their irregularities are flagged at once.
        app.state.after_ingest = lambda: run_soon(scheduler, "event_scan")
        try:
            yield
        finally:
            app.state.after_ingest = None
            # Let a running job finish: it holds a lock and an open transaction.
            scheduler.shutdown(wait=True)

    return Litestar(
        route_handlers=[
            PublicController,
            TransparencyController,
            FeedController,
            RateController,
            complain_controller(settings.max_upload_bytes),
            OpenDataController,
            AccountController,
            AdminController,
            TokenController,
            PowersController,
            CalculatorController,
            CasesController,
            FlagsController,
            RatingsController,
            ComplaintsController,
            InboxController,
            SubscriptionsController,
            review_controller(settings.max_upload_bytes),
            AttachmentsController,
            CalendarAdminController,
            ThresholdsController,
            PowerListManageController,
            upload_controller(settings.max_upload_bytes),
            ApiController,
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
        ],
        plugins=[SQLAlchemyPlugin(config=db_config)],
        middleware=[
            AllowedHostsMiddleware(settings.allowed_hosts),
            NulMiddleware(),
            LanguageMiddleware(),
            DefineMiddleware(AuthMiddleware, exclude=["^/static/"]),
            CsrfMiddleware(),
        ],
        template_config=template_config(),
        cors_config=None,
        csrf_config=None,
        request_max_body_size=settings.max_body_bytes,
        before_send=[make_security_headers_hook(hsts=settings.secure_cookies), add_queued_cookies],
        exception_handlers={HTTPException: http_exception_handler, Exception: internal_error_handler},
        openapi_config=OpenAPIConfig(
            title="Power-list tracker API",
            version="1",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        lifespan=[scheduler_lifespan],
        state=State({"runtime": runtime, "page_cache": PageCache(ttl=settings.page_cache_seconds)}),
        debug=settings.debug,
        # Logging is configured above, once, from TRACKER_LOG_LEVEL.
        logging_config=None,
    )
