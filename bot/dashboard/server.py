"""The dashboard's HTTP server: aiohttp in the bot's own process, started and stopped with it.

This module holds the app and its routes table; the sign-in routes are in signin, the views and
actions in routes, and what every request shares (security headers, session, CSRF) in common.
"""

from __future__ import annotations

import logging
from importlib import resources

from aiohttp import web

from bot.core.services import Services
from bot.dashboard.common import BOT_TOKEN, SERVICES, guard
from bot.dashboard.routes import (
    act_on_alert,
    download_ledger,
    remind_notice,
    remind_today,
    show_alerts,
    show_ledger,
    show_notices,
    show_student,
    show_today,
    show_trends,
)
from bot.dashboard.signin import launch, login, login_form, logout, sign_in_telegram

log = logging.getLogger(__name__)

STATIC = {"app.js": "text/javascript", "app.css": "text/css"}


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    body = resources.files("bot.dashboard").joinpath("static", name).read_bytes()
    return web.Response(body=body, content_type=STATIC[name], charset="utf-8")


def make_app(svc: Services, bot_token: str) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=64 * 1024)
    app[SERVICES] = svc
    app[BOT_TOKEN] = bot_token
    app.router.add_get("/", launch)
    app.router.add_post("/auth/telegram", sign_in_telegram)
    app.router.add_get("/login/{token}", login_form)
    app.router.add_post("/login/{token}", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/today", show_today)
    app.router.add_post("/today/remind", remind_today)
    app.router.add_get("/alerts", show_alerts)
    app.router.add_post(r"/alerts/{alert}/{verb:ack|resolve}", act_on_alert)
    app.router.add_get("/students/{student}", show_student)
    app.router.add_get("/trends", show_trends)
    app.router.add_get("/ledger", show_ledger)
    app.router.add_get("/ledger.xlsx", download_ledger)
    app.router.add_get("/notices", show_notices)
    app.router.add_post("/notices/{notice}/remind", remind_notice)
    app.router.add_get("/static/{name}", static)
    return app


class DashboardServer:
    """The running server; port 0 in config picks a free port (tests)."""

    def __init__(self, svc: Services, bot_token: str) -> None:
        self.svc = svc
        self._runner = web.AppRunner(make_app(svc, bot_token), access_log=None)
        self.port = 0

    async def start(self) -> None:
        settings = self.svc.config.dashboard
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.listen, settings.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("dashboard listening on %s:%d", settings.listen, self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()
