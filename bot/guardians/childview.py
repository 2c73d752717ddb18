"""/child: a guardian's view of their own children's last week of check-ins (the answers
only: no notes, no screen, no alerts), audited as a view."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.guardians import store
from bot.guardians.store import Child, ChildCheckin
from bot.storage import audit
from bot.storage.records import Person

DAYS = 7
# Check-ins a parent has nothing to read in: never sent, or stopped when isolation ended.
_UNSHOWN = ("not_sent", "cancelled")


async def child_view(
    svc: Services, guardian: Person, language: str, query: str | None
) -> str | None:
    """The view of every child (or the one `query` names by number or name); None when
    `query` names none of the guardian's children. Each child shown is audited."""
    children = await store.children_of(svc.db, guardian.id)
    if query is not None:
        children = [c for c in children if query in (c.student.number, c.student.name)]
        if not children:
            return None
    now = svc.now()
    today = datetime.fromtimestamp(now, svc.tz).date()
    since = (today - timedelta(days=DAYS - 1)).isoformat()
    shown = [(c, await store.child_checkins(svc.db, c.student.id, since)) for c in children]
    async with svc.db.transaction() as tx:
        await audit.record_view(
            tx,
            actor_id=guardian.id,
            action="child_view",
            now=now,
            student_ids=[c.student.id for c in children],
            scope=f"{since}..{today.isoformat()}",
        )
    return render(svc.catalog, language, guardian.id, shown)


def render(
    catalog: Catalog,
    language: str,
    guardian_id: int,
    shown: list[tuple[Child, list[ChildCheckin]]],
) -> str:
    """The whole message: a heading, then each child and their check-ins, one per line."""
    t = catalog.t
    if not shown:
        return t(language, "guardians.child_view.no_children")
    parts = [t(language, "guardians.child_view.head", days=DAYS)]
    for child, checkins in shown:
        lines = [
            t(
                language,
                "guardians.child",
                name=child.student.name,
                school=child.school_name,
                class_name=child.class_name,
            )
        ]
        lines += [
            checkin_line(catalog, language, guardian_id, c)
            for c in checkins
            if c.status not in _UNSHOWN
        ] or [t(language, "guardians.child_view.none", days=DAYS)]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def checkin_line(catalog: Catalog, language: str, guardian_id: int, c: ChildCheckin) -> str:
    """11月30日（周一）晨检：36.6 °C，没有不适，心情 🙂 不错 · 您代答."""
    t = catalog.t
    when = t(
        language,
        "guardians.child_view.when",
        day=catalog.day(language, date.fromisoformat(c.local_date)),
        # As bot.checkins.schedule.slot_name reads it (guardians sit below check-ins).
        slot=catalog.t_or(
            language, f"checkin.slot.{c.slot}", catalog.t(language, "checkin.slot_any")
        ),
    )
    if c.status not in ("answered", "open"):
        return t(language, "guardians.child_view.missed", when=when)
    sep = t(language, "guardians.child_view.sep")
    answers = [_temperature(catalog, language, c), _symptoms(catalog, language, c, sep)]
    if c.mood is not None:
        mood = t(language, f"guardians.child_view.moods.{c.mood}")
        answers.append(t(language, "guardians.child_view.mood", mood=mood))
    if not any(answers):
        return t(language, "guardians.child_view.waiting", when=when)
    if c.answered_by is None:
        who = "by_child"
    else:
        who = "by_you" if c.answered_by == guardian_id else "by_guardian"
    key = "guardians.child_view.line" if c.status == "answered" else "guardians.child_view.open"
    return t(
        language,
        key,
        when=when,
        answers=sep.join(a for a in answers if a),
        who=t(language, f"guardians.child_view.{who}"),
    )


def _temperature(catalog: Catalog, language: str, c: ChildCheckin) -> str:
    if c.temperature_status == "not_measured":
        return catalog.t(language, "guardians.child_view.not_measured")
    return "" if c.temperature_c is None else f"{c.temperature_c:.1f} °C"


def _symptoms(catalog: Catalog, language: str, c: ChildCheckin, sep: str) -> str:
    if c.symptoms is None:
        return ""
    if not c.symptoms:
        return catalog.t(language, "guardians.child_view.no_symptoms")
    return sep.join(catalog.t(language, f"checkin.symptom.{s}") for s in c.symptoms)
