"""Signing in to the dashboard: the Mini App's launch, a /web login link, signing out."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web

from bot.core.services import Services
from bot.dashboard import common, pages, sessions

log = logging.getLogger(__name__)


def _cookie(response: web.StreamResponse, svc: Services, opened: sessions.Opened) -> None:
    secure = urlsplit(svc.config.dashboard.public_url).scheme == "https"
    response.set_cookie(
        common.COOKIE,
        opened.token,
        max_age=opened.expires_at - svc.now(),
        path="/",
        httponly=True,
        secure=secure,
        # Telegram's web client shows the Mini App in a cross-site frame: only None reaches it.
        samesite="None" if secure else "Lax",
    )


async def launch(request: web.Request) -> web.Response:
    """The Mini App's first page: its script exchanges Telegram's initData for a session."""
    svc = common.svc(request)
    language = svc.catalog.default
    t = pages.Texts(svc, language)
    body = (
        f'<div id="boot"><p id="opening">{t("dashboard.opening")}</p>'
        f'<p id="refused" hidden>{t("dashboard.refused.launch")}</p>'
        f'<p id="outside" hidden>{t("dashboard.refused.outside")}</p></div>'
    )
    return common.html(pages.bare(language, t("dashboard.title"), body, script=True))


async def sign_in_telegram(request: web.Request) -> web.Response:
    svc = common.svc(request)
    form = await request.post()
    outcome = await sessions.open_from_launch(
        svc, request.app[common.BOT_TOKEN], str(form.get("init_data", ""))
    )
    if isinstance(outcome, str):
        log.info("dashboard launch refused: %s", outcome)
        return web.json_response({"error": outcome}, status=401)
    response = web.json_response({"next": "/today"})
    _cookie(response, svc, outcome)
    return response


async def login_form(request: web.Request) -> web.Response:
    """A login link shows a button: a link preview or a scanner that fetches it spends nothing."""
    svc = common.svc(request)
    token = request.match_info["token"]
    language = svc.catalog.default
    t = pages.Texts(svc, language)
    if not await sessions.login_waiting(svc, token):
        raise common.refusal(svc, 401, "refused.link")
    body = (
        f'<h1>{t("dashboard.title")}</h1><form method="post">'
        f'<button id="login">{t("dashboard.login.button")}</button></form>'
    )
    return common.html(pages.bare(language, t("dashboard.title"), body))


async def login(request: web.Request) -> web.Response:
    svc = common.svc(request)
    opened = await sessions.open_from_login(svc, request.match_info["token"])
    if opened is None:
        raise common.refusal(svc, 401, "refused.link")
    response = web.Response(status=303, headers={"Location": "/today"})
    _cookie(response, svc, opened)
    return response


async def logout(request: web.Request) -> web.Response:
    current, _ = await common.posted(request)
    svc = common.svc(request)
    await sessions.close(svc, current.token_hash)
    response = common.html(common.notice_page(svc, "logged_out"))
    response.del_cookie(common.COOKIE, path="/")
    return response
