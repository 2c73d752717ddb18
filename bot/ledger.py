"""The ledger (台账): one XLSX with a summary sheet and a sheet per day, one row per student and
check-in slot, abnormal cells filled, headers in the reader's language, scoped to their rights."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import xlsx
from bot.access import Viewer, may_see_screen_scores
from bot.clock import epoch, from_epoch
from bot.config import Config
from bot.i18n import Catalog
from bot.storage import audit
from bot.storage import ledger as store
from bot.storage.db import Database
from bot.storage.ledger import CheckinAlert, Contact, LedgerRow, Scope

# A Telegram request builds the workbook in memory; a month is the longest range it may ask.
MAX_DAYS_BOT = 31
MAX_DAYS_CLI = 366
# And at most this many check-in rows: a fortnight of a 2,000-student school (56,000 rows)
# takes about 2.6 s and 110 MB to build (bench/ledger.py); a county's month would take minutes
# and gigabytes inside the bot, so it is for `classcare ledger export`.
MAX_ROWS_BOT = 60_000

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


class RangeError(ValueError):
    """A /ledger date range that cannot be used; `key` names the catalog text."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class TooLarge(Exception):
    """A ledger with more rows than the caller allows; nothing was read or audited."""

    def __init__(self, rows: int, limit: int, days: int) -> None:
        super().__init__(f"{rows} rows over {days} days, limit {limit}")
        self.rows = rows
        self.limit = limit
        self.days = days

    @property
    def days_that_fit(self) -> int:
        """About how many days of the same scope fit under the limit (at least one)."""
        return max(1, self.limit * self.days // self.rows)


@dataclass(frozen=True)
class Thresholds:
    fever_warning_c: float = 37.3
    fever_urgent_c: float = 38.0
    low_mood_max: int = 2
    screen_subscale_warning: int = 3
    screen_total_urgent: int = 9

    @classmethod
    def from_config(cls, config: Config) -> Thresholds:
        a = config.alerts
        return cls(
            a.fever_warning_c,
            a.fever_urgent_c,
            a.low_mood_max,
            a.screen_subscale_warning,
            a.screen_total_urgent,
        )

    def screen_level(self, screen: tuple[int, int, int, int]) -> str | None:
        anxiety, depression = screen[0] + screen[1], screen[2] + screen[3]
        if anxiety + depression >= self.screen_total_urgent:
            return "urgent"
        if max(anxiety, depression) >= self.screen_subscale_warning:
            return "warning"
        return None


@dataclass(frozen=True)
class LedgerData:
    """Everything a ledger shows, read for one scope and date range."""

    date_from: date
    date_to: date
    rows: Sequence[LedgerRow]
    alerts: dict[int, list[CheckinAlert]] = field(default_factory=dict)
    contacts: dict[int, list[Contact]] = field(default_factory=dict)
    counselor: bool = False


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    students: int
    rows: int
    abnormal: int


# --- pure helpers ---------------------------------------------------------------------------


def scope_for(viewer: Viewer) -> Scope | None:
    """The students whose ledger the viewer may export, or None for someone with no ledger."""
    role = viewer.role
    if role == "teacher":
        return Scope(class_ids=viewer.class_ids)
    if role == "counselor":
        return Scope(school_ids=viewer.school_ids)
    if role == "admin" and viewer.is_bureau_admin:
        return Scope()
    if role in ("doctor", "admin"):
        school = viewer.person.school_id
        return Scope(school_ids=frozenset() if school is None else frozenset({school}))
    return None


def scope_text(scope: Scope, date_from: date, date_to: date) -> str:
    """How the audit trail names an export's scope, e.g. 'class:3 2026-11-30..2026-12-13'."""
    parts = []
    if scope.school_ids is not None:
        parts.append("school:" + ",".join(str(i) for i in sorted(scope.school_ids)))
    if scope.class_ids is not None:
        parts.append("class:" + ",".join(str(i) for i in sorted(scope.class_ids)))
    return f"{' '.join(parts) or 'all'} {date_from.isoformat()}..{date_to.isoformat()}"


_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
    re.compile(r"^(?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
)


def parse_day(text: str, today: date) -> date:
    """A date as a teacher types it: 2026-11-30, 2026/11/30, 20261130, or 11-30 (the latest
    such day up to today)."""
    for pattern in _DATE_FORMATS:
        match = pattern.match(text.strip())
        if match is None:
            continue
        parts = match.groupdict()
        month, day = int(parts["m"]), int(parts["d"])
        try:
            if parts.get("y"):
                return date(int(parts["y"]), month, day)
            found = date(today.year, month, day)
            return found if found <= today else date(today.year - 1, month, day)
        except ValueError:
            break
    raise RangeError("staffviews.ledger.bad_date")


def parse_range(
    args: Sequence[str], today: date, max_days: int = MAX_DAYS_BOT
) -> tuple[date, date]:
    """/ledger (today), /ledger <day>, or /ledger <from> <to>."""
    if not args:
        return today, today
    if len(args) > 2:
        raise RangeError("staffviews.ledger.usage")
    first = parse_day(args[0], today)
    last = parse_day(args[1], today) if len(args) == 2 else first
    if last < first:
        raise RangeError("staffviews.ledger.reversed")
    if (last - first).days + 1 > max_days:
        raise RangeError("staffviews.ledger.too_long")
    return first, last


def days(date_from: date, date_to: date) -> list[date]:
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def day_bounds(date_from: date, date_to: date, tz: ZoneInfo) -> tuple[int, int]:
    """Epoch seconds from the first day's local midnight to the midnight after the last day."""
    start = datetime.combine(date_from, time(0), tz)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tz)
    return epoch(start), epoch(end)


def assign_contacts(
    rows: Iterable[LedgerRow], contacts: Iterable[Contact], tz: ZoneInfo
) -> dict[int, list[Contact]]:
    """Put each contact on the row of the latest slot that had started when it happened that
    day (the day's first slot for contacts before it); contacts on days without a row drop."""
    by_day: dict[tuple[int, str], list[LedgerRow]] = defaultdict(list)
    for row in rows:
        by_day[(row.student_id, row.local_date)].append(row)
    assigned: dict[int, list[Contact]] = defaultdict(list)
    for contact in contacts:
        local_date = from_epoch(contact.at).astimezone(tz).date().isoformat()
        slots = by_day.get((contact.student_id, local_date))
        if not slots:
            continue
        target = slots[0]
        for row in sorted(slots, key=lambda r: r.scheduled_at):
            if row.scheduled_at <= contact.at:
                target = row
        assigned[target.checkin_id].append(contact)
    return dict(assigned)


def group_alerts(alerts: Iterable[CheckinAlert]) -> dict[int, list[CheckinAlert]]:
    grouped: dict[int, list[CheckinAlert]] = defaultdict(list)
    for alert in alerts:
        if all(a.kind != alert.kind for a in grouped[alert.checkin_id]):
            grouped[alert.checkin_id].append(alert)
    return dict(grouped)


# --- the workbook ---------------------------------------------------------------------------


class _Words:
    """The catalog texts one workbook needs, looked up once rather than per cell."""

    def __init__(self, catalog: Catalog, language: str) -> None:
        self.catalog = catalog
        self.language = language
        self._cache: dict[str, str] = {}

    def __call__(self, key: str, fallback: str | None = None) -> str:
        text = self._cache.get(key)
        if text is None:
            if fallback is not None and key not in self.catalog.keys(self.language):
                text = fallback
            else:
                text = self.catalog.t(self.language, key)
            self._cache[key] = text
        return text


def build_workbook(
    data: LedgerData, *, catalog: Catalog, language: str, tz: ZoneInfo, thresholds: Thresholds
) -> bytes:
    """The ledger as XLSX bytes: a summary sheet first, then one sheet per day in the range."""
    words = _Words(catalog, language)
    book = xlsx.Book(FILLS, header_fill=FILL_HEADER)
    by_day: dict[str, list[LedgerRow]] = defaultdict(list)
    for row in data.rows:
        by_day[row.local_date].append(row)
    many_schools = len({row.school_name for row in data.rows}) > 1

    limits = {
        "warning": f"{thresholds.fever_warning_c:.1f}",
        "urgent": f"{thresholds.fever_urgent_c:.1f}",
    }
    summary = book.sheet(
        words("staffviews.sheet.summary"),
        [WIDTHS.get(c, 10) for c in SUMMARY_COLUMNS],
        [words(f"staffviews.sum.{c}").format(**limits) for c in SUMMARY_COLUMNS],
    )
    for day in days(data.date_from, data.date_to):
        day_rows = by_day.get(day.isoformat(), [])
        for values in _summary_rows(
            day.isoformat(), day_rows, data, words, thresholds, many_schools
        ):
            summary.append(values)

    columns = DAY_COLUMNS + (COUNSELOR_COLUMNS if data.counselor else ())
    widths = [WIDTHS.get(c, 10) for c in columns]
    header = [words(f"staffviews.col.{c}") for c in columns]
    separator = words("checkin.list_separator")
    for day in days(data.date_from, data.date_to):
        sheet = book.sheet(day.isoformat(), widths, header)
        for row in by_day.get(day.isoformat(), []):
            sheet.append(*_day_cells(row, data, words, tz, thresholds, separator, many_schools))
    return book.close()


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
        level = _temperature_level(row.temperature_c, thresholds)
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
        level = thresholds.screen_level(row.screen)
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
            level = thresholds.screen_level(row.screen)
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


def _temperature_level(celsius: float, thresholds: Thresholds) -> str | None:
    if celsius >= thresholds.fever_urgent_c:
        return "urgent"
    if celsius >= thresholds.fever_warning_c:
        return "warning"
    return None


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


def abnormal_count(data: LedgerData, thresholds: Thresholds) -> int:
    """Check-ins with a fever, symptoms, a miss or an alert: the caption's one number."""
    return sum(
        r.status == "missed"
        or bool(r.symptoms)
        or (r.temperature_c is not None and r.temperature_c >= thresholds.fever_warning_c)
        or r.checkin_id in data.alerts
        for r in data.rows
    )


# --- reading and exporting ------------------------------------------------------------------


async def read_ledger(
    db: Database,
    *,
    scope: Scope,
    date_from: date,
    date_to: date,
    tz: ZoneInfo,
    counselor: bool,
) -> LedgerData:
    rows = await store.checkin_rows(
        db,
        date_from=date_from.isoformat(),
        date_to=date_to.isoformat(),
        scope=scope,
        with_note_text=counselor,
    )
    start_at, end_at = day_bounds(date_from, date_to, tz)
    # Alerts from a day's last check-in are evaluated after it closes, possibly the next day.
    alerts = await store.checkin_alerts(db, start_at=start_at, end_at=end_at + 86400, scope=scope)
    ids = {r.checkin_id for r in rows}
    contacts = await store.contacts(db, start_at=start_at, end_at=end_at, scope=scope)
    return LedgerData(
        date_from,
        date_to,
        rows,
        alerts=group_alerts(a for a in alerts if a.checkin_id in ids),
        contacts=assign_contacts(rows, contacts, tz),
        counselor=counselor,
    )


async def export_ledger(
    db: Database,
    catalog: Catalog,
    config: Config,
    *,
    scope: Scope,
    date_from: date,
    date_to: date,
    language: str,
    counselor: bool,
    actor_id: int | None,
    now: int,
    max_rows: int | None = None,
) -> Export:
    """Read, build (off the event loop) and audit one ledger export; TooLarge past max_rows."""
    tz = config.general.tz
    thresholds = Thresholds.from_config(config)
    if max_rows is not None:
        count = await store.count_checkin_rows(
            db, date_from=date_from.isoformat(), date_to=date_to.isoformat(), scope=scope
        )
        if count > max_rows:
            raise TooLarge(count, max_rows, (date_to - date_from).days + 1)
    data = await read_ledger(
        db, scope=scope, date_from=date_from, date_to=date_to, tz=tz, counselor=counselor
    )
    content = await asyncio.to_thread(
        build_workbook, data, catalog=catalog, language=language, tz=tz, thresholds=thresholds
    )
    students = sorted({r.student_id for r in data.rows})
    where = scope_text(scope, date_from, date_to)
    async with db.transaction() as tx:
        await audit.record_view(
            tx,
            actor_id=actor_id,
            action="ledger_export",
            now=now,
            student_ids=students,
            scope=where,
        )
    stem = catalog.t(language, "staffviews.ledger.file")
    span = date_from.isoformat() if date_from == date_to else f"{date_from}_{date_to}"
    return Export(
        content,
        f"{stem}_{span}.xlsx",
        len(students),
        len(data.rows),
        abnormal_count(data, thresholds),
    )


def viewer_sees_scores(viewer: Viewer) -> bool:
    """Screen scores and note text appear only in a counselor's ledger."""
    return may_see_screen_scores(viewer)
