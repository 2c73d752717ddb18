"""/stats and /audit [student number or name | staff number] for school and bureau admins."""

from __future__ import annotations

import logging
from datetime import date

from telegram import Update

from bot import stats
from bot.access import Viewer, covers_student
from bot.ledger import day_bounds, scope_for
from bot.schedule import local_date
from bot.storage import stats as store
from bot.storage.ledger import find_students
from bot.storage.records import Person
from handlers.common import Context, Sender, reply, sender, services, viewer_for

log = logging.getLogger(__name__)


async def _admin(update: Update, context: Context) -> tuple[Sender, Viewer] | None:
    """The sender and their scope if they are a bound admin; otherwise refuse and return None."""
    who = await sender(update, context)
    if who is None:
        return None
    svc = services(context)
    if who.person is None:
        await reply(update, context, svc.catalog.t(who.language, "common.not_bound"))
        return None
    if who.person.role != "admin":
        await reply(update, context, svc.catalog.t(who.language, "common.not_allowed"))
        return None
    return who, await viewer_for(svc, who.person)


async def show_stats(update: Update, context: Context) -> None:
    """Send the admin's scope in figures: isolated now, rounds, alerts and delivery lately."""
    found = await _admin(update, context)
    if found is None:
        return
    who, viewer = found
    svc = services(context)
    scope = scope_for(viewer)
    assert scope is not None, "every admin has a scope"
    now = svc.now()
    days = stats.window(date.fromisoformat(local_date(now, svc.tz)))
    since, _ = day_bounds(days[0], days[1], svc.tz)
    isolated = await store.isolated_by_kind(svc.db, scope, now)
    rounds = await store.round_counts(svc.db, scope, days[0].isoformat(), days[1].isoformat())
    alerts = await store.alerts_opened(svc.db, scope, since)
    delivery = await store.delivery_problems(svc.db, scope, since)
    text = stats.render_stats(
        svc.catalog,
        who.language,
        now_label=stats.local_time(now, svc.tz),
        days=days,
        isolated=isolated,
        rounds=rounds,
        alerts=alerts,
        delivery=delivery,
        by_school=viewer.is_bureau_admin,
    )
    log.info("stats: %d rounds, %d alerts", len(rounds), len(alerts))
    await reply(update, context, text)


async def show_audit(update: Update, context: Context) -> None:
    """Send the newest audit entries of the admin's scope, of one student, or of one staff."""
    found = await _admin(update, context)
    if found is None:
        return
    who, viewer = found
    svc = services(context)
    t = svc.catalog.t
    language = who.language
    school_id = None if viewer.is_bureau_admin else viewer.person.school_id
    query = " ".join(context.args or []).strip()
    if not query:
        lines = await store.audit_lines(svc.db, school_id=school_id)
        text = stats.render_audit(
            svc.catalog,
            language,
            lines,
            svc.tz,
            title_key="adminviews.audit.title",
            none_key="adminviews.audit.none",
        )
        await reply(update, context, text)
        return
    staff = await store.staff_by_number(svc.db, query)
    if staff is not None:
        await _staff_audit(update, context, who, viewer, staff, query)
        return
    students = await find_students(svc.db, query)
    mine = [(p, c) for p, c in students if covers_student(viewer, p)]
    if students and not mine:
        await reply(update, context, t(language, "adminviews.audit.outside", query=query))
        return
    if not mine:
        await reply(update, context, t(language, "adminviews.audit.not_found", query=query))
        return
    exact = [(p, c) for p, c in mine if query in (p.number, p.name)]
    chosen = exact if len(exact) == 1 else mine
    if len(chosen) > 1:
        choices = "\n".join(f"{p.number} {p.name} · {c}" for p, c in chosen)
        await reply(
            update,
            context,
            t(language, "adminviews.audit.ambiguous", query=query, choices=choices),
        )
        return
    student = chosen[0][0]
    lines = await store.audit_lines(svc.db, school_id=school_id, student_id=student.id)
    text = stats.render_audit(
        svc.catalog,
        language,
        lines,
        svc.tz,
        title_key="adminviews.audit.title_student",
        none_key="adminviews.audit.none_student",
        name=student.name,
        number=student.number,
    )
    await reply(update, context, text)


async def _staff_audit(
    update: Update, context: Context, who: Sender, viewer: Viewer, staff: Person, query: str
) -> None:
    """A school admin reads their own school's staff; the bureau reads everyone."""
    svc = services(context)
    if viewer.is_school_admin and staff.school_id != viewer.person.school_id:
        await reply(
            update, context, svc.catalog.t(who.language, "adminviews.audit.outside", query=query)
        )
        return
    school_id = None if viewer.is_bureau_admin else viewer.person.school_id
    lines = await store.audit_lines(svc.db, school_id=school_id, actor_id=staff.id)
    text = stats.render_audit(
        svc.catalog,
        who.language,
        lines,
        svc.tz,
        title_key="adminviews.audit.title_staff",
        none_key="adminviews.audit.none_staff",
        name=staff.name,
        number=staff.number,
    )
    await reply(update, context, text)
