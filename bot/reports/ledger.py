"""The ledger (台账) for a reader: which students and days they may ask for, reading them, and
exporting the workbook (bot/reports/ledgerbook.py lays it out) with an audit record."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.alerts.rules import Thresholds
from bot.core import xlsx
from bot.core.access import Viewer
from bot.core.clock import epoch, from_epoch
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.reports.ledgerbook import (
    FILL_HEADER,
    FILLS,
    LedgerBook,
    LedgerData,
    abnormal_count,
    build_workbook,
    days,
)
from bot.reports.store import ledger as store
from bot.reports.store.ledger import CheckinAlert, Contact
from bot.returns import report
from bot.returns.report import Table
from bot.storage import audit
from bot.storage.db import Database
from bot.storage.records import Scope

# A Telegram request builds the workbook in memory; a month is the longest range it may ask.
MAX_DAYS_BOT = 31
MAX_DAYS_CLI = 366
# And at most this many check-in rows: a fortnight of a 2,000-student school (56,000 rows)
# takes about 2.6 s and 110 MB to build (bench/ledger.py); a county's month would take minutes
# and gigabytes inside the bot, so it is for `classcare ledger export`.
MAX_ROWS_BOT = 60_000


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
class Request:
    """One export: whose students, which days, in whose language, for whom, and when."""

    scope: Scope
    date_from: date
    date_to: date
    language: str
    counselor: bool
    # The class teacher's and the counselor's ledger show what students wrote to them.
    note_text: bool
    actor_id: int | None
    now: int
    # Whether a sheet of isolated staff is added: for the school doctor and administrators.
    staff: bool = False
    # Isolated staff write their check-in notes to the school doctor, who reads them there.
    staff_notes: bool = False


@dataclass(frozen=True)
class Totals:
    """What an export covered: its caption's and the command line's numbers."""

    students: int
    rows: int
    abnormal: int


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    totals: Totals


# --- pure helpers ---------------------------------------------------------------------------


def scope_for(viewer: Viewer) -> Scope | None:
    """The students whose ledger the viewer may export, or None for someone with no ledger."""
    role = viewer.role
    if role == "teacher":
        return Scope(class_ids=viewer.class_ids)
    if role == "counselor":
        return Scope(school_ids=viewer.school_ids)
    if role == "admin" and viewer.is_liaison:
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


def day_bounds(date_from: date, date_to: date, tz: ZoneInfo) -> tuple[int, int]:
    """Epoch seconds from the first day's local midnight to the midnight after the last day."""
    start = datetime.combine(date_from, time(0), tz)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tz)
    return epoch(start), epoch(end)


def assign_contacts(
    contacts: Iterable[Contact], tz: ZoneInfo, *, counselor: bool
) -> dict[tuple[int, str], list[Contact]]:
    """Contacts by (student, local date). A student's conversations with a counselor appear
    only in a counselor's ledger: the student was promised that only the counselor reads them."""
    assigned: dict[tuple[int, str], list[Contact]] = defaultdict(list)
    for contact in contacts:
        if contact.staff_role == "counselor" and not counselor:
            continue
        local_date = from_epoch(contact.at).astimezone(tz).date().isoformat()
        assigned[(contact.student_id, local_date)].append(contact)
    return dict(assigned)


def group_alerts(alerts: Iterable[CheckinAlert]) -> dict[int, list[CheckinAlert]]:
    grouped: dict[int, list[CheckinAlert]] = defaultdict(list)
    for alert in alerts:
        if all(a.kind != alert.kind for a in grouped[alert.checkin_id]):
            grouped[alert.checkin_id].append(alert)
    return dict(grouped)


# --- the workbook ---------------------------------------------------------------------------


# --- reading and exporting ------------------------------------------------------------------


async def read_ledger(
    db: Database,
    *,
    scope: Scope,
    date_from: date,
    date_to: date,
    tz: ZoneInfo,
    counselor: bool,
    note_text: bool,
) -> LedgerData:
    rows = await store.checkin_rows(
        db,
        date_from=date_from.isoformat(),
        date_to=date_to.isoformat(),
        scope=scope,
        with_note_text=note_text,
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
        contacts=assign_contacts(contacts, tz, counselor=counselor),
        counselor=counselor,
        note_text=note_text,
    )


async def export_ledger(
    db: Database,
    catalog: Catalog,
    config: Config,
    request: Request,
    *,
    max_rows: int | None = None,
) -> Export:
    """Read, build in memory (off the event loop) and audit one ledger export; TooLarge past
    max_rows."""
    scope, date_from, date_to = request.scope, request.date_from, request.date_to
    language, counselor, note_text = request.language, request.counselor, request.note_text
    tz = config.general.tz
    thresholds = Thresholds.from_config(config.alerts)
    if max_rows is not None:
        count, _ = await store.checkin_totals(
            db, date_from=date_from.isoformat(), date_to=date_to.isoformat(), scope=scope
        )
        if count > max_rows:
            raise TooLarge(count, max_rows, (date_to - date_from).days + 1)
    data = await read_ledger(
        db,
        scope=scope,
        date_from=date_from,
        date_to=date_to,
        tz=tz,
        counselor=counselor,
        note_text=note_text,
    )
    staff = await _staff_data(db, request, tz) if request.staff else None
    back = await _returns(db, catalog, config, request) if request.staff else None
    content = await asyncio.to_thread(
        build_workbook,
        data,
        catalog=catalog,
        language=language,
        tz=tz,
        thresholds=thresholds,
        slots=[slot.name for slot in config.checkins.slots],
        staff=staff,
        returns=back,
    )
    students = {r.student_id for r in data.rows}
    staff_rows = staff.rows if staff is not None else ()
    await _audit(
        db,
        request,
        students | {r.student_id for r in staff_rows},
        len(data.rows) + len(staff_rows),
    )
    stem = catalog.t(language, "staffviews.ledger.file")
    span = date_from.isoformat() if date_from == date_to else f"{date_from}_{date_to}"
    totals = Totals(len(students), len(data.rows), abnormal_count(data.rows, data, thresholds))
    return Export(content, f"{stem}_{span}.xlsx", totals)


async def export_ledger_file(
    db: Database, catalog: Catalog, config: Config, request: Request, *, path: Path
) -> Totals:
    """Write the ledger to a file a day at a time, so that a county over months needs the
    memory of one day of it, then audit the export."""
    scope, date_from, date_to = request.scope, request.date_from, request.date_to
    counselor, note_text = request.counselor, request.note_text
    tz = config.general.tz
    places = await store.places(
        db, date_from=date_from.isoformat(), date_to=date_to.isoformat(), scope=scope
    )
    book = xlsx.Book(FILLS, header_fill=FILL_HEADER, path=path)
    ledger = LedgerBook(
        book,
        catalog=catalog,
        language=request.language,
        tz=tz,
        thresholds=Thresholds.from_config(config.alerts),
        counselor=counselor,
        note_text=note_text,
        many_schools=len({school for school, _ in places}) > 1,
        places=places,
        slots=[slot.name for slot in config.checkins.slots],
        date_from=date_from,
        date_to=date_to,
    )
    for day in days(date_from, date_to):
        data = await read_ledger(
            db,
            scope=scope,
            date_from=day,
            date_to=day,
            tz=tz,
            counselor=counselor,
            note_text=note_text,
        )
        await asyncio.to_thread(ledger.add_day, day, data.rows, data)
    if request.staff:
        staff = await _staff_data(db, request, tz)
        if staff.rows:
            await asyncio.to_thread(ledger.add_staff, staff.rows, staff)
        back = await _returns(db, catalog, config, request)
        if back.rows:
            ledger.add_table(back.title, back.widths, back.headers, back.rows)
    ledger.close()
    await asyncio.to_thread(book.close)
    await _audit(db, request, ledger.students, ledger.rows)
    return Totals(len(ledger.students), ledger.rows, ledger.abnormal)


async def _staff_data(db: Database, request: Request, tz: ZoneInfo) -> LedgerData:
    """Isolated staff of the request's scope, for their own sheet; their notes are addressed to
    the school doctor, so anyone else sees only the mark."""
    return await read_ledger(
        db,
        scope=replace(request.scope, staff=True),
        date_from=request.date_from,
        date_to=request.date_to,
        tz=tz,
        counselor=False,
        note_text=request.staff_notes,
    )


async def _returns(db: Database, catalog: Catalog, config: Config, request: Request) -> Table:
    """The returns to school dated in the ledger's span (返校): declarations and clearances."""
    return await report.report_table(
        db,
        catalog,
        config,
        request.scope.school_ids,
        request.language,
        date_from=request.date_from.isoformat(),
        date_to=request.date_to.isoformat(),
    )


async def _audit(db: Database, request: Request, students: set[int], rows: int) -> None:
    async with db.transaction() as tx:
        await audit.record_view(
            tx,
            actor_id=request.actor_id,
            action="ledger_export",
            now=request.now,
            student_ids=sorted(students),
            scope=scope_text(request.scope, request.date_from, request.date_to),
            rows=rows,
        )
