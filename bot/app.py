"""The composition root: build_application wires handlers, jobs, delivery and lifecycle hooks.

This is the one module of bot/ that imports handlers/ and jobs/; everything else in bot/ is core.
"""

from __future__ import annotations

import functools
import logging
import ssl
from dataclasses import dataclass
from typing import Any

import httpx
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from bot.alerts import evaluate
from bot.core.clock import Clock, SystemClock
from bot.core.config import Config, Telegram, webhook_path
from bot.core.i18n import Catalog
from bot.core.services import KEY, Services, get_services
from bot.delivery.httprequest import AiohttpRequest
from bot.delivery.ratelimit import SharedBudget
from bot.delivery.updates import PerChatUpdateProcessor
from bot.delivery.worker import DeliveryWorker
from bot.storage.db import Database

log = logging.getLogger(__name__)

AppType = Application[Any, Any, Any, Any, Any, Any]
# Where the running dashboard server is kept between post_init and post_stop.
DASHBOARD = "classcare.dashboard"


def build_application(config: Config, *, token: str, clock: Clock | None = None) -> AppType:
    """Build, but do not start, the bot. Resources open in post_init and close in post_stop and
    post_shutdown."""
    from handlers import CONTEXT_TYPES, register_handlers
    from jobs import schedule_jobs

    timeout = config.telegram.request_timeout_seconds
    limiter = SharedBudget(config.delivery)
    lifecycle = _Lifecycle(config, clock or SystemClock(), limiter)
    builder = (
        ApplicationBuilder()
        .token(token)
        .context_types(CONTEXT_TYPES)
        .defaults(Defaults(tzinfo=config.general.tz))
        .concurrent_updates(
            PerChatUpdateProcessor(max_queued_per_chat=config.telegram.max_queued_updates_per_chat)
        )
        .rate_limiter(limiter)
        .request(AiohttpRequest(timeout=timeout))
        .get_updates_request(
            HTTPXRequest(
                connection_pool_size=1,
                read_timeout=config.telegram.poll_timeout_seconds + timeout,
                write_timeout=timeout,
                connect_timeout=timeout,
                httpx_kwargs={"verify": _tls_context()},
            )
        )
        .post_init(lifecycle.post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if config.telegram.base_url:
        builder = builder.base_url(config.telegram.base_url)
    if config.telegram.base_file_url:
        builder = builder.base_file_url(config.telegram.base_file_url)
    application: AppType = builder.build()
    register_handlers(application)
    schedule_jobs(application, config)
    application.add_error_handler(_on_error)
    return application


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's own default context, made once: loading the CA bundle on every build of the
    application cost more than the rest of the build."""
    return httpx.create_ssl_context()


def webhook_options(telegram: Telegram, secret: str) -> dict[str, Any]:
    """Application.run_webhook's arguments: Telegram posts to webhook_url plus a path derived
    from the secret, and sends the secret with every update."""
    path = webhook_path(secret)
    return {
        "listen": telegram.webhook_listen,
        "port": telegram.webhook_port,
        "url_path": path,
        "webhook_url": f"{telegram.webhook_url.rstrip('/')}/{path}",
        "secret_token": secret,
    }


@dataclass(frozen=True)
class _Lifecycle:
    """What start-up needs from build_application: the services open only in post_init."""

    config: Config
    clock: Clock
    limiter: SharedBudget

    async def post_init(self, application: AppType) -> None:
        """Open the database, build the services and start the delivery worker."""
        config, clock = self.config, self.clock
        db = await Database.open(
            config.general.database,
            synchronous=config.storage.synchronous,
            busy_timeout_ms=config.storage.busy_timeout_ms,
        )
        username = config.telegram.bot_username or application.bot.username
        services = Services(
            config=config,
            db=db,
            clock=clock,
            catalog=Catalog.for_config(config),
            bot_username=username,
        )
        connect(services)
        worker = DeliveryWorker(db, application.bot, config.delivery, clock, self.limiter)

        async def unreachable(person_id: int) -> None:
            await evaluate.on_unreachable(services, person_id)

        worker.on_unreachable = unreachable
        services.outbox = worker
        application.bot_data[KEY] = services
        await worker.start()
        if config.dashboard.enabled:
            from bot.dashboard.server import DashboardServer

            dashboard = DashboardServer(services, application.bot.token)
            await dashboard.start()
            application.bot_data[DASHBOARD] = dashboard
        log.info("ClassCare started as @%s", username)


def connect(services: Services) -> None:
    """Wire the hooks by which one capability hands on to another without importing it."""
    services.on_checkin_answers = evaluate.evaluate_answers
    services.on_checkin_settled = evaluate.evaluate_checkin


async def _post_stop(application: AppType) -> None:
    """Stop the delivery worker while the bot's HTTP client still works.

    Sends in flight must finish and be recorded before shutdown closes the client; a send cut
    off there could reach Telegram, be recorded as failed, and go out again.
    """
    services = application.bot_data.get(KEY)
    if not isinstance(services, Services):
        return
    dashboard = application.bot_data.pop(DASHBOARD, None)
    if dashboard is not None:
        # First: no page may start reading or acting while the rest shuts down.
        await dashboard.stop()
    if services.outbox is not None:
        await services.outbox.stop()


async def _post_shutdown(application: AppType) -> None:
    services = application.bot_data.get(KEY)
    if isinstance(services, Services):
        await services.db.close()


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without the update's content and tell the user something went wrong."""
    log.error(
        "error while handling an update: %s", type(context.error).__name__, exc_info=context.error
    )
    # Only into the person's own private chat: a group must not learn that anything happened.
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(update, Update) and chat is not None and chat.type == ChatType.PRIVATE:
        services = get_services(context.bot_data)
        from bot.core.i18n import language_from_telegram

        user = update.effective_user
        language = language_from_telegram(user.language_code if user else None)
        await context.bot.send_message(chat.id, services.catalog.t(language, "common.error"))
