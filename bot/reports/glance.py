"""The day at a glance as data and text: the slot counts, who is flagged and why, the
rendered summary. Pure: what it needs is read by bot.reports.today."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.alerts.rules import Thresholds
from bot.checkins import schedule
from bot.core.i18n import Catalog
from bot.reports.store.today import DayCheckin, IsolatedStudent, OpenAlert

if TYPE_CHECKING:
    from bot.checkins.store.rounds import Round

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
    by_guardian: int = 0
    # The timetable the slot is of: '' for the county's, else the school with its own plan.
    plan: str = ""


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


def slot_lines(
    planned: Sequence[schedule.SlotTimes],
    rounds: Sequence[Round],
    answers: Sequence[DayCheckin],
    now: int,
    plan: str = "",
) -> tuple[SlotLine, ...]:
    """The plan's slots with their rounds' counts; answers of other rounds are left out."""
    by_slot = {r.slot: r for r in rounds}
    by_round: dict[int, list[DayCheckin]] = defaultdict(list)
    for c in answers:
        by_round[c.round_id].append(c)
    lines = []
    for slot in planned:
        found = by_slot.get(slot.name)
        if found is None:
            lines.append(SlotLine(slot.name, slot.opens_at, slot.closes_at, "upcoming", plan=plan))
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
                by_guardian=sum(c.status == "answered" and c.by_guardian for c in rows),
                plan=plan,
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
    lines += _slot_texts(summary, catalog, language, tz_clock)
    lines.append("")
    if summary.flagged:
        lines += _flagged_texts(summary, catalog, language)
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


def render_staff(
    summary: DaySummary, catalog: Catalog, language: str, *, tz_clock: dict[int, str]
) -> str:
    """Isolated staff as a section of their own, below the students: their check-ins and what
    needs attention (health only, as the doctor and the admin over them see it)."""
    lines = [catalog.t(language, "today.staff_title", count=summary.isolated)]
    lines += _slot_texts(summary, catalog, language, tz_clock)
    if summary.flagged:
        lines += _flagged_texts(summary, catalog, language)
    return "\n".join(lines)


def _slot_texts(
    summary: DaySummary, catalog: Catalog, language: str, tz_clock: dict[int, str]
) -> list[str]:
    lines = []
    # Several timetables (a bureau over schools with plans of their own): each under a heading.
    headed = len({line.plan for line in summary.slots}) > 1
    heading: str | None = None
    for line in summary.slots:
        if headed and line.plan != heading:
            heading = line.plan
            lines.append(plan_heading(catalog, language, line.plan))
        counts = catalog.t(
            language,
            f"today.slot.{line.state}",
            answered=line.answered,
            in_progress=line.in_progress,
            waiting=line.waiting,
            missed=line.missed,
            closes=tz_clock[line.closes_at],
        )
        if line.by_guardian:
            counts += catalog.t(language, "today.slot.by_guardian", count=line.by_guardian)
        lines.append(
            catalog.t(
                language,
                "today.slot_line",
                slot=schedule.slot_name(catalog, language, line.slot),
                time=tz_clock[line.starts_at],
                counts=counts,
            )
        )
    return lines


def plan_heading(catalog: Catalog, language: str, plan: str) -> str:
    """The heading over one timetable's slots: the county's, or a school's own."""
    if not plan:
        return catalog.t(language, "today.plan_county")
    return catalog.t(language, "today.plan_school", school=plan)


def _flagged_texts(summary: DaySummary, catalog: Catalog, language: str) -> list[str]:
    lines = [catalog.t(language, "today.flagged", count=len(summary.flagged))]
    for f in summary.flagged[:MAX_LISTED]:
        why = separator(language).join(reason_text(catalog, language, r) for r in f.reasons)
        lines.append(
            catalog.t(
                language,
                "today.flagged_line",
                name=f.student.name,
                number=f.student.number,
                why=why,
            )
        )
    if len(summary.flagged) > MAX_LISTED:
        lines.append(catalog.t(language, "today.more", count=len(summary.flagged) - MAX_LISTED))
    return lines


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
