"""The day at a glance for staff: per slot who answered, who is flagged and why, who nobody has
contacted yet, and one tap to remind the students who have not answered."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.alerts.rules import Thresholds
from bot.checkins import schedule, screens
from bot.checkins.store import Round
from bot.core.access import Viewer
from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.delivery.outbox import enqueue_many
from bot.reports.ledger import day_bounds, scope_for, scope_text
from bot.reports.store import today as store
from bot.reports.store.today import DayCheckin, IsolatedStudent, OpenAlert
from bot.storage import audit
from bot.storage.records import Scope

# A list longer than this on a phone is a wall of names; the rest is counted, not named.
MAX_LISTED = 30
_LEVEL_ORDER = {"urgent": 0, "warning": 1, "info": 2}
# What a school doctor's day shows: the body, not mood (the counselor's) nor contact (the
# teacher's).
HEALTH_REASONS = frozenset({"temperature", "symptoms"})
HEALTH_ALERTS = frozenset({"fever", "symptoms", "temp_rising"})
# Alert kinds that say what a check-in reason already says.
_SAME_AS = {
    "fever": "temperature",
    "symptoms": "symptoms",
    "low_mood": "low_mood",
    "missed": "missed",
}


@dataclass(frozen=True)
class SlotLine:
    """One of today's slots: 'upcoming', 'open', 'closed' or 'not_sent', with its counts."""

    slot: str
    starts_at: int
    closes_at: int
    state: str
    round_id: int | None = None
    answered: int = 0
    in_progress: int = 0
    waiting: int = 0
    missed: int = 0


@dataclass(frozen=True)
class Reason:
    """Why a student is flagged: a code and its value (a temperature, a slot, an alert kind)."""

    code: str
    value: str = ""
    level: str = "warning"


@dataclass(frozen=True)
class Flagged:
    student: IsolatedStudent
    reasons: tuple[Reason, ...]

    @property
    def level(self) -> str:
        return min((r.level for r in self.reasons), key=_LEVEL_ORDER.__getitem__)


@dataclass(frozen=True)
class SchoolLine:
    name: str
    isolated: int
    flagged: int


@dataclass(frozen=True)
class DaySummary:
    local_date: str
    isolated: int
    slots: tuple[SlotLine, ...]
    flagged: tuple[Flagged, ...]
    not_contacted: tuple[IsolatedStudent, ...]
    schools: tuple[SchoolLine, ...] = ()
    # Isolated students who never opened their invite: no check-in or message reaches them.
    unlinked: tuple[IsolatedStudent, ...] = ()
    # Whether the contact line (who nobody has contacted today) belongs in this view.
    contacts: bool = True

    @property
    def remindable(self) -> SlotLine | None:
        """The open slot with students who have not finished, if any."""
        for line in self.slots:
            if line.state == "open" and line.waiting + line.in_progress:
                return line
        return None


# --- pure -----------------------------------------------------------------------------------


def slot_lines(
    planned: Sequence[schedule.SlotTimes],
    rounds: Sequence[Round],
    answers: Sequence[DayCheckin],
    now: int,
) -> tuple[SlotLine, ...]:
    by_slot = {r.slot: r for r in rounds}
    by_round: dict[int, list[DayCheckin]] = defaultdict(list)
    for c in answers:
        by_round[c.round_id].append(c)
    lines = []
    for slot in planned:
        found = by_slot.get(slot.name)
        if found is None:
            lines.append(SlotLine(slot.name, slot.opens_at, slot.closes_at, "upcoming"))
            continue
        if found.state == "not_sent":
            state = "not_sent"
        elif found.closed_at is None and now < found.closes_at:
            state = "open"
        else:
            state = "closed"
        rows = by_round[found.id]
        lines.append(
            SlotLine(
                slot.name,
                found.scheduled_at,
                found.closes_at,
                state,
                round_id=found.id,
                answered=sum(c.status == "answered" for c in rows),
                in_progress=sum(c.status == "open" and c.started for c in rows),
                waiting=sum(c.status == "open" and not c.started for c in rows),
                missed=sum(c.status == "missed" for c in rows),
            )
        )
    return tuple(lines)


def flag_students(
    students: Sequence[IsolatedStudent],
    answers: Sequence[DayCheckin],
    slot_of_round: dict[int, str],
    alerts: Sequence[OpenAlert],
    thresholds: Thresholds,
) -> tuple[Flagged, ...]:
    """Isolated students with a fever, symptoms, low mood or a miss today, or an open alert;
    the most serious first."""
    reasons: dict[int, list[Reason]] = defaultdict(list)
    hottest: dict[int, float] = {}
    for c in answers:
        if c.temperature_c is not None and c.temperature_c >= thresholds.fever_warning_c:
            hottest[c.student_id] = max(c.temperature_c, hottest.get(c.student_id, 0.0))
    for student_id, celsius in hottest.items():
        level = "urgent" if celsius >= thresholds.fever_urgent_c else "warning"
        reasons[student_id].append(Reason("temperature", f"{celsius:.1f}", level))
    for c in answers:
        have = {r.code for r in reasons[c.student_id]}
        if c.symptoms and "symptoms" not in have:
            reasons[c.student_id].append(Reason("symptoms"))
        low = c.mood is not None and c.mood <= thresholds.low_mood_max
        if low and "low_mood" not in have:
            reasons[c.student_id].append(Reason("low_mood", str(c.mood)))
        if c.status == "missed":
            reasons[c.student_id].append(Reason("missed", slot_of_round.get(c.round_id, "")))
    for a in alerts:
        # A fever alert repeats the temperature already listed; keep the one with the value.
        if _SAME_AS.get(a.kind) not in {r.code for r in reasons[a.student_id]}:
            reasons[a.student_id].append(Reason("alert", a.kind, a.level))
    flagged = [Flagged(s, tuple(reasons[s.id])) for s in students if reasons.get(s.id)]
    flagged.sort(key=lambda f: _LEVEL_ORDER[f.level])
    return tuple(flagged)


def health_only(summary: DaySummary) -> DaySummary:
    """The summary as a school doctor sees it: fevers, symptoms and their alerts only."""
    flagged = []
    for f in summary.flagged:
        reasons = tuple(
            r
            for r in f.reasons
            if r.code in HEALTH_REASONS or (r.code == "alert" and r.value in HEALTH_ALERTS)
        )
        if reasons:
            flagged.append(Flagged(f.student, reasons))
    return replace(summary, flagged=tuple(flagged), not_contacted=(), unlinked=(), contacts=False)


def school_lines(
    students: Sequence[IsolatedStudent], flagged: Sequence[Flagged]
) -> tuple[SchoolLine, ...]:
    isolated: dict[str, int] = defaultdict(int)
    for s in students:
        isolated[s.school_name] += 1
    flags: dict[str, int] = defaultdict(int)
    for f in flagged:
        flags[f.student.school_name] += 1
    return tuple(SchoolLine(name, isolated[name], flags[name]) for name in sorted(isolated))


def render(
    summary: DaySummary,
    catalog: Catalog,
    language: str,
    *,
    title: str,
    tz_clock: dict[int, str],
    zero_report: bool = False,
) -> str:
    """The summary as one message; tz_clock maps each slot time to its 'HH:MM'."""

    def t(key: str, **params: object) -> str:
        return catalog.t(language, f"today.{key}", **params)

    lines = [title, t("isolated", count=summary.isolated)]
    for s in summary.schools:
        lines.append(t("school", school=s.name, isolated=s.isolated, flagged=s.flagged))
    lines.append("")
    for line in summary.slots:
        counts = t(
            f"slot.{line.state}",
            answered=line.answered,
            in_progress=line.in_progress,
            waiting=line.waiting,
            missed=line.missed,
            closes=tz_clock[line.closes_at],
        )
        lines.append(
            t(
                "slot_line",
                slot=schedule.slot_name(catalog, language, line.slot),
                time=tz_clock[line.starts_at],
                counts=counts,
            )
        )
    lines.append("")
    if summary.flagged:
        lines.append(t("flagged", count=len(summary.flagged)))
        for f in summary.flagged[:MAX_LISTED]:
            why = separator(language).join(reason_text(catalog, language, r) for r in f.reasons)
            lines.append(t("flagged_line", name=f.student.name, number=f.student.number, why=why))
        if len(summary.flagged) > MAX_LISTED:
            lines.append(t("more", count=len(summary.flagged) - MAX_LISTED))
    else:
        lines.append(t("zero_report") if zero_report else t("no_flags"))
    if summary.isolated and summary.contacts:
        lines.append("")
        if summary.not_contacted:
            names = separator(language).join(s.name for s in summary.not_contacted[:MAX_LISTED])
            lines.append(t("not_contacted", count=len(summary.not_contacted), names=names))
            if len(summary.not_contacted) > MAX_LISTED:
                lines.append(t("more", count=len(summary.not_contacted) - MAX_LISTED))
        else:
            lines.append(t("all_contacted"))
    if summary.unlinked:
        names = separator(language).join(s.name for s in summary.unlinked[:MAX_LISTED])
        lines.append(t("not_linked", count=len(summary.unlinked), names=names))
        if len(summary.unlinked) > MAX_LISTED:
            lines.append(t("more", count=len(summary.unlinked) - MAX_LISTED))
    return "\n".join(lines)


def separator(language: str) -> str:
    return "、" if language == "zh-CN" else ", "


def reason_text(catalog: Catalog, language: str, reason: Reason) -> str:
    if reason.code == "alert":
        return catalog.t(
            language,
            "today.reason.alert",
            level=catalog.t(language, f"alerts.level.{reason.level}"),
            kind=catalog.t(language, f"alerts.kind.{reason.value}"),
        )
    if reason.code == "missed":
        slot = schedule.slot_name(catalog, language, reason.value)
        return catalog.t(language, "today.reason.missed", slot=slot)
    return catalog.t(language, f"today.reason.{reason.code}", value=reason.value)


# --- reading --------------------------------------------------------------------------------


def local_day(svc: Services, now: int) -> date:
    return from_epoch(now).astimezone(svc.tz).date()


async def summarize(svc: Services, scope: Scope, now: int, *, by_school: bool) -> DaySummary:
    """Today in the scope, as of `now`."""
    day = local_day(svc, now)
    planned = schedule.slot_times(svc.config.checkins, day, svc.tz)
    rounds = await store.rounds_on(svc.db, day.isoformat())
    answers = await store.day_checkins(svc.db, day.isoformat(), scope)
    students = await store.isolated_students(svc.db, scope, now)
    alerts = await store.open_alerts(svc.db, scope)
    midnight, _ = day_bounds(day, day, svc.tz)
    contacted = await store.contacted_since(svc.db, scope, midnight)
    isolated_ids = {s.id for s in students}
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
        slot_lines(planned, rounds, answers, now),
        flagged,
        tuple(s for s in students if s.id not in contacted),
        school_lines(students, flagged) if by_school else (),
        tuple(s for s in students if not s.linked),
    )


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
    due: tuple[store.DueRelease, ...] = ()


async def view_today(svc: Services, viewer: Viewer, language: str) -> TodayView | None:
    """The viewer's day at a glance, audited; None for someone without staff scope."""
    scope = scope_for(viewer)
    if scope is None:
        return None
    now = svc.now()
    summary = await summarize(svc, scope, now, by_school=viewer.is_bureau_admin)
    if viewer.role == "doctor":
        summary = health_only(summary)
    title = svc.catalog.t(
        language, "today.title", date=day_label(svc.catalog, language, summary.local_date)
    )
    text = render(summary, svc.catalog, language, title=title, tz_clock=clock_labels(svc, summary))
    due: tuple[store.DueRelease, ...] = ()
    if viewer.role in ("teacher", "admin"):
        due = tuple(await store.due_releases(svc.db, summary.local_date, scope))
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
                {f.student.id for f in summary.flagged} | {d.student_id for d in due}
            ),
            scope=scope_text(scope, day, day),
        )
    return TodayView(text, summary.remindable, due)


def _due_text(catalog: Catalog, language: str, due: Sequence[store.DueRelease]) -> str:
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
    rounds = await store.rounds_on(svc.db, day.isoformat())
    found = next((r for r in rounds if r.id == round_id), None)
    if found is None:
        return None
    if found.state != "opened" or found.closed_at is not None or now >= found.closes_at:
        return Reminded("closed")
    students = await store.unanswered(svc.db, round_id, scope)
    if not students:
        return Reminded("none")
    closes = schedule.clock_time(found.closes_at, svc.tz)
    items = []
    for s in students:
        language = s.language or svc.catalog.default
        slot = schedule.slot_name(svc.catalog, language, found.slot)
        text = svc.catalog.t(language, "today.nudge", slot=slot, closes=closes)
        items.append(screens.nudge(svc, f"ci:{s.checkin_id}:nudge", s, language, text))
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
