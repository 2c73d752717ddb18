"""The ledger workbook (台账): a summary sheet, then a sheet per day with a title, one numbered row
per student and the day's slots side by side, abnormal cells filled, in the reader's language.

It stays one module over the size the code base aims for (issue 16) because it builds one
workbook: the column plan, the cell fills and the per-role columns (notes, screen scores) decide
together what each sheet shows, and the summary sheet counts as abnormal what the day sheets
fill, both from the same thresholds, so they cannot drift apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.alerts.rules import Thresholds, screen_level, temperature_level
from bot.core import xlsx
from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.reports.store.ledger import CheckinAlert, Contact, LedgerRow
from bot.returns.report import Table

# Excel's own "neutral", "bad" and a light blue: what Chinese school sheets colour abnormal
# values with, and readable when printed in grey.
FILL_WARNING = "FFEB9C"
FILL_URGENT = "FFC7CE"
FILL_INFO = "DDEBF7"
FILL_HEADER = "D9D9D9"
FILLS = {"warning": FILL_WARNING, "urgent": FILL_URGENT, "info": FILL_INFO}
LEVEL_ORDER = {"info": 0, "warning": 1, "urgent": 2}

# A day sheet: one row per student, the student's columns, then each slot's side by side
# (晨检 | 午检 | ...), then the day's note, alerts, their handling (处置情况) and contacts.
STUDENT_COLUMNS = ("seq", "number", "name", "class", "kind", "start", "planned_end")
SLOT_COLUMNS = ("answered", "temperature", "symptoms", "mood")
DAY_COLUMNS = ("note", "alerts", "handling", "contact")
# Those the notes are written to (class teacher, counselor) read them in place of the mark
# that says which check-in has one; the doctor and administrators keep the mark.
NOTE_TEXT_COLUMNS = ("note_text", *DAY_COLUMNS[1:])
# Counselor-only column: screen scores (teachers see only a flag).
COUNSELOR_COLUMNS = ("screen_score",)
# The staff sheet (教职工): one row per isolated staff member's check-in, kept apart from the
# students' sheets and summary.
STAFF_COLUMNS = ("seq", "date", "slot", "staff_number", "name", "school", "kind")
STAFF_TAIL = ("alerts", "handling")
# The summary counts people and check-ins apart: "3 students, 6 check-ins", not one number.
SUMMARY_KEYS = ("date", "class")
SUMMARY_PEOPLE = ("isolated", "abnormal_people", "missed_people")
SUMMARY_CHECKINS = (
    "due",
    "answered",
    "missed",
    "pending",
    "fever_warning",
    "fever_urgent",
    "symptoms",
    "low_mood",
)
SUMMARY_OTHER = ("alerts", "contacts")
SUMMARY_COLUMNS = SUMMARY_KEYS + SUMMARY_PEOPLE + SUMMARY_CHECKINS + SUMMARY_OTHER
WIDTHS = {
    "seq": 5,
    "number": 10,
    "name": 10,
    "class": 14,
    "kind": 11,
    "start": 11,
    "planned_end": 11,
    "answered": 9,
    "temperature": 8,
    "symptoms": 16,
    "mood": 9,
    "note": 7,
    "alerts": 14,
    "handling": 28,
    "contact": 26,
    "screen_score": 20,
    "note_text": 40,
    "date": 12,
}
# Shown per place in a title before it becomes a count ("初二(3)班、初二(4)班" vs "5 个班").
TITLE_CLASSES = 3


@dataclass(frozen=True)
class LedgerData:
    """Everything a ledger shows, read for one scope and date range."""

    date_from: date
    date_to: date
    rows: Sequence[LedgerRow]
    alerts: dict[int, list[CheckinAlert]] = field(default_factory=dict)
    # By (student id, local date).
    contacts: dict[tuple[int, str], list[Contact]] = field(default_factory=dict)
    counselor: bool = False
    note_text: bool = False


def days(date_from: date, date_to: date) -> list[date]:
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


class _Words:
    """The catalog texts one workbook needs, looked up once rather than per cell."""

    def __init__(self, catalog: Catalog, language: str) -> None:
        self.catalog = catalog
        self.language = language
        self._cache: dict[str, str] = {}

    def __call__(self, key: str, fallback: str | None = None) -> str:
        text = self._cache.get(key)
        if text is None:
            if fallback is None:
                text = self.catalog.t(self.language, key)
            else:
                text = self.catalog.t_or(self.language, key, fallback)
            self._cache[key] = text
        return text


class LedgerBook:
    """The ledger written a day at a time, in date order: each day's sheet as it comes, the
    summary (the first sheet) on close. Totals for the caption and the audit add up as it goes.

    `places` are the (school, class) names the ledger covers, for the titles; `slots` the
    configured slot names, in order (a day's sheet adds any other slot its rows have)."""

    def __init__(
        self,
        book: xlsx.Book,
        *,
        catalog: Catalog,
        language: str,
        tz: ZoneInfo,
        thresholds: Thresholds,
        counselor: bool,
        note_text: bool,
        many_schools: bool,
        places: Sequence[tuple[str, str]] = (),
        slots: Sequence[str] = (),
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> None:
        self._book = book
        self._words = words = _Words(catalog, language)
        self._tz = tz
        self._thresholds = thresholds
        self._many_schools = many_schools
        self._counselor = counselor
        self._note_text = note_text
        self._place = place_text(places, words)
        self._slots = tuple(slots)
        self._span = (date_from, date_to)
        self._limits = {
            "warning": f"{thresholds.fever_warning_c:.1f}",
            "urgent": f"{thresholds.fever_urgent_c:.1f}",
        }
        # Created now so that it is the first sheet; written on close, once the days are known.
        self._summary = book.sheet(
            words("staffviews.sheet.summary"), [WIDTHS.get(c, 9) for c in SUMMARY_COLUMNS]
        )
        self._summary_lines: list[list[object]] = []
        self._separator = words("checkin.list_separator")
        self.students: set[int] = set()
        self.rows = 0
        self.abnormal = 0
        self._first: date | None = None
        self._last: date | None = None

    def add_day(self, day: date, rows: Sequence[LedgerRow], data: LedgerData) -> None:
        """The day's sheet, a row per student; `data` holds the rows' alerts and contacts."""
        words = self._words
        slots = list(self._slots)
        for row in sorted(rows, key=lambda r: r.slot_index):
            if row.slot not in slots:
                slots.append(row.slot)
        columns = list(STUDENT_COLUMNS)
        groups: list[tuple[int, int, str]] = []
        for slot in slots:
            groups.append(
                (len(columns), len(columns) + len(SLOT_COLUMNS) - 1, _slot_name(words, slot))
            )
            columns += SLOT_COLUMNS
        columns += NOTE_TEXT_COLUMNS if self._note_text else DAY_COLUMNS
        columns += COUNSELOR_COLUMNS if self._counselor else ()
        sheet = self._book.sheet(day.isoformat(), [WIDTHS.get(c, 10) for c in columns])
        title = words("staffviews.title.day").format(place=self._place, date=day.isoformat())
        sheet.heading(
            title,
            groups,
            [words(f"staffviews.col.{c}") for c in columns],
            freeze_columns=3,
        )
        by_student: dict[int, dict[str, LedgerRow]] = defaultdict(dict)
        for row in rows:
            by_student[row.student_id][row.slot] = row
        order = sorted(
            by_student.values(),
            key=lambda found: _student_order(next(iter(found.values()))),
        )
        for seq, found in enumerate(order, start=1):
            sheet.append(*self._student_cells(seq, day, slots, found, data))
        self._summary_lines += _summary_rows(
            day.isoformat(), rows, data, words, self._thresholds, self._many_schools
        )
        self.students.update(r.student_id for r in rows)
        self.rows += len(rows)
        self.abnormal += abnormal_count(rows, data, self._thresholds)
        self._first = self._first or day
        self._last = day

    def _student_cells(
        self,
        seq: int,
        day: date,
        slots: Sequence[str],
        found: dict[str, LedgerRow],
        data: LedgerData,
    ) -> tuple[list[object], dict[int, str]]:
        """One student's day: who they are, each slot's answer, then the day's follow-up."""
        words, tz, thresholds = self._words, self._tz, self._thresholds
        first = next(iter(found.values()))
        levels: dict[int, str] = {}
        cells: list[object] = [
            seq,
            first.number,
            first.name,
            _class_name(first, self._many_schools),
            words(f"isolation.kind.{first.isolation_kind}", fallback=first.isolation_kind),
            first.start_date,
            first.planned_end_date,
        ]
        present = [found[slot] for slot in slots if slot in found]
        for slot in slots:
            row = found.get(slot)
            if row is None:
                cells += [None] * len(SLOT_COLUMNS)
                continue
            slot_cells, slot_levels = _slot_cells(row, words, tz, thresholds, self._separator)
            for offset, level in slot_levels.items():
                levels[len(cells) + offset] = level
            cells += slot_cells

        if self._note_text:
            texts = [(r.slot, r.note) for r in present if r.note]
            if len(texts) > 1:
                cells.append("\n".join(f"{_slot_name(words, s)}：{n}" for s, n in texts))
            else:
                cells.append(texts[0][1] if texts else None)
        else:
            notes = [r for r in present if r.has_note]
            cells.append(
                self._separator.join(_slot_name(words, r.slot) for r in notes) if notes else None
            )

        alerts = _day_alerts(present, data)
        if alerts:
            levels[len(cells)] = max(alerts, key=lambda a: LEVEL_ORDER.get(a.level, 0)).level
            cells.append(
                self._separator.join(
                    words(f"alerts.kind.{a.kind}", fallback=a.kind) for a in alerts
                )
            )
            cells.append("\n".join(_handling(a, words, tz, day) for a in alerts))
        else:
            cells += [None, None]

        contacts = data.contacts.get((first.student_id, day.isoformat()))
        cells.append(
            "; ".join(
                words(f"staffviews.contact.{c.direction}").format(
                    time=_hh_mm(c.at, tz), name=c.staff_name
                )
                for c in contacts
            )
            if contacts
            else None
        )

        if self._counselor:
            screened = next((r for r in present if r.screen is not None), None)
            if screened is not None and screened.screen is not None:
                screen = screened.screen
                anxiety, depression = screen[0] + screen[1], screen[2] + screen[3]
                screened_level = screen_level(screen, thresholds)
                if screened_level:
                    levels[len(cells)] = screened_level
                cells.append(
                    words("staffviews.cell.screen_score").format(
                        total=anxiety + depression, anxiety=anxiety, depression=depression
                    )
                )
            else:
                cells.append(None)
        return cells, levels

    def add_table(
        self,
        name: str,
        widths: Sequence[float],
        headers: Sequence[str],
        rows: Sequence[tuple[Sequence[object], dict[int, str]]],
    ) -> None:
        """A plain sheet after the days (the returns to school of the span, 返校)."""
        sheet = self._book.sheet(name, widths, headers)
        for cells, fills in rows:
            sheet.append(cells, fills)

    def add_staff(self, rows: Sequence[LedgerRow], data: LedgerData) -> None:
        """The sheet of isolated staff (教职工), after the days: one row per check-in."""
        words = self._words
        # Staff write their notes to the school doctor: only the doctor's sheet has the column.
        notes = ("note_text",) if data.note_text else ()
        columns = (*STAFF_COLUMNS, *SLOT_COLUMNS, *notes, *STAFF_TAIL)
        sheet = self._book.sheet(
            words("staffviews.sheet.staff"), [WIDTHS.get(c, 10) for c in columns]
        )
        sheet.heading(
            words("staffviews.title.staff").format(place=self._place),
            [],
            [words(f"staffviews.col.{c}") for c in columns],
            freeze_columns=5,
        )
        order = sorted(rows, key=lambda r: (r.local_date, r.slot_index, r.school_name, r.number))
        for seq, row in enumerate(order, start=1):
            cells: list[object] = [
                seq,
                row.local_date,
                _slot_name(words, row.slot),
                row.number,
                row.name,
                row.school_name,
                words(f"isolation.kind.{row.isolation_kind}", fallback=row.isolation_kind),
            ]
            slot_cells, slot_levels = _slot_cells(
                row, words, self._tz, self._thresholds, self._separator
            )
            levels = {len(cells) + offset: level for offset, level in slot_levels.items()}
            cells += slot_cells
            if notes:
                cells.append(row.note)
            alerts = _day_alerts([row], data)
            if alerts:
                levels[len(cells)] = max(alerts, key=lambda a: LEVEL_ORDER.get(a.level, 0)).level
                cells.append(
                    self._separator.join(
                        words(f"alerts.kind.{a.kind}", fallback=a.kind) for a in alerts
                    )
                )
                day = date.fromisoformat(row.local_date)
                cells.append("\n".join(_handling(a, words, self._tz, day) for a in alerts))
            else:
                cells += [None, None]
            sheet.append(cells, levels)
        self.students.update(r.student_id for r in rows)
        self.rows += len(rows)

    def close(self) -> None:
        words = self._words
        first, last = self._span
        first, last = first or self._first, last or self._last
        span = "" if first is None else first.isoformat()
        if last is not None and last != first:
            span = f"{span} – {last.isoformat()}"
        keys, people = len(SUMMARY_KEYS), len(SUMMARY_PEOPLE)
        checkins = len(SUMMARY_CHECKINS)
        groups = [
            (keys, keys + people - 1, words("staffviews.sum.people")),
            (keys + people, keys + people + checkins - 1, words("staffviews.sum.checkins")),
        ]
        self._summary.heading(
            words("staffviews.title.summary").format(place=self._place, span=span),
            groups,
            [words(f"staffviews.sum.{c}").format(**self._limits) for c in SUMMARY_COLUMNS],
            freeze_columns=2,
        )
        for line in self._summary_lines:
            self._summary.append(line)


def build_workbook(
    data: LedgerData,
    *,
    catalog: Catalog,
    language: str,
    tz: ZoneInfo,
    thresholds: Thresholds,
    slots: Sequence[str] = (),
    staff: LedgerData | None = None,
    returns: Table | None = None,
) -> bytes:
    """The ledger as XLSX bytes, built in memory: a summary sheet, then one sheet per day, then
    the isolated staff's sheet when `staff` has rows."""
    book = xlsx.Book(FILLS, header_fill=FILL_HEADER)
    ledger = LedgerBook(
        book,
        catalog=catalog,
        language=language,
        tz=tz,
        thresholds=thresholds,
        counselor=data.counselor,
        note_text=data.note_text,
        many_schools=len({row.school_name for row in data.rows}) > 1,
        places=sorted({(row.school_name, row.class_name) for row in data.rows}),
        slots=slots,
        date_from=data.date_from,
        date_to=data.date_to,
    )
    by_day: dict[str, list[LedgerRow]] = defaultdict(list)
    for row in data.rows:
        by_day[row.local_date].append(row)
    for day in days(data.date_from, data.date_to):
        ledger.add_day(day, by_day.get(day.isoformat(), []), data)
    if staff is not None and staff.rows:
        ledger.add_staff(staff.rows, staff)
    if returns is not None and returns.rows:
        ledger.add_table(returns.title, returns.widths, returns.headers, returns.rows)
    ledger.close()
    book.close()
    return book.content()


def place_text(places: Sequence[tuple[str, str]], words: _Words) -> str:
    """What a title calls the ledger's scope: a school and its classes, or a count."""
    schools = sorted({school for school, _ in places})
    if not schools:
        return ""
    if len(schools) > 1:
        return words.catalog.t(words.language, "staffviews.title.schools", count=len(schools))
    classes = sorted({name for _, name in places})
    if len(classes) > TITLE_CLASSES:
        listed = words.catalog.t(words.language, "staffviews.title.classes", count=len(classes))
    else:
        listed = words("checkin.list_separator").join(classes)
    return f"{schools[0]} {listed}"


def _student_order(row: LedgerRow) -> tuple[str, str, str, int]:
    return row.school_name, row.class_name, row.number, row.student_id


def _day_alerts(rows: Sequence[LedgerRow], data: LedgerData) -> list[CheckinAlert]:
    """The alerts a student's check-ins of the day raised, each kind once."""
    found: list[CheckinAlert] = []
    for row in rows:
        for alert in data.alerts.get(row.checkin_id, []):
            if all(a.kind != alert.kind for a in found):
                found.append(alert)
    return found


def _handling(alert: CheckinAlert, words: _Words, tz: ZoneInfo, day: date) -> str:
    """处置情况 of one alert: who handled it and when, and what was done when that was noted."""
    kind = words(f"alerts.kind.{alert.kind}", fallback=alert.kind)
    when = ""
    if alert.handled_at is not None:
        local = from_epoch(alert.handled_at).astimezone(tz)
        when = _hh_mm(alert.handled_at, tz)
        if local.date() != day:
            when = f"{local.month:02d}-{local.day:02d} {when}"
    state = alert.state if alert.state in ("resolved", "acknowledged") else "open"
    text = words(f"staffviews.handling.{state}").format(
        kind=kind, name=alert.handler or "", time=when
    )
    if alert.resolution_note:
        text += words("staffviews.handling.note").format(note=alert.resolution_note)
    return text


def _slot_name(words: _Words, slot: str) -> str:
    return words(f"checkin.slot.{slot}", fallback=slot)


def _class_name(row: LedgerRow, many_schools: bool) -> str:
    return f"{row.school_name} {row.class_name}" if many_schools else row.class_name


def _slot_cells(
    row: LedgerRow, words: _Words, tz: ZoneInfo, thresholds: Thresholds, separator: str
) -> tuple[list[object], dict[int, str]]:
    """One slot's answer time, temperature, symptoms and mood, and the alert level of each
    abnormal one by offset."""
    levels: dict[int, str] = {}
    cells: list[object] = []
    if row.status == "answered" and row.answered_at is not None:
        answered = _hh_mm(row.answered_at, tz)
        if row.answered_by is not None:
            answered = f"{answered} {words('staffviews.cell.by_guardian')}"
        cells.append(answered)
    else:
        if row.status == "missed":
            levels[0] = "warning"
        cells.append(words(f"staffviews.status.{row.status}"))

    if row.temperature_c is not None:
        level = temperature_level(row.temperature_c, thresholds)
        if level:
            levels[1] = level
        cells.append(round(row.temperature_c, 1))
    elif row.temperature_status == "not_measured":
        cells.append(words("staffviews.cell.not_measured"))
    else:
        cells.append(None)

    if row.symptoms:
        levels[2] = "warning"
        cells.append(
            separator.join(
                words(f"checkin.symptom.{code}", fallback=code) for code in row.symptoms.split(",")
            )
        )
    elif row.symptoms == "":
        cells.append(words("staffviews.cell.no_symptoms"))
    else:
        cells.append(None)

    if row.mood is not None:
        if row.mood <= thresholds.low_mood_max:
            levels[3] = "info"
        cells.append(row.mood)
    elif row.with_screen and row.screen is not None:
        level = screen_level(row.screen, thresholds)
        if level:
            levels[3] = level
        cells.append(words("staffviews.cell.screen_done"))
    else:
        cells.append(None)
    return cells, levels


def _hh_mm(at: int, tz: ZoneInfo) -> str:
    return _clock(at // 60, tz)


@lru_cache(maxsize=4096)
def _clock(minute: int, tz: ZoneInfo) -> str:
    # A fortnight's answers fall on a few thousand distinct minutes: convert each once.
    local = from_epoch(minute * 60).astimezone(tz)
    return f"{local.hour:02d}:{local.minute:02d}"


def _summary_rows(
    day: str,
    rows: Sequence[LedgerRow],
    data: LedgerData,
    words: _Words,
    thresholds: Thresholds,
    many_schools: bool,
) -> list[list[object]]:
    """A total for the day (a zero report when nothing happened), then one row per class."""
    by_class: dict[str, list[LedgerRow]] = defaultdict(list)
    for row in rows:
        by_class[_class_name(row, many_schools)].append(row)
    lines = [[day, words("staffviews.sum.all"), *_counts(day, rows, data, thresholds)]]
    if len(by_class) > 1:
        for name in sorted(by_class):
            lines.append([day, name, *_counts(day, by_class[name], data, thresholds)])
    return lines


def _abnormal(row: LedgerRow, data: LedgerData, thresholds: Thresholds) -> bool:
    return (
        row.status == "missed"
        or bool(row.symptoms)
        or (row.temperature_c is not None and row.temperature_c >= thresholds.fever_warning_c)
        or row.checkin_id in data.alerts
    )


def _counts(
    day: str, rows: Sequence[LedgerRow], data: LedgerData, thresholds: Thresholds
) -> list[int]:
    """People first (students, with anything abnormal, with a miss), then check-ins."""
    temperatures = [r.temperature_c for r in rows if r.temperature_c is not None]
    students = {r.student_id for r in rows}
    return [
        len(students),
        len({r.student_id for r in rows if _abnormal(r, data, thresholds)}),
        len({r.student_id for r in rows if r.status == "missed"}),
        len(rows),
        sum(r.status == "answered" for r in rows),
        sum(r.status == "missed" for r in rows),
        sum(r.status == "open" for r in rows),
        sum(thresholds.fever_warning_c <= t < thresholds.fever_urgent_c for t in temperatures),
        sum(t >= thresholds.fever_urgent_c for t in temperatures),
        sum(bool(r.symptoms) for r in rows),
        sum(r.mood is not None and r.mood <= thresholds.low_mood_max for r in rows),
        sum(len(data.alerts.get(r.checkin_id, [])) for r in rows),
        sum(len(data.contacts.get((s, day), [])) for s in students),
    ]


def abnormal_count(rows: Sequence[LedgerRow], data: LedgerData, thresholds: Thresholds) -> int:
    """Check-ins with a fever, symptoms, a miss or an alert: the caption's one number."""
    return sum(_abnormal(r, data, thresholds) for r in rows)
