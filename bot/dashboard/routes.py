"""The dashboard's views and actions: each reads the session, stays in the viewer's scope and
renders a page of bot/dashboard/views/, or does what the chat's button does and redirects."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from aiohttp import web

from bot.alerts import actions as alerts
from bot.core.access import covers_student, may_see_screen_scores, reads_notes
from bot.core.services import Services
from bot.dashboard import common, pages, sessions, store
from bot.dashboard.views import alerts as alerts_view
from bot.dashboard.views import files as files_view
from bot.dashboard.views import student as student_view
from bot.dashboard.views import today as today_view
from bot.dashboard.views import trends as trends_view
from bot.notices import receipts, reminders
from bot.reports import ledger, today
from bot.reports.ledger import RangeError
from bot.storage import people


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


async def show_today(request: web.Request) -> web.Response:
    current = await common.current(request)
    svc = common.svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    school = _int(request.query.get("school"))
    page = await today_view.today_page(svc, current.viewer, t, current.csrf, school)
    if page is None:
        raise common.refusal(svc, 403, "refused.scope")
    return common.html(_page(svc, current, page, _done(request, svc, current)))


async def remind_today(request: web.Request) -> web.Response:
    current, form = await common.posted(request)
    svc = common.svc(request)
    round_id = _int(form.get("round"))
    done = (
        None if round_id is None else await today.remind_unanswered(svc, current.viewer, round_id)
    )
    if done is None:
        raise common.refusal(svc, 403, "refused.scope")
    outcome = done.outcome if done.outcome != "sent" or done.queued else "already"
    school = _int(request.query.get("school"))
    back = (
        f"/today?school={school}&done=remind_{outcome}"
        if school
        else (f"/today?done=remind_{outcome}")
    )
    raise web.HTTPSeeOther(back)


async def show_alerts(request: web.Request) -> web.Response:
    current = await common.current(request)
    svc = common.svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    page = await alerts_view.alerts_page(svc, current.viewer, t, current.csrf)
    return common.html(_page(svc, current, page, _done(request, svc, current)))


async def act_on_alert(request: web.Request) -> web.Response:
    """I'm on it, or Resolved with an optional 处置情况 line: the card's own actions, and every
    chat card (the actor's too) shows the change."""
    current, form = await common.posted(request)
    svc = common.svc(request)
    alert_id = _int(request.match_info["alert"])
    verb = request.match_info["verb"]
    student_id = None if alert_id is None else await store.alert_student(svc.db, alert_id)
    student = None if student_id is None else await people.person_by_id(svc.db, student_id)
    if alert_id is None or student is None or not covers_student(current.viewer, student):
        # The chat's rule (alerts.may_act): staff covering the student now may act.
        raise common.refusal(svc, 403, "refused.scope")
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
    current = await common.current(request)
    svc = common.svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    student_id = _int(request.match_info["student"])
    page = (
        None
        if student_id is None
        else await student_view.student_page(svc, current.viewer, t, student_id)
    )
    if page is None:
        raise common.refusal(svc, 404, "refused.student")
    return common.html(_page(svc, current, page))


async def show_trends(request: web.Request) -> web.Response:
    current = await common.current(request)
    svc = common.svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    page = await trends_view.trends_page(svc, current.viewer, t, _int(request.query.get("school")))
    if page is None:
        raise common.refusal(svc, 403, "refused.scope")
    return common.html(_page(svc, current, page))


async def show_ledger(request: web.Request) -> web.Response:
    current = await common.current(request)
    svc = common.svc(request)
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    return common.html(
        _page(svc, current, files_view.ledger_page(svc, t), _done(request, svc, current))
    )


async def download_ledger(request: web.Request) -> web.Response:
    """The same workbook /ledger sends, for the chosen days, audited as an export."""
    current = await common.current(request)
    svc = common.svc(request)
    viewer = current.viewer
    scope = ledger.scope_for(viewer)
    if scope is None:
        raise common.refusal(svc, 403, "refused.scope")
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
    current = await common.current(request)
    svc = common.svc(request)
    if current.viewer.role not in ("teacher", "admin"):
        raise common.refusal(svc, 403, "refused.scope")
    t = pages.Texts(svc, pages.language_of(svc, current.viewer))
    page = await files_view.notices_page(svc, current.viewer, t, current.csrf)
    return common.html(_page(svc, current, page, _done(request, svc, current)))


async def remind_notice(request: web.Request) -> web.Response:
    """Remind the unconfirmed, as the /notices report's button does."""
    current, _ = await common.posted(request)
    svc = common.svc(request)
    notice_id = _int(request.match_info["notice"])
    notice = (
        None if notice_id is None else await receipts.notice_for(svc, notice_id, current.viewer)
    )
    if notice is None:
        raise common.refusal(svc, 403, "refused.scope")
    outcome = await reminders.remind(svc, notice)
    raise web.HTTPSeeOther(f"/notices?done=notice_{outcome.status}")
