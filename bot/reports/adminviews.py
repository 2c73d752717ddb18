"""What /stats and /audit show an admin: the figures and audit entries of their scope, read and
shaped into one message; and how long alerts waited to be taken, for the dashboard's trends."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.checkins.schedule import local_date
from bot.core.access import Viewer, covers_student
from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, callback
from bot.core.services import Services
from bot.reports import stats
from bot.reports.ledger import day_bounds, scope_for
from bot.reports.store import stats as store
from bot.reports.store.ledger import find_students
from bot.storage import people
from bot.storage.records import Person, Scope

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


@dataclass(frozen=True)
class AckWaits:
    """Seconds from opening to acknowledgement of the alerts acknowledged so far: by the local
    day each opened (YYYY-MM-DD), and all of them."""

    by_day: dict[str, list[int]]
    every: list[int]


async def ack_waits(svc: Services, scope: Scope, since: int) -> AckWaits:
    """How long the scope's alerts opened since `since` waited for someone to take them."""
    by_day: dict[str, list[int]] = defaultdict(list)
    every = []
    for a in await store.alerts_opened(svc.db, scope, since):
        if a.acknowledged_at is None:
            continue
        day = from_epoch(a.opened_at).astimezone(svc.tz).date().isoformat()
        by_day[day].append(a.acknowledged_at - a.opened_at)
        every.append(a.acknowledged_at - a.opened_at)
    return AckWaits(dict(by_day), every)


# Audit entries per message; the buttons page through older ones.
AUDIT_PAGE = 10
# au:<page>[:s|p:<person id>]: another page of the whole scope, of a student or of a staff.
AREA = "au"


@dataclass(frozen=True)
class AuditPage:
    """One page of /audit; `target` ((), ('s', student id) or ('p', staff id)) and `page`
    make the page buttons, `older` says whether there is a next page."""

    text: str
    target: tuple[str, ...] = ()
    page: int = 0
    older: bool = False


def audit_keyboard(catalog: Catalog, language: str, page: AuditPage) -> Keyboard:
    """The newer and older buttons of an /audit page, those that lead somewhere."""
    buttons = []
    if page.page > 0:
        label = catalog.t(language, "adminviews.audit.newer")
        buttons.append(Button(label, callback(AREA, page.page - 1, *page.target)))
    if page.older:
        label = catalog.t(language, "adminviews.audit.older")
        buttons.append(Button(label, callback(AREA, page.page + 1, *page.target)))
    return Keyboard.of(buttons)


async def audit_text(svc: Services, viewer: Viewer, language: str, query: str) -> AuditPage:
    """The newest audit entries of the admin's scope; with a query, of the staff member with
    that number or of the one student it names (refused outside the admin's scope)."""
    t = svc.catalog.t
    if not query:
        return await _audit_page(svc, viewer, language, None, 0)
    staff = await store.staff_by_number(svc.db, query)
    if staff is not None:
        if viewer.is_school_admin and staff.school_id != viewer.person.school_id:
            return AuditPage(t(language, "adminviews.audit.not_found", query=query))
        return await _audit_page(svc, viewer, language, ("p", staff), 0)
    students = await find_students(svc.db, query)
    mine = [(p, c) for p, c in students if covers_student(viewer, p)]
    # Outside the scope and unknown read the same, so nobody learns who exists elsewhere.
    if not mine:
        return AuditPage(t(language, "adminviews.audit.not_found", query=query))
    exact = [(p, c) for p, c in mine if query in (p.number, p.name)]
    chosen = exact if len(exact) == 1 else mine
    if len(chosen) > 1:
        choices = "\n".join(f"{p.number} {p.name} · {c}" for p, c in chosen)
        return AuditPage(t(language, "adminviews.audit.ambiguous", query=query, choices=choices))
    return await _audit_page(svc, viewer, language, ("s", chosen[0][0]), 0)


async def audit_page(
    svc: Services, viewer: Viewer, language: str, target: Sequence[str], page: int
) -> AuditPage | None:
    """Another page of the entries a /audit answer showed; None if the target is no longer
    the viewer's to read or not one at all."""
    if not target:
        return await _audit_page(svc, viewer, language, None, page)
    if len(target) != 2:
        return None
    kind, number = target
    person = await people.person_by_id(svc.db, int(number)) if number.isdigit() else None
    if person is None or kind not in ("s", "p"):
        return None
    if kind == "s" and (not person.is_student or not covers_student(viewer, person)):
        return None
    if kind == "p" and (
        person.is_student
        or (viewer.is_school_admin and person.school_id != viewer.person.school_id)
    ):
        return None
    return await _audit_page(svc, viewer, language, (kind, person), page)


async def _audit_page(
    svc: Services,
    viewer: Viewer,
    language: str,
    about: tuple[str, Person] | None,
    page: int,
) -> AuditPage:
    school_id = None if viewer.is_bureau_admin else viewer.person.school_id
    kind, person = about if about is not None else ("", None)
    lines = await store.audit_lines(
        svc.db,
        school_id=school_id,
        student_id=person.id if person is not None and kind == "s" else None,
        actor_id=person.id if person is not None and kind == "p" else None,
        limit=AUDIT_PAGE + 1,
        offset=page * AUDIT_PAGE,
    )
    shown = lines[:AUDIT_PAGE]
    ids = stats.scope_ids(shown)
    names = await store.scope_names(
        svc.db,
        school_ids=ids.get("school", set()),
        class_ids=ids.get("class", set()),
        notice_ids=ids.get("notice", set()),
        round_ids=ids.get("round", set()),
    )
    suffix = {"s": "_student", "p": "_staff"}.get(kind, "")
    about_names = {} if person is None else {"name": person.name, "number": person.number}
    text = stats.render_audit(
        svc.catalog,
        language,
        shown,
        svc.tz,
        title_key=f"adminviews.audit.title{suffix}",
        none_key=f"adminviews.audit.none{suffix}",
        scope_names=names,
        with_school=viewer.is_bureau_admin,
        **about_names,
    )
    target = () if person is None else (kind, str(person.id))
    return AuditPage(text, target, page, older=len(lines) > AUDIT_PAGE)
