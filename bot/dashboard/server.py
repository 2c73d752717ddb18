"""The dashboard's HTTP server: aiohttp in the bot's own process, started and stopped with it.

Every response carries Cache-Control: no-store and a content security policy that allows only
this origin's own script and style. Nothing about a request is logged beyond its failure type:
paths carry login tokens and student ids, and no access log is kept.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import date
from importlib import resources
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.alerts import actions as alerts
from bot.core.access import covers_student, may_see_screen_scores, reads_notes
from bot.core.services import Services
from bot.dashboard import pages, sessions, store
from bot.dashboard.views import alerts as alerts_view
from bot.dashboard.views import files as files_view
from bot.dashboard.views import student as student_view
from bot.dashboard.views import today as today_view
from bot.dashboard.views import trends as trends_view
from bot.notices import receipts, reminders
from bot.reports import ledger, today
from bot.reports.ledger import RangeError
from bot.storage import people

log = logging.getLogger(__name__)

COOKIE = "classcare_session"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; form-action 'self'; base-uri 'none';"
    " frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)
STATIC = {"app.js": "text/javascript", "app.css": "text/css"}
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


def _svc(request: web.Request) -> Services:
    return request.app[SERVICES]


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


_REFUSALS: dict[int, type[web.HTTPException]] = {
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
}


def _notice_page(svc: Services, key: str) -> str:
    language = svc.catalog.default
    t = pages.Texts(svc, language)
    body = f"<h1>{t('dashboard.title')}</h1><p>{t(f'dashboard.{key}')}</p>"
    return pages.bare(language, svc.catalog.t(language, "dashboard.title"), body)


def _refusal(svc: Services, status: int, key: str) -> web.HTTPException:
    """A page for someone without a session (401) or without the right (403, 404), to raise."""
    return _REFUSALS[status](text=_notice_page(svc, key), content_type="text/html")


async def _current(request: web.Request) -> sessions.Current:
    svc = _svc(request)
    found = await sessions.current(svc, request.cookies.get(COOKIE, ""))
    if found is None:
        raise _refusal(svc, 401, "refused.session")
    return found


async def _posted(request: web.Request) -> tuple[sessions.Current, dict[str, str]]:
    """The session and the form of a POST, whose CSRF token must match the session's."""
    current = await _current(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    if not hmac.compare_digest(form.get("csrf", ""), current.csrf):
        raise _refusal(_svc(request), 403, "refused.csrf")
    return current, form


def _cookie(response: web.StreamResponse, svc: Services, opened: sessions.Opened) -> None:
    secure = urlsplit(svc.config.dashboard.public_url).scheme == "https"
    response.set_cookie(
        COOKIE,
        opened.token,
        max_age=opened.expires_at - svc.now(),
        path="/",
        httponly=True,
        secure=secure,
        # Telegram's web client shows the Mini App in a cross-site frame: only None reaches it.
        samesite="None" if secure else "Lax",
    )


def _page(svc: Services, current: sessions.Current, page: pages.Page, done: str = "") -> str:
    language = pages.language_of(svc, current.viewer)
    t = pages.Texts(svc, language)
    return pages.layout(t, page, current.viewer, current.csrf, done)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 12 else None


def _done(request: web.Request, svc: Services, current: sessions.Current) -> str:
    """The one-line outcome of the action a POST redirected from (a key, never data)."""
    key = request.query.get("done", "")
    if not key.replace("_", "").isalnum():
        return ""
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    return svc.catalog.t_or(t.language, f"dashboard.done.{key}", "")


# --- sign in --------------------------------------------------------------------------------


async def launch(request: web.Request) -> web.Response:
    """The Mini App's first page: its script exchanges Telegram's initData for a session."""
    svc = _svc(request)
    language = svc.catalog.default
    t = pages.Texts(svc, language)
    body = (
        f'<div id="boot"><p id="opening">{t("dashboard.opening")}</p>'
        f'<p id="refused" hidden>{t("dashboard.refused.launch")}</p>'
        f'<p id="outside" hidden>{t("dashboard.refused.outside")}</p></div>'
    )
    return _html(pages.bare(language, t("dashboard.title"), body, script=True))


async def sign_in_telegram(request: web.Request) -> web.Response:
    svc = _svc(request)
    form = await request.post()
    outcome = await sessions.open_from_launch(
        svc, request.app[BOT_TOKEN], str(form.get("init_data", ""))
    )
    if isinstance(outcome, str):
        log.info("dashboard launch refused: %s", outcome)
        return web.json_response({"error": outcome}, status=401)
    response = web.json_response({"next": "/today"})
    _cookie(response, svc, outcome)
    return response


async def login_form(request: web.Request) -> web.Response:
    """A login link shows a button: a link preview or a scanner that fetches it spends nothing."""
    svc = _svc(request)
    token = request.match_info["token"]
    language = svc.catalog.default
    t = pages.Texts(svc, language)
    if not await sessions.login_waiting(svc, token):
        raise _refusal(svc, 401, "refused.link")
    body = (
        f'<h1>{t("dashboard.title")}</h1><form method="post">'
        f'<button id="login">{t("dashboard.login.button")}</button></form>'
    )
    return _html(pages.bare(language, t("dashboard.title"), body))


async def login(request: web.Request) -> web.Response:
    svc = _svc(request)
    opened = await sessions.open_from_login(svc, request.match_info["token"])
    if opened is None:
        raise _refusal(svc, 401, "refused.link")
    response = web.Response(status=303, headers={"Location": "/today"})
    _cookie(response, svc, opened)
    return response


async def logout(request: web.Request) -> web.Response:
    current, _ = await _posted(request)
    svc = _svc(request)
    await sessions.close(svc, current.token_hash)
    response = _html(_notice_page(svc, "logged_out"))
    response.del_cookie(COOKIE, path="/")
    return response


# --- views and actions ----------------------------------------------------------------------


async def show_today(request: web.Request) -> web.Response:
    current = await _current(request)
    svc = _svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    school = _int(request.query.get("school"))
    page = await today_view.today_page(svc, current.viewer, t, current.csrf, school)
    if page is None:
        raise _refusal(svc, 403, "refused.scope")
    return _html(_page(svc, current, page, _done(request, svc, current)))


async def remind_today(request: web.Request) -> web.Response:
    current, form = await _posted(request)
    svc = _svc(request)
    round_id = _int(form.get("round"))
    done = (
        None if round_id is None else await today.remind_unanswered(svc, current.viewer, round_id)
    )
    if done is None:
        raise _refusal(svc, 403, "refused.scope")
    outcome = done.outcome if done.outcome != "sent" or done.queued else "already"
    school = _int(request.query.get("school"))
    back = (
        f"/today?school={school}&done=remind_{outcome}"
        if school
        else (f"/today?done=remind_{outcome}")
    )
    raise web.HTTPSeeOther(back)


async def show_alerts(request: web.Request) -> web.Response:
    current = await _current(request)
    svc = _svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    page = await alerts_view.alerts_page(svc, current.viewer, t, current.csrf)
    return _html(_page(svc, current, page, _done(request, svc, current)))


async def act_on_alert(request: web.Request) -> web.Response:
    """I'm on it, or Resolved with an optional 处置情况 line: the card's own actions, and every
    chat card (the actor's too) shows the change."""
    current, form = await _posted(request)
    svc = _svc(request)
    alert_id = _int(request.match_info["alert"])
    verb = request.match_info["verb"]
    student_id = None if alert_id is None else await store.alert_student(svc.db, alert_id)
    student = None if student_id is None else await people.person_by_id(svc.db, student_id)
    if alert_id is None or student is None or not covers_student(current.viewer, student):
        # The chat's rule (alerts.may_act): staff covering the student now may act.
        raise _refusal(svc, 403, "refused.scope")
    person = current.viewer.person
    if verb == "ack":
        action = await alerts.acknowledge(svc, alert_id, person, from_chat=False)
        done = "ack" if action.done else "ack_already"
    else:
        action = await alerts.resolve(svc, alert_id, person, from_chat=False)
        note = " ".join(form.get("note", "").split())
        if action.done and note:
            await alerts.record_resolution(svc, person, alert_id, note[: alerts.RESOLUTION_LIMIT])
        elif action.done:
            # The chat asks for the line after Resolved; here the form had its field.
            await alerts.skip_resolution(svc, person, alert_id)
        done = "resolved" if action.done else "resolved_already"
    raise web.HTTPSeeOther(f"/alerts?done={done}")


async def show_student(request: web.Request) -> web.Response:
    current = await _current(request)
    svc = _svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    student_id = _int(request.match_info["student"])
    page = (
        None
        if student_id is None
        else await student_view.student_page(svc, current.viewer, t, student_id)
    )
    if page is None:
        raise _refusal(svc, 404, "refused.student")
    return _html(_page(svc, current, page))


async def show_trends(request: web.Request) -> web.Response:
    current = await _current(request)
    svc = _svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    page = await trends_view.trends_page(svc, current.viewer, t, _int(request.query.get("school")))
    if page is None:
        raise _refusal(svc, 403, "refused.scope")
    return _html(_page(svc, current, page))


async def show_ledger(request: web.Request) -> web.Response:
    current = await _current(request)
    svc = _svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    return _html(_page(svc, current, files_view.ledger_page(svc, t), _done(request, svc, current)))


async def download_ledger(request: web.Request) -> web.Response:
    """The same workbook /ledger sends, for the chosen days, audited as an export."""
    current = await _current(request)
    svc = _svc(request)
    viewer = current.viewer
    scope = ledger.scope_for(viewer)
    if scope is None:
        raise _refusal(svc, 403, "refused.scope")
    local = today.local_day(svc, svc.now())
    try:
        date_from, date_to = ledger.parse_range(
            [request.query.get("from", ""), request.query.get("to", "")], local
        )
    except RangeError:
        raise web.HTTPSeeOther("/ledger?done=bad_range") from None
    if date_to == date.max:
        raise web.HTTPSeeOther("/ledger?done=bad_range")
    request_ = ledger.Request(
        scope=scope,
        date_from=date_from,
        date_to=date_to,
        language=pages.language_of(svc, viewer),
        counselor=may_see_screen_scores(viewer),
        note_text=reads_notes(viewer),
        actor_id=viewer.person.id,
        now=svc.now(),
    )
    try:
        export = await ledger.export_ledger(
            svc.db, svc.catalog, svc.config, request_, max_rows=ledger.MAX_ROWS_BOT
        )
    except ledger.TooLarge:
        raise web.HTTPSeeOther("/ledger?done=too_large") from None
    # The file name is the ledger's own (台账_dates): no student in it.
    return web.Response(
        body=export.content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _attachment(export.filename)},
    )


def _attachment(filename: str) -> str:
    return f"attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{quote(filename)}"


async def show_notices(request: web.Request) -> web.Response:
    current = await _current(request)
    svc = _svc(request)
    if current.viewer.role not in ("teacher", "admin"):
        raise _refusal(svc, 403, "refused.scope")
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    page = await files_view.notices_page(svc, current.viewer, t, current.csrf)
    return _html(_page(svc, current, page, _done(request, svc, current)))


async def remind_notice(request: web.Request) -> web.Response:
    """Remind the unconfirmed, as the /notices report's button does."""
    current, _ = await _posted(request)
    svc = _svc(request)
    notice_id = _int(request.match_info["notice"])
    notice = (
        None if notice_id is None else await receipts.notice_for(svc, notice_id, current.viewer)
    )
    if notice is None:
        raise _refusal(svc, 403, "refused.scope")
    outcome = await reminders.remind(svc, notice)
    raise web.HTTPSeeOther(f"/notices?done=notice_{outcome.status}")


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
