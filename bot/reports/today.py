"""The day at a glance for staff: per slot who answered, who is flagged and why, who nobody has
contacted yet, and one tap to remind the students who have not answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from bot.alerts.rules import Thresholds
from bot.checkins import schedule
from bot.checkins.rounds import day_rounds, unfinished_nudges
from bot.core.access import Viewer
from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.delivery.outbox import enqueue_many
from bot.isolation.periods import due_for_release
from bot.isolation.screens import release_button
from bot.reports.glance import (
    DaySummary,
    SlotLine,
    flag_students,
    health_only,
    render,
    render_staff,
    school_lines,
    slot_lines,
)
from bot.reports.ledger import day_bounds, scope_for, scope_text
from bot.reports.store import today as store
from bot.storage import audit
from bot.storage.records import Scope

if TYPE_CHECKING:
    from bot.isolation.store import DueRelease

# td:<round id>:remind: remind those who have not finished the round.
AREA = "td"
# One-tap releases under /today; more than this many due at once are released with /release.
RELEASE_BUTTONS = 10


def local_day(svc: Services, now: int) -> date:
    return from_epoch(now).astimezone(svc.tz).date()


async def summarize(
    svc: Services, scope: Scope, now: int, *, by_school: bool, plan: str | None = None
) -> DaySummary:
    """Today in the scope, as of `now`, with the slots of the plan the scope follows (its
    school's own, or the county's ''); with None, a scope over several schools, the slots of
    every plan its people follow, each plan's apart."""
    day = local_day(svc, now)
    rounds = await day_rounds(svc.db, day.isoformat(), plan)
    answers = await store.day_checkins(svc.db, day.isoformat(), scope)
    students = await store.isolated_students(svc.db, scope, now)
    alerts = await store.open_alerts(svc.db, scope)
    midnight, _ = day_bounds(day, day, svc.tz)
    contacted = await store.contacted_since(svc.db, scope, midnight)
    isolated_ids = {s.id for s in students}
    plan_of_round = {r.id: r.plan for r in rounds}
    plans = (
        [plan]
        if plan is not None
        else schedule.plans_in_view(
            svc.config,
            {s.school_name for s in students},
            {plan_of_round[c.round_id] for c in answers if c.round_id in plan_of_round},
        )
    )
    slots = tuple(
        line
        for p in plans
        for line in slot_lines(
            schedule.slot_times(svc.config.checkins_for(p or None), day, svc.tz),
            [r for r in rounds if r.plan == p],
            answers,
            now,
            p,
        )
    )
    flagged = flag_students(
        students,
        [c for c in answers if c.student_id in isolated_ids],
        {r.id: r.slot for r in rounds},
        alerts,
        Thresholds.from_config(svc.config.alerts),
    )
    return DaySummary(
        day.isoformat(),
        len(students),
        slots,
        flagged,
        tuple(s for s in students if s.id not in contacted),
        school_lines(students, flagged) if by_school else (),
        tuple(s for s in students if not s.linked),
    )


async def plan_of_school(svc: Services, school_id: int | None) -> str:
    """The plan a school follows: its own (一校一策, named after it) or the county's ('')."""
    if school_id is None or not svc.config.schools:
        return ""
    names = dict(await store.school_ids(svc.db))
    return schedule.plan_name(svc.config, names.get(school_id))


async def plan_of_view(svc: Services, viewer: Viewer, scope: Scope) -> str | None:
    """The one plan a viewer's scope follows, or None for a scope over several schools (a
    bureau admin, a liaison or a counselor of more than one), which sees every plan's."""
    if scope.class_ids is not None:
        return await plan_of_school(svc, viewer.person.school_id)
    if scope.school_ids is None or len(scope.school_ids) != 1:
        return None
    return await plan_of_school(svc, next(iter(scope.school_ids)))


def clock_labels(svc: Services, summary: DaySummary) -> dict[int, str]:
    moments = {m for s in summary.slots for m in (s.starts_at, s.closes_at)}
    return {m: schedule.clock_time(m, svc.tz) for m in moments}


def day_label(catalog: Catalog, language: str, local_date: str) -> str:
    return catalog.day(language, date.fromisoformat(local_date))


# --- the /today command and its button --------------------------------------------------------


@dataclass(frozen=True)
class TodayView:
    text: str
    remind: SlotLine | None
    # Students whose planned end date has come, for a viewer who may release them.
    due: tuple[DueRelease, ...] = ()


def today_screen(catalog: Catalog, language: str, view: TodayView) -> Screen:
    """The day's text, with a remind button while a round is open and the due releases."""
    rows: list[list[Button]] = []
    remind = view.remind
    if remind is not None and remind.round_id is not None:
        label = catalog.t(
            language, "today.remind_button", count=remind.waiting + remind.in_progress
        )
        rows.append([Button(label, callback(AREA, remind.round_id, "remind"))])
    for due in view.due[:RELEASE_BUTTONS]:
        rows.append([release_button(catalog, language, due.student_id, due.name)])
    return Screen(view.text, Keyboard.of(*rows))


async def view_today(svc: Services, viewer: Viewer, language: str) -> TodayView | None:
    """The viewer's day at a glance, audited; None for someone without staff scope."""
    scope = scope_for(viewer)
    if scope is None:
        return None
    now = svc.now()
    plan = await plan_of_view(svc, viewer, scope)
    summary = await summarize(svc, scope, now, by_school=viewer.is_bureau_admin, plan=plan)
    if viewer.role == "doctor":
        summary = health_only(summary)
    title = svc.catalog.t(
        language, "today.title", date=day_label(svc.catalog, language, summary.local_date)
    )
    text = render(summary, svc.catalog, language, title=title, tz_clock=clock_labels(svc, summary))
    staff_flagged: set[int] = set()
    if viewer.role in ("doctor", "admin"):
        staff = health_only(
            await summarize(svc, replace(scope, staff=True), now, by_school=False, plan=plan)
        )
        if staff.isolated:
            text += "\n\n" + render_staff(
                staff, svc.catalog, language, tz_clock=clock_labels(svc, staff)
            )
            staff_flagged = {f.student.id for f in staff.flagged}
    due: tuple[DueRelease, ...] = ()
    if viewer.role in ("teacher", "admin"):
        due = tuple(await due_for_release(svc, summary.local_date, scope))
        if due:
            text += "\n\n" + _due_text(svc.catalog, language, due)
    day = date.fromisoformat(summary.local_date)
    async with svc.db.transaction() as tx:
        await audit.record_view(
            tx,
            actor_id=viewer.person.id,
            action="today",
            now=now,
            student_ids=sorted(
                {f.student.id for f in summary.flagged}
                | {d.student_id for d in due}
                | staff_flagged
            ),
            scope=scope_text(scope, day, day),
        )
    return TodayView(text, summary.remindable, due)


def _due_text(catalog: Catalog, language: str, due: Sequence[DueRelease]) -> str:
    """Who is due for release today (or overdue), with start and planned end."""
    lines = [catalog.t(language, "today.due_title", count=len(due))]
    lines += [
        catalog.t(
            language,
            "today.due_line",
            name=d.name,
            number=d.number,
            start=catalog.day(language, date.fromisoformat(d.start_date)),
            end=catalog.day(language, date.fromisoformat(d.planned_end_date)),
        )
        for d in due
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Reminded:
    """What a tap on "remind" did: 'closed', 'none' left to remind, or 'sent' with counts."""

    outcome: str
    queued: int = 0
    already: int = 0


async def remind_unanswered(svc: Services, viewer: Viewer, round_id: int) -> Reminded | None:
    """Queue one nudge per slot for each student in the viewer's scope who has not finished;
    None if the viewer has no scope or the round is not today's."""
    scope = scope_for(viewer)
    if scope is None:
        return None
    now = svc.now()
    day = local_day(svc, now)
    rounds = await day_rounds(svc.db, day.isoformat(), await plan_of_view(svc, viewer, scope))
    found = next((r for r in rounds if r.id == round_id), None)
    if found is None:
        return None
    if found.state != "opened" or found.closed_at is not None or now >= found.closes_at:
        return Reminded("closed")
    items = await unfinished_nudges(svc, found, scope)
    if not items:
        return Reminded("none")
    async with svc.db.transaction() as tx:
        queued = await enqueue_many(tx, items, now=now)
        await audit.record(
            tx,
            actor_id=viewer.person.id,
            action="remind",
            now=now,
            scope=f"round:{round_id} {scope_text(scope, day, day)}",
        )
    if queued:
        svc.wake_outbox()
    return Reminded("sent", queued, len(items) - queued)
