"""One student at a glance for staff: find them within the viewer's scope, and show the
isolation so far as a short table and a chart of temperature and mood, in the viewer's language."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.alerts.rules import Thresholds, screen_level
from bot.checkins.schedule import slot_name
from bot.contact.screens import write_button
from bot.core.access import Viewer, covers_student, may_see_note_text, may_see_screen_scores
from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.guardians import consent, family
from bot.reports import charts
from bot.reports.store import ledger as store
from bot.reports.store.ledger import Contact, LedgerRow
from bot.storage import audit, people
from bot.storage.records import Isolation, Person, Scope

# The table shows the latest check-ins; the chart shows the whole isolation.
TABLE_ROWS = 10
MAX_CHOICES = 8
# sv:<student id>: one of several students a /student query matched.
AREA = "sv"


@dataclass(frozen=True)
class Match:
    student: Person
    class_name: str

    @property
    def label(self) -> str:
        return f"{self.student.number} {self.student.name} · {self.class_name}"


@dataclass(frozen=True)
class Lookup:
    """Students the query names that the viewer may see."""

    matches: list[Match]


@dataclass(frozen=True)
class StudentView:
    text: str
    chart: bytes | None
    caption: str
    name: str = ""
    # The student's person id when they are linked, for a "message" button.
    reachable: int | None = None


def choices(catalog: Catalog, language: str, query: str, matches: Sequence[Match]) -> Screen:
    """Several students match the query: one button each, to choose from."""
    text = catalog.t(language, "staffviews.student.choose", query=query)
    buttons = (Button(m.label, callback(AREA, m.student.id)) for m in matches)
    return Screen(text, Keyboard.column(buttons))


def view_screen(catalog: Catalog, language: str, view: StudentView) -> Screen:
    """The view's text, with a button to write to the student when they are linked."""
    if view.reachable is None:
        return Screen(view.text)
    return Screen(
        view.text, Keyboard.of([write_button(catalog, language, view.reachable, view.name)])
    )


async def find_students(services: Services, viewer: Viewer, query: str) -> Lookup:
    found = await store.find_students(services.db, query.strip())
    allowed = [Match(p, c) for p, c in found if covers_student(viewer, p)]
    return Lookup(allowed[:MAX_CHOICES])


async def student_view(
    services: Services, viewer: Viewer, student_id: int, language: str
) -> StudentView | None:
    """The view of a student the viewer covers (None otherwise); the viewing is audited."""
    student = await people.person_by_id(services.db, student_id)
    if student is None or not covers_student(viewer, student):
        return None
    info = await people.student_info(services.db, student_id)
    assert info is not None
    catalog = services.catalog
    today = from_epoch(services.now()).astimezone(services.tz).date()
    isolation = await store.latest_isolation(services.db, student_id)
    header = catalog.t(
        language,
        "staffviews.student.header",
        name=student.name,
        number=student.number,
        class_name=info.class_name,
    )
    if student.chat_id is None:
        # Said first: a teacher reading "no check-ins yet" should know why.
        linked = [catalog.t(language, "staffviews.student.not_linked")]
    else:
        linked = []
    linked += await family.guardian_lines(services.db, catalog, language, student)
    consented = await consent.consent_line(services, catalog, language, student)
    linked += [consented] if consented is not None else []
    if isolation is None:
        never = catalog.t(language, "staffviews.student.never_isolated")
        text = "\n".join([header, *linked, never])
        await _audit(services, viewer, student_id)
        return StudentView(text, None, header, student.name, _reachable(student))
    rows = await store.checkin_rows(
        services.db,
        date_from=isolation.start_date,
        date_to=today.isoformat(),
        scope=Scope(student_id=student_id),
        isolation_id=isolation.id,
        # The note was written to the class teacher ("有什么想告诉班主任的吗？"): they read it.
        with_note_text=may_see_note_text(viewer, student),
    )
    thresholds = Thresholds.from_config(services.config.alerts)
    text = "\n".join(
        [
            header,
            *linked,
            _isolation_line(services, language, isolation, today),
            *table_lines(services, language, rows, may_see_screen_scores(viewer), thresholds),
        ]
    )
    png = None
    if rows:
        labels = charts.Labels(
            title=catalog.t(language, "staffviews.chart.title", name=student.name),
            temperature=catalog.t(language, "staffviews.chart.temperature"),
            mood=catalog.t(language, "staffviews.chart.mood"),
            warning_line=catalog.t(
                language,
                "staffviews.chart.warning_line",
                value=f"{thresholds.fever_warning_c:.1f}",
            ),
            urgent_line=catalog.t(
                language, "staffviews.chart.urgent_line", value=f"{thresholds.fever_urgent_c:.1f}"
            ),
            missed=catalog.t(language, "staffviews.status.missed"),
        )
        points = [
            charts.Point(
                _when(services, language, row),
                row.temperature_c,
                row.mood,
                missed=row.status == "missed",
            )
            for row in rows
        ]
        # Rendering takes a tenth of a second or more: keep it off the event loop.
        png = await asyncio.to_thread(
            charts.render_student_chart,
            points,
            labels,
            warning_c=thresholds.fever_warning_c,
            urgent_c=thresholds.fever_urgent_c,
        )
    await _audit(services, viewer, student_id)
    return StudentView(text, png, header, student.name, _reachable(student))


async def recent_contacts(services: Services, student_id: int, days: int) -> list[Contact]:
    """Relayed messages and logged calls between staff and the student in the last `days`
    days, oldest first; the caller has checked the viewer may see the student."""
    now = services.now()
    return await store.contacts(
        services.db,
        start_at=now - days * 86400,
        end_at=now + 1,
        scope=Scope(student_id=student_id),
    )


def _reachable(student: Person) -> int | None:
    return student.id if student.chat_id is not None else None


async def _audit(services: Services, viewer: Viewer, student_id: int) -> None:
    async with services.db.transaction() as tx:
        await audit.record(
            tx,
            actor_id=viewer.person.id,
            action="student_view",
            now=services.now(),
            student_id=student_id,
        )


def _isolation_line(services: Services, language: str, isolation: Isolation, today: date) -> str:
    catalog = services.catalog
    kind = catalog.t(language, f"isolation.kind.{isolation.kind}")
    start = date.fromisoformat(isolation.start_date)
    if isolation.ended_at is not None:
        end = from_epoch(isolation.ended_at).astimezone(services.tz).date()
        return catalog.t(
            language,
            "staffviews.student.ended",
            kind=kind,
            start=catalog.day(language, start),
            end=catalog.day(language, end),
        )
    line = catalog.t(
        language,
        "staffviews.student.ongoing",
        kind=kind,
        start=catalog.day(language, start),
        day=(today - start).days + 1,
    )
    if isolation.planned_end_date:
        planned_end = date.fromisoformat(isolation.planned_end_date)
        line += catalog.t(
            language, "staffviews.student.planned_end", end=catalog.day(language, planned_end)
        )
    return line


def _when(services: Services, language: str, row: LedgerRow) -> str:
    catalog = services.catalog
    return catalog.t(
        language,
        "staffviews.student.when",
        date=catalog.day(language, date.fromisoformat(row.local_date)),
        slot=slot_name(catalog, language, row.slot),
    )


def table_lines(
    services: Services,
    language: str,
    rows: Sequence[LedgerRow],
    scores: bool,
    thresholds: Thresholds,
) -> list[str]:
    """The latest check-ins, one line each, newest last; a count of the earlier ones first."""
    catalog = services.catalog
    t = catalog.t
    if not rows:
        return [t(language, "staffviews.student.no_checkins")]
    shown = rows[-TABLE_ROWS:]
    lines = []
    if len(rows) > len(shown):
        lines.append(t(language, "staffviews.student.earlier", count=len(rows) - len(shown)))
    separator = t(language, "checkin.list_separator")
    # Who answered is said once a guardian has answered for the student (家长代答).
    by_family = any(row.answered_by is not None for row in shown)
    for row in shown:
        parts = [_when(services, language, row)]
        if row.status != "answered":
            parts.append(t(language, f"staffviews.status.{row.status}"))
            lines.append(" · ".join(parts))
            continue
        if by_family:
            who = "by_student" if row.answered_by is None else "by_guardian"
            parts.append(t(language, f"staffviews.cell.{who}"))
        if row.temperature_c is not None:
            mark = " ⚠️" if row.temperature_c >= thresholds.fever_warning_c else ""
            parts.append(f"{row.temperature_c:.1f}°C{mark}")
        else:
            parts.append(t(language, "staffviews.cell.not_measured"))
        if row.symptoms:
            parts.append(
                separator.join(
                    t(language, f"checkin.symptom.{s}") for s in row.symptoms.split(",")
                )
            )
        else:
            parts.append(t(language, "staffviews.cell.no_symptoms"))
        if row.mood is not None:
            parts.append(t(language, "staffviews.student.mood", mood=row.mood))
        elif row.screen is not None:
            anxiety, depression = row.screen[0] + row.screen[1], row.screen[2] + row.screen[3]
            if scores:
                parts.append(
                    t(
                        language,
                        "staffviews.cell.screen_score",
                        total=anxiety + depression,
                        anxiety=anxiety,
                        depression=depression,
                    )
                )
            else:
                parts.append(t(language, "staffviews.cell.screen_done"))
                if screen_level(row.screen, thresholds):
                    parts.append(t(language, "alerts.seen.wellbeing_flag"))
        if row.note:
            parts.append(t(language, "staffviews.student.note_text", note=row.note))
        elif row.has_note:
            parts.append(t(language, "staffviews.student.note"))
        lines.append(" · ".join(parts))
    return lines
