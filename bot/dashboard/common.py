"""What every dashboard request shares: the security headers (the middleware), the services,
the session and its CSRF check, and the refusal pages.

Every response carries Cache-Control: no-store and a content security policy that allows only
this origin's own script and style. Nothing about a request is logged beyond its failure type:
paths carry login tokens and student ids, and no access log is kept.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, MutableMapping

from aiohttp import web

from bot.core.services import Services
from bot.dashboard import pages, sessions

log = logging.getLogger(__name__)

COOKIE = "classcare_session"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; form-action 'self'; base-uri 'none';"
    " frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)
SERVICES = web.AppKey("services", Services)
BOT_TOKEN = web.AppKey("bot_token", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer, refusals included; a failure logs its type only."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _secure(exc.headers)
        raise
    except Exception as exc:
        log.error("dashboard request failed: %s", type(exc).__name__)
        response = web.Response(status=500, text="error")
    _secure(response.headers)
    return response


def _secure(headers: MutableMapping[str, str]) -> None:
    headers["Cache-Control"] = "no-store"
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"


def svc(request: web.Request) -> Services:
    return request.app[SERVICES]


def html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


_REFUSALS: dict[int, type[web.HTTPException]] = {
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
}


def notice_page(svc: Services, key: str) -> str:
    language = svc.catalog.default
    t = pages.Texts(svc, language)
    body = f"<h1>{t('dashboard.title')}</h1><p>{t(f'dashboard.{key}')}</p>"
    return pages.bare(language, svc.catalog.t(language, "dashboard.title"), body)


def refusal(svc: Services, status: int, key: str) -> web.HTTPException:
    """A page for someone without a session (401) or without the right (403, 404), to raise."""
    return _REFUSALS[status](text=notice_page(svc, key), content_type="text/html")


async def current(request: web.Request) -> sessions.Current:
    services = svc(request)
    found = await sessions.current(services, request.cookies.get(COOKIE, ""))
    if found is None:
        raise refusal(services, 401, "refused.session")
    return found


async def posted(request: web.Request) -> tuple[sessions.Current, dict[str, str]]:
    """The session and the form of a POST, whose CSRF token must match the session's."""
    session = await current(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    if not hmac.compare_digest(form.get("csrf", ""), session.csrf):
        raise refusal(svc(request), 403, "refused.csrf")
    return session, form
