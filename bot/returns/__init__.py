"""Return to school (返校复学): a return is opened for a date and an audience; each returning
person answers a short declaration, checked against their check-ins; the school doctor clears
or holds each one; the cleared are released on the date; the bureau watches school by school."""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.checkins import schedule
from bot.core import xlsx
from bot.core.access import Viewer
from bot.core.clock import epoch
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.delivery.outbox import Lane, enqueue_many, message
from bot.isolation import periods as isolation
from bot.returns import store
from bot.returns.store import Returning
from bot.storage import people
from bot.storage.db import Database

log = logging.getLogger(__name__)

_DATE = re.compile(r"(?:(?P<y>\d{4})[-/.])?(?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
# Who is still to be decided on: the school is not ready while anyone is.
UNDECIDED = ("waiting", "ready", "flagged")
# Names listed per status, and schools in the bureau's view, in one message; the rest are
# counted. A school of 1,200 would otherwise overrun Telegram's 4,096 characters.
MAX_LISTED = 15
MAX_SCHOOLS = 40
# Below Telegram's 4,096 characters, with room for the "more" line.
MAX_TEXT = 3900


@dataclass(frozen=True)
class Opened:
    return_id: int
    people: int
    asked: int


@dataclass(frozen=True)
class Answer:
    """What a tap on the declaration shows: the screen in place, and a toast."""

    screen: Screen
    toast: str | None = None


def _language(svc: Services, language: str | None) -> str:
    return language or svc.config.general.language


def parse_return_date(text: str, today: date) -> date | None:
    """A return date as a teacher types it (2026-12-03, 2026/12/03, 12-03, 12/03, 12.03):
    today or later; a day without a year is the next one to come."""
    found = _DATE.fullmatch(text.strip())
    if found is None:
        return None
    year = int(found["y"]) if found["y"] else today.year
    try:
        day = date(year, int(found["m"]), int(found["d"]))
        if day < today and not found["y"]:
            day = day.replace(year=year + 1)
    except ValueError:
        return None
    return day if day >= today else None


def questions(svc: Services, language: str) -> tuple[str, ...]:
    cfg = svc.config.returns
    return cfg.questions_en if language == "en" else cfg.questions_zh_cn


# --- opening ---------------------------------------------------------------------------------


async def open_return(
    svc: Services,
    *,
    return_date: date,
    school_ids: list[int],
    class_id: int | None = None,
    ending: bool = False,
    opened_by: int | None,
    now: int,
) -> Opened:
    """Open the return and send each returning person with an account the declaration."""
    audience = "ending" if ending else (f"class:{class_id}" if class_id else "school")
    async with svc.db.transaction() as tx:
        return_id, count = await store.open_return(
            tx,
            return_date=return_date.isoformat(),
            audience=audience,
            school_ids=school_ids,
            class_id=class_id,
            ending=ending,
            opened_by=opened_by,
            now=now,
        )
        found = await store.returning(tx, return_id=return_id)
        items = []
        for r in found:
            if r.chat_id is None:
                continue
            language = _language(svc, r.language)
            screen = declaration(svc, language, r)
            items.append(
                message(
                    f"rt:{return_id}:{r.person_id}:ask",
                    Lane.CHECKIN,
                    r.chat_id,
                    screen.text,
                    keyboard=screen.keyboard,
                    person_id=r.person_id,
                )
            )
        asked = await enqueue_many(tx, items, now=now)
        for r in found:
            await store.audit(
                tx,
                at=now,
                actor_id=opened_by,
                action="return.open",
                person_id=r.person_id,
                scope=f"return:{return_id} {return_date.isoformat()} {audience}",
            )
    svc.wake_outbox()
    log.info("return %d opened: %d people, %d asked", return_id, count, asked)
    return Opened(return_id, count, asked)


# --- the declaration ------------------------------------------------------------------------


def declaration(svc: Services, language: str, r: Returning) -> Screen:
    """The declaration at its current step: the next question, or the summary to submit."""
    t = svc.catalog.t
    asked = questions(svc, language)
    day = svc.catalog.day(language, date.fromisoformat(r.return_date))
    head = t(language, "returns.declare.title", date=day)
    if r.status != "waiting":
        return Screen(f"{head}\n\n{t(language, 'returns.declare.done')}")
    index = len(r.answers)
    if index < len(asked):
        text = t(
            language,
            "returns.declare.question",
            number=index + 1,
            total=len(asked),
            question=asked[index],
        )
        yes = Button(t(language, "returns.declare.yes"), callback("rt", r.return_id, index, "y"))
        no = Button(t(language, "returns.declare.no"), callback("rt", r.return_id, index, "n"))
        return Screen(f"{head}\n\n{text}", Keyboard.of([yes, no]))
    lines = [f"{'✅' if a == 'y' else '❗'} {q}" for q, a in zip(asked, r.answers, strict=False)]
    text = "\n".join([head, "", *lines, "", t(language, "returns.declare.photo")])
    submit = Button(t(language, "returns.declare.submit"), callback("rt", r.return_id, "ok"))
    return Screen(text, Keyboard.of([submit]))


async def _mine(svc: Services, person_id: int, return_id: int) -> Returning | None:
    found = await store.returning(svc.db, return_id=return_id, person_id=person_id)
    return found[0] if found else None


async def answer(
    svc: Services, person_id: int, language: str, return_id: int, step: str, value: str | None
) -> Answer | None:
    """Store one answer (step = the question's index) or submit (step 'ok'); None if the
    button is not the presser's."""
    mine = await _mine(svc, person_id, return_id)
    if mine is None:
        return None
    t = svc.catalog.t
    if mine.status != "waiting":
        return Answer(Screen(declaration(svc, language, mine).text), t(language, "returns.stale"))
    now = svc.now()
    total = len(questions(svc, language))
    if step == "ok":
        if len(mine.answers) < total:
            return Answer(declaration(svc, language, mine), t(language, "returns.stale"))
        flag = await _flag(svc, mine, now)
        async with svc.db.transaction() as tx:
            await store.declare(tx, return_id, person_id, flag=flag, now=now)
            await store.audit(
                tx,
                at=now,
                actor_id=person_id,
                action="return.declare",
                person_id=person_id,
                scope=f"return:{return_id} {'flagged' if flag else 'ready'}",
            )
        fresh = await _mine(svc, person_id, return_id)
        assert fresh is not None
        return Answer(declaration(svc, language, fresh), t(language, "returns.thanks"))
    if not step.isdigit() or int(step) != len(mine.answers) or value not in ("y", "n"):
        # A tap on an earlier question's button, or a forged one: show where it stands.
        return Answer(declaration(svc, language, mine), t(language, "returns.stale"))
    async with svc.db.transaction() as tx:
        await store.set_answers(tx, return_id, person_id, mine.answers + value)
    fresh = await _mine(svc, person_id, return_id)
    assert fresh is not None
    return Answer(declaration(svc, language, fresh))


async def _flag(svc: Services, r: Returning, now: int) -> str | None:
    """Why the person needs the doctor's look: a fever or symptom in the window's check-ins
    (the history outweighs the declaration), else a question answered "no"."""
    since = now - svc.config.returns.window_days * 86400
    if await store.fevers_since(svc.db, r.person_id, since, svc.config.alerts.fever_warning_c):
        return "history"
    if "n" in r.answers:
        return "declared"
    return None


async def take_photo(svc: Services, person_id: int, file_id: str) -> bool:
    """Keep a test result photo with the person's declaration when it waits for one (every
    question answered, not yet sent): a photo at any other time is meant for someone else."""
    total = len(svc.config.returns.questions_zh_cn)
    found = [
        r
        for r in await store.returning(svc.db, person_id=person_id)
        if r.status == "waiting" and len(r.answers) == total
    ]
    if not found:
        return False
    async with svc.db.transaction() as tx:
        await store.set_photo(tx, found[-1].return_id, person_id, file_id)
    return True


# --- the doctor's list and decisions ---------------------------------------------------------


def _doctor_scope(viewer: Viewer) -> frozenset[int] | None:
    """The schools whose returning people the viewer decides on (doctors) or watches."""
    if viewer.role in ("doctor", "admin") and viewer.person.school_id is not None:
        return frozenset({viewer.person.school_id})
    if viewer.is_liaison:
        return viewer.school_ids
    if viewer.is_bureau_admin:
        return None
    return frozenset()


async def readiness(svc: Services, viewer: Viewer, language: str) -> Screen:
    """A school's readiness list (ready / flagged / not answered / cleared / held) with the
    doctor's buttons, or the bureau's and a liaison's table school by school."""
    scope = _doctor_scope(viewer)
    found = await store.returning(svc.db, school_ids=scope)
    now = svc.now()
    async with svc.db.transaction() as tx:
        await store.audit(
            tx,
            at=now,
            actor_id=viewer.person.id,
            action="return.readiness",
            person_id=viewer.person.id,
            scope="all" if scope is None else "school:" + ",".join(map(str, sorted(scope))),
        )
    if not found:
        return Screen(svc.catalog.t(language, "returns.none"))
    if viewer.person.school_id is None:
        return Screen(_by_school(svc, language, found))
    return _school_list(svc, viewer, language, found)


def _by_school(svc: Services, language: str, found: list[Returning]) -> str:
    t = svc.catalog.t
    by: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in found:
        by[(r.return_date, r.school_name)][r.status] += 1
    lines = [t(language, "returns.bureau.title")]
    # Schools with someone undecided first: those are the ones to chase.
    order = sorted(by.items(), key=lambda i: (-sum(i[1][s] for s in UNDECIDED), i[0]))
    for (day, school), c in order[:MAX_SCHOOLS]:
        lines.append(
            t(
                language,
                "returns.bureau.line",
                date=svc.catalog.day(language, date.fromisoformat(day)),
                school=school,
                total=sum(c.values()),
                ready=c["ready"] + c["cleared"],
                cleared=c["cleared"],
                flagged=c["flagged"],
                held=c["held"],
                waiting=c["waiting"],
            )
        )
    if len(order) > MAX_SCHOOLS:
        lines.append(t(language, "returns.more_schools", count=len(order) - MAX_SCHOOLS))
    return _fit("\n".join(lines))


def _fit(text: str) -> str:
    """The text cut to fit one message, at a line break."""
    if len(text) <= MAX_TEXT:
        return text
    return text[: text.rfind("\n", 0, MAX_TEXT)] + "\n……"


def _school_list(svc: Services, viewer: Viewer, language: str, found: list[Returning]) -> Screen:
    t = svc.catalog.t
    lines: list[str] = []
    buttons: list[list[Button]] = []
    by_return: dict[int, list[Returning]] = defaultdict(list)
    for r in found:
        by_return[r.return_id].append(r)
    doctor = viewer.role == "doctor"
    for return_id, group in by_return.items():
        day = svc.catalog.day(language, date.fromisoformat(group[0].return_date))
        counts = Counter(r.status for r in group)
        lines.append(
            t(
                language,
                "returns.list.title",
                date=day,
                total=len(group),
                ready=counts["ready"],
                flagged=counts["flagged"],
                waiting=counts["waiting"],
                cleared=counts["cleared"],
                held=counts["held"],
            )
        )
        for status in ("flagged", "ready", "waiting", "held", "cleared"):
            members = [r for r in group if r.status == status]
            if not members:
                continue
            lines.append(t(language, f"returns.status.{status}", count=len(members)))
            for r in members[:MAX_LISTED]:
                why = ""
                if r.status == "flagged" and r.flag:
                    why = " · " + t(language, f"returns.flag.{r.flag}")
                if r.status == "held" and r.hold_reason:
                    why = " · " + r.hold_reason
                lines.append(f"  · {r.name}（{r.number}）{r.class_name}{why}")
            if len(members) > MAX_LISTED:
                lines.append(t(language, "returns.more", count=len(members) - MAX_LISTED))
        lines.append("")
        if not doctor:
            continue
        for r in [m for m in group if m.status == "flagged"][:MAX_LISTED]:
            buttons.append(
                [
                    Button(
                        t(language, "returns.button.clear", name=r.name),
                        callback("rd", return_id, r.person_id, "c"),
                    ),
                    Button(
                        t(language, "returns.button.hold", name=r.name),
                        callback("rd", return_id, r.person_id, "h"),
                    ),
                ]
            )
        if counts["ready"]:
            buttons.append(
                [
                    Button(
                        t(language, "returns.button.clear_all", count=counts["ready"]),
                        callback("rd", return_id, "all"),
                    )
                ]
            )
    return Screen(_fit("\n".join(lines).strip()), Keyboard.of(*buttons))


async def decide(
    svc: Services, viewer: Viewer, language: str, return_id: int, target: str, verb: str
) -> str | None:
    """The doctor clears one person, holds one, or clears everyone ready; the toast, or None
    when the button is not the viewer's to press."""
    if viewer.role != "doctor" or viewer.person.school_id is None:
        return None
    group = [
        r
        for r in await store.returning(svc.db, return_id=return_id)
        if r.school_id == viewer.person.school_id
    ]
    if not group:
        return None
    if target == "all":
        chosen = [r for r in group if r.status == "ready"]
        clear = True
    else:
        chosen = [r for r in group if str(r.person_id) == target]
        clear = verb == "c"
        if not chosen or verb not in ("c", "h"):
            return None
    t = svc.catalog.t
    now = svc.now()
    async with svc.db.transaction() as tx:
        for r in chosen:
            reason = None
            if not clear:
                reason = t(language, f"returns.flag.{r.flag}") if r.flag else None
                reason = reason or t(language, "returns.hold_default")
            changed = await store.decide(
                tx,
                return_id,
                [r.person_id],
                clear=clear,
                by=viewer.person.id,
                reason=reason,
                now=now,
            )
            if changed:
                await store.audit(
                    tx,
                    at=now,
                    actor_id=viewer.person.id,
                    action="return.clear" if clear else "return.hold",
                    person_id=r.person_id,
                    scope=f"return:{return_id}",
                )
    key = "returns.toast.cleared" if clear else "returns.toast.held"
    return t(language, key, count=len(chosen))


# --- the day itself and the day before ------------------------------------------------------


async def release_due(svc: Services, now: int) -> int:
    """On the return date, end the isolation of everyone cleared, with their school's return
    message; the held and the undecided stay isolated. Returns how many were released."""
    today = schedule.local_date(now, svc.tz)
    released = 0
    for return_id in await store.due_returns(svc.db, today):
        for r in await store.returning(svc.db, return_id=return_id):
            if r.status != "cleared":
                continue
            person = await people.person_by_id(svc.db, r.person_id)
            if person is None:
                continue
            await isolation.end_isolation(svc, person, actor_id=None, now=now)
            async with svc.db.transaction() as tx:
                await store.mark_released(tx, return_id, r.person_id, now)
            released += 1
        async with svc.db.transaction() as tx:
            await store.mark_released(tx, return_id, None, now)
    if released:
        log.info("%d people released on their return date", released)
    return released


async def warn_due(svc: Services, now: int) -> int:
    """At [returns] warn_time the day before a return, tell the bureau at large which schools
    are not ready (anyone undecided), and each liaison about their own schools."""
    local = datetime.fromtimestamp(now, svc.tz)
    warn_at = epoch(datetime.combine(local.date(), svc.config.returns.warn_time, svc.tz))
    if now < warn_at:
        return 0
    tomorrow = (local.date() + timedelta(days=1)).isoformat()
    due = await store.to_warn(svc.db, tomorrow)
    if not due:
        return 0
    # One message per officer for all of tomorrow's returns: schools are what they act on.
    not_ready: dict[int | None, Counter[str]] = defaultdict(Counter)
    names: dict[int | None, str] = {}
    for return_id in due:
        for r in await store.returning(svc.db, return_id=return_id):
            names[r.school_id] = r.school_name
            if r.status in UNDECIDED:
                not_ready[r.school_id][r.status] += 1
    items = []
    t = svc.catalog.t
    for officer in await people.bureau_officers(svc.db):
        mine = await people.liaison_school_ids(svc.db, officer.id)
        schools = [s for s in not_ready if not mine or s in mine]
        if officer.chat_id is None or not schools:
            continue
        language = _language(svc, officer.language)
        lines = [t(language, "returns.warn.title", date=tomorrow, count=len(schools))]
        for s in sorted(schools, key=lambda s: names[s]):
            c = not_ready[s]
            lines.append(
                t(
                    language,
                    "returns.warn.line",
                    school=names[s],
                    waiting=c["waiting"],
                    undecided=c["ready"] + c["flagged"],
                )
            )
        items.append(
            message(
                f"rt:{tomorrow}:warn:{officer.id}",
                Lane.ALERT,
                officer.chat_id,
                "\n".join(lines),
                person_id=officer.id,
            )
        )
    async with svc.db.transaction() as tx:
        queued = await enqueue_many(tx, items, now=now)
        for return_id in due:
            await store.mark_warned(tx, return_id, now)
    if queued:
        svc.wake_outbox()
    return queued


# --- the readiness report (XLSX) -------------------------------------------------------------

REPORT_COLUMNS = (
    "date",
    "school",
    "class",
    "number",
    "name",
    "role",
    "status",
    "answers",
    "photo",
    "flag",
    "declared_at",
    "decided_by",
    "decided_at",
    "hold_reason",
    "released_at",
)
REPORT_WIDTHS = {"school": 14, "class": 12, "answers": 30, "flag": 26, "hold_reason": 20}
# Flagged and held people stand out as abnormal cells do in the ledger.
REPORT_FILLS = {"warning": "FFEB9C", "urgent": "FFC7CE"}


@dataclass(frozen=True)
class Table:
    """The readiness report as rows of cells, for its own workbook or a ledger sheet."""

    title: str
    headers: list[str]
    widths: list[float]
    rows: list[tuple[list[object], dict[int, str]]]
    people: frozenset[int]


async def report_table(
    db: Database,
    catalog: Catalog,
    config: Config,
    school_ids: frozenset[int] | None,
    language: str,
    *,
    date_from: str = "",
    date_to: str = "9999",
) -> Table:
    """Everyone in a return of the schools (every school for None), with the return date in
    date_from..date_to: declaration, clearance, who gave it and when."""
    found = await store.report_rows(db, school_ids, date_from, date_to)
    t = catalog.t
    returns = config.returns
    asked = returns.questions_en if language == "en" else returns.questions_zh_cn
    tz = config.general.tz
    rows: list[tuple[list[object], dict[int, str]]] = []
    for r in found:
        fills = {}
        if r.status in ("flagged", "held"):
            level = "warning" if r.status == "flagged" else "urgent"
            fills[REPORT_COLUMNS.index("status")] = level
        no = [q for q, a in zip(asked, r.answers, strict=False) if a == "n"]
        answers = None
        if r.declared_at:
            answers = t(language, "returns.report.all_well") if not no else "；".join(no)
        role = "student" if r.role == "student" else "staff"
        cells: list[object] = [
            r.return_date,
            r.school_name,
            r.class_name,
            r.number,
            r.name,
            t(language, f"returns.report.role.{role}"),
            t(language, f"returns.report.status.{r.status}"),
            answers,
            t(language, "returns.report.yes") if r.has_photo else None,
            t(language, f"returns.flag.{r.flag}") if r.flag else None,
            _stamp(tz, r.declared_at),
            r.decided_by,
            _stamp(tz, r.decided_at),
            r.hold_reason,
            _stamp(tz, r.released_at),
        ]
        rows.append((cells, fills))
    return Table(
        t(language, "returns.report.sheet"),
        [t(language, f"returns.report.col.{c}") for c in REPORT_COLUMNS],
        [REPORT_WIDTHS.get(c, 11) for c in REPORT_COLUMNS],
        rows,
        frozenset(r.person_id for r in found),
    )


async def readiness_report(
    svc: Services, viewer: Viewer | None, language: str
) -> tuple[bytes, int]:
    """The readiness report of the viewer's schools (every school for the command line) as
    XLSX bytes, audited as an export; returns (content, rows)."""
    scope = _doctor_scope(viewer) if viewer is not None else None
    table = await report_table(svc.db, svc.catalog, svc.config, scope, language)
    book = xlsx.Book(REPORT_FILLS)
    sheet = book.sheet(table.title, table.widths, table.headers)
    for cells, fills in table.rows:
        sheet.append(cells, fills)
    book.close()
    now = svc.now()
    async with svc.db.transaction() as tx:
        await store.audit(
            tx,
            at=now,
            actor_id=viewer.person.id if viewer is not None else None,
            action="return.export",
            person_id=viewer.person.id if viewer is not None else None,
            scope=("all" if scope is None else "school:" + ",".join(map(str, sorted(scope))))
            + f" rows:{len(table.rows)}",
        )
    return book.content(), len(table.rows)


def _stamp(tz: ZoneInfo, at: int | None) -> str | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %H:%M")
