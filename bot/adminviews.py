"""What /stats and /audit show an admin: the figures and audit entries of their scope, read and
shaped into one message."""

from __future__ import annotations

import logging
from datetime import date

from bot import stats
from bot.access import Viewer, covers_student
from bot.ledger import day_bounds, scope_for
from bot.schedule import local_date
from bot.services import Services
from bot.storage import stats as store
from bot.storage.ledger import find_students
from bot.storage.records import Person

log = logging.getLogger(__name__)


async def stats_text(svc: Services, viewer: Viewer, language: str) -> str:
    """Isolated now, the rounds, alerts and delivery problems of the last days, in figures."""
    scope = scope_for(viewer)
    assert scope is not None, "every admin has a scope"
    now = svc.now()
    days = stats.window(date.fromisoformat(local_date(now, svc.tz)))
    since, _ = day_bounds(days[0], days[1], svc.tz)
    rounds = await store.round_counts(svc.db, scope, days[0].isoformat(), days[1].isoformat())
    alerts = await store.alerts_opened(svc.db, scope, since)
    log.info("stats: %d rounds, %d alerts", len(rounds), len(alerts))
    return stats.render_stats(
        svc.catalog,
        language,
        now_label=stats.local_time(now, svc.tz),
        days=days,
        isolated=await store.isolated_by_kind(svc.db, scope, now),
        rounds=rounds,
        alerts=alerts,
        delivery=await store.delivery_problems(svc.db, scope, since),
        by_school=viewer.is_bureau_admin,
    )


async def audit_text(svc: Services, viewer: Viewer, language: str, query: str) -> str:
    """The newest audit entries of the admin's scope; with a query, of the staff member with
    that number or of the one student it names (refused outside the admin's scope)."""
    t = svc.catalog.t
    school_id = None if viewer.is_bureau_admin else viewer.person.school_id
    if not query:
        lines = await store.audit_lines(svc.db, school_id=school_id)
        return _render(svc, language, lines, "", None)
    staff = await store.staff_by_number(svc.db, query)
    if staff is not None:
        if viewer.is_school_admin and staff.school_id != viewer.person.school_id:
            return t(language, "adminviews.audit.not_found", query=query)
        lines = await store.audit_lines(svc.db, school_id=school_id, actor_id=staff.id)
        return _render(svc, language, lines, "_staff", staff)
    students = await find_students(svc.db, query)
    mine = [(p, c) for p, c in students if covers_student(viewer, p)]
    # Outside the scope and unknown read the same, so nobody learns who exists elsewhere.
    if not mine:
        return t(language, "adminviews.audit.not_found", query=query)
    exact = [(p, c) for p, c in mine if query in (p.number, p.name)]
    chosen = exact if len(exact) == 1 else mine
    if len(chosen) > 1:
        choices = "\n".join(f"{p.number} {p.name} · {c}" for p, c in chosen)
        return t(language, "adminviews.audit.ambiguous", query=query, choices=choices)
    student = chosen[0][0]
    lines = await store.audit_lines(svc.db, school_id=school_id, student_id=student.id)
    return _render(svc, language, lines, "_student", student)


def _render(
    svc: Services,
    language: str,
    lines: list[store.AuditLine],
    suffix: str,
    about: Person | None,
) -> str:
    names = {} if about is None else {"name": about.name, "number": about.number}
    return stats.render_audit(
        svc.catalog,
        language,
        lines,
        svc.tz,
        title_key=f"adminviews.audit.title{suffix}",
        none_key=f"adminviews.audit.none{suffix}",
        **names,
    )
