"""The ledger workbook (台账): a summary sheet, then a sheet per day with one row per student and
check-in slot, abnormal cells filled, headers in the reader's language."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot import xlsx
from bot.clock import from_epoch
from bot.i18n import Catalog
from bot.rules import Thresholds, screen_level, temperature_level
from bot.storage.ledger import CheckinAlert, Contact, LedgerRow

# Excel's own "neutral", "bad" and a light blue: what Chinese school sheets colour abnormal
# values with, and readable when printed in grey.
FILL_WARNING = "FFEB9C"
FILL_URGENT = "FFC7CE"
FILL_INFO = "DDEBF7"
FILL_HEADER = "D9D9D9"
FILLS = {"warning": FILL_WARNING, "urgent": FILL_URGENT, "info": FILL_INFO}
LEVEL_ORDER = {"info": 0, "warning": 1, "urgent": 2}

DAY_COLUMNS = (
    "number",
    "name",
    "class",
    "kind",
    "slot",
    "answered",
    "temperature",
    "symptoms",
    "mood",
    "note",
    "alerts",
    "contact",
)
# Counselor-only columns: screen scores and note text (teachers see only a flag and a mark).
COUNSELOR_COLUMNS = ("screen_score", "note_text")
SUMMARY_COLUMNS = (
    "date",
    "class",
    "students",
    "answered",
    "missed",
    "pending",
    "fever_warning",
    "fever_urgent",
    "symptoms",
    "low_mood",
    "alerts",
    "contacts",
)
WIDTHS = {
    "number": 10,
    "name": 12,
    "class": 16,
    "kind": 12,
    "slot": 8,
    "answered": 10,
    "temperature": 9,
    "symptoms": 22,
    "mood": 12,
    "note": 8,
    "alerts": 20,
    "contact": 26,
    "screen_score": 20,
    "note_text": 40,
    "date": 12,
    "students": 8,
}


@dataclass(frozen=True)
class LedgerData:
    """Everything a ledger shows, read for one scope and date range."""

    date_from: date
    date_to: date
    rows: Sequence[LedgerRow]
    alerts: dict[int, list[CheckinAlert]] = field(default_factory=dict)
    contacts: dict[int, list[Contact]] = field(default_factory=dict)
    counselor: bool = False


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
    summary (the first sheet) on close. Totals for the caption and the audit add up as it goes."""

    def __init__(
        self,
        book: xlsx.Book,
        *,
        catalog: Catalog,
        language: str,
        tz: ZoneInfo,
        thresholds: Thresholds,
        counselor: bool,
        many_schools: bool,
    ) -> None:
        self._book = book
        self._words = words = _Words(catalog, language)
        self._tz = tz
        self._thresholds = thresholds
        self._many_schools = many_schools
        limits = {
            "warning": f"{thresholds.fever_warning_c:.1f}",
            "urgent": f"{thresholds.fever_urgent_c:.1f}",
        }
        self._summary = book.sheet(
            words("staffviews.sheet.summary"),
            [WIDTHS.get(c, 10) for c in SUMMARY_COLUMNS],
            [words(f"staffviews.sum.{c}").format(**limits) for c in SUMMARY_COLUMNS],
        )
        self._summary_lines: list[list[object]] = []
        columns = DAY_COLUMNS + (COUNSELOR_COLUMNS if counselor else ())
        self._widths = [WIDTHS.get(c, 10) for c in columns]
        self._header = [words(f"staffviews.col.{c}") for c in columns]
        self._separator = words("checkin.list_separator")
        self.students: set[int] = set()
        self.rows = 0
        self.abnormal = 0

    def add_day(self, day: date, rows: Sequence[LedgerRow], data: LedgerData) -> None:
        """The day's sheet, its rows in order; `data` holds their alerts and contacts."""
        sheet = self._book.sheet(day.isoformat(), self._widths, self._header)
        words, tz, thresholds = self._words, self._tz, self._thresholds
        for row in rows:
            sheet.append(
                *_day_cells(row, data, words, tz, thresholds, self._separator, self._many_schools)
            )
        self._summary_lines += _summary_rows(
            day.isoformat(), rows, data, words, thresholds, self._many_schools
        )
        self.students.update(r.student_id for r in rows)
        self.rows += len(rows)
        self.abnormal += abnormal_count(rows, data, thresholds)

    def close(self) -> None:
        for line in self._summary_lines:
            self._summary.append(line)


def build_workbook(
    data: LedgerData, *, catalog: Catalog, language: str, tz: ZoneInfo, thresholds: Thresholds
) -> bytes:
    """The ledger as XLSX bytes, built in memory: a summary sheet, then one sheet per day."""
    book = xlsx.Book(FILLS, header_fill=FILL_HEADER)
    ledger = LedgerBook(
        book,
        catalog=catalog,
        language=language,
        tz=tz,
        thresholds=thresholds,
        counselor=data.counselor,
        many_schools=len({row.school_name for row in data.rows}) > 1,
    )
    by_day: dict[str, list[LedgerRow]] = defaultdict(list)
    for row in data.rows:
        by_day[row.local_date].append(row)
    for day in days(data.date_from, data.date_to):
        ledger.add_day(day, by_day.get(day.isoformat(), []), data)
    ledger.close()
    book.close()
    return book.content()


def _slot_name(words: _Words, slot: str) -> str:
    return words(f"checkin.slot.{slot}", fallback=slot)


def _class_name(row: LedgerRow, many_schools: bool) -> str:
    return f"{row.school_name} {row.class_name}" if many_schools else row.class_name


def _day_cells(
    row: LedgerRow,
    data: LedgerData,
    words: _Words,
    tz: ZoneInfo,
    thresholds: Thresholds,
    separator: str,
    many_schools: bool,
) -> tuple[list[object], dict[int, str]]:
    """One row's values and the alert level of each abnormal one, by column index."""
    levels: dict[int, str] = {}
    cells: list[object] = [
        row.number,
        row.name,
        _class_name(row, many_schools),
        words(f"isolation.kind.{row.isolation_kind}", fallback=row.isolation_kind),
        _slot_name(words, row.slot),
    ]
    if row.status == "answered" and row.answered_at is not None:
        cells.append(_hh_mm(row.answered_at, tz))
    else:
        if row.status == "missed":
            levels[5] = "warning"
        cells.append(words(f"staffviews.status.{row.status}"))

    if row.temperature_c is not None:
        level = temperature_level(row.temperature_c, thresholds)
        if level:
            levels[6] = level
        cells.append(round(row.temperature_c, 1))
    elif row.temperature_status == "not_measured":
        cells.append(words("staffviews.cell.not_measured"))
    else:
        cells.append(None)

    if row.symptoms:
        levels[7] = "warning"
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
            levels[8] = "info"
        cells.append(row.mood)
    elif row.with_screen and row.screen is not None:
        level = screen_level(row.screen, thresholds)
        if level:
            levels[8] = level
        cells.append(words("staffviews.cell.screen_done"))
    else:
        cells.append(None)

    cells.append(words("staffviews.cell.yes") if row.has_note else None)

    alerts = data.alerts.get(row.checkin_id, [])
    if alerts:
        levels[10] = max(alerts, key=lambda a: LEVEL_ORDER.get(a.level, 0)).level
        cells.append(
            separator.join(words(f"alerts.kind.{a.kind}", fallback=a.kind) for a in alerts)
        )
    else:
        cells.append(None)

    contacts = data.contacts.get(row.checkin_id)
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

    if data.counselor:
        if row.screen is not None:
            anxiety, depression = row.screen[0] + row.screen[1], row.screen[2] + row.screen[3]
            level = screen_level(row.screen, thresholds)
            if level:
                levels[12] = level
            cells.append(
                words("staffviews.cell.screen_score").format(
                    total=anxiety + depression, anxiety=anxiety, depression=depression
                )
            )
        else:
            cells.append(None)
        cells.append(row.note or None)
    return cells, levels


def _hh_mm(at: int, tz: ZoneInfo) -> str:
    local = from_epoch(at).astimezone(tz)
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
    lines = [[day, words("staffviews.sum.all"), *_counts(rows, data, thresholds)]]
    if len(by_class) > 1:
        for name in sorted(by_class):
            lines.append([day, name, *_counts(by_class[name], data, thresholds)])
    return lines


def _counts(rows: Sequence[LedgerRow], data: LedgerData, thresholds: Thresholds) -> list[int]:
    temperatures = [r.temperature_c for r in rows if r.temperature_c is not None]
    return [
        len({r.student_id for r in rows}),
        sum(r.status == "answered" for r in rows),
        sum(r.status == "missed" for r in rows),
        sum(r.status == "open" for r in rows),
        sum(thresholds.fever_warning_c <= t < thresholds.fever_urgent_c for t in temperatures),
        sum(t >= thresholds.fever_urgent_c for t in temperatures),
        sum(bool(r.symptoms) for r in rows),
        sum(r.mood is not None and r.mood <= thresholds.low_mood_max for r in rows),
        sum(len(data.alerts.get(r.checkin_id, [])) for r in rows),
        sum(len(data.contacts.get(r.checkin_id, [])) for r in rows),
    ]


def abnormal_count(rows: Sequence[LedgerRow], data: LedgerData, thresholds: Thresholds) -> int:
    """Check-ins with a fever, symptoms, a miss or an alert: the caption's one number."""
    return sum(
        r.status == "missed"
        or bool(r.symptoms)
        or (r.temperature_c is not None and r.temperature_c >= thresholds.fever_warning_c)
        or r.checkin_id in data.alerts
        for r in rows
    )
