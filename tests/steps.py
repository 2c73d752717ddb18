"""Steps many end-to-end tests take: seed and link the school, answer a check-in, move the
fake clock, read buttons, rows and workbooks."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from bot.app import connect
from bot.checkins import flow, typed_text
from bot.checkins.flow import Reply
from bot.checkins.rounds import RoundsReport, run_rounds
from bot.checkins.screens import AREA, Verb
from bot.checkins.store import checkins as checkin_store
from bot.core.access import Viewer
from bot.core.clock import FakeClock, epoch
from bot.core.config import Config, Slot
from bot.core.i18n import Catalog
from bot.core.keyboard import callback
from bot.core.services import Services
from bot.core.symptoms import SYMPTOMS
from bot.people.roster import parse_roster
from bot.people.store.roster import apply_roster
from bot.storage import people
from bot.storage.db import Database
from bot.storage.records import Person
from handlers.common import viewer_for
from tests.conftest import SHANGHAI, START
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

# --- the school and its people, check-ins and alerts ---------------------------------------------


async def school(harness: Harness, *numbers: str) -> dict[str, FakeUser]:
    """Seed the school and link the named people (English speakers get English)."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    users = {}
    for number in numbers:
        language = "en" if number in ("T02", "S003") else "zh-hans"
        users[number] = await harness.onboard(
            number, user_id=USER_IDS[number], language_code=language
        )
    return users


async def person(harness: Harness, number: str) -> Any:
    found = await people.person_by_telegram(harness.svc.db, USER_IDS[number])
    assert found is not None
    return found


async def answer_checkin(
    harness: Harness,
    number: str,
    *,
    temperature: float | None = 36.6,
    symptoms: str = "",
    mood: int = 4,
    slot_index: int = 0,
) -> int:
    """Answer the slot's check-in as the student does in Telegram, and wait until it is stored,
    evaluated and what it caused is delivered; returns the check-in's id.

    The clock moves to the slot's time if it is earlier and the due jobs run, so the round
    opens and the prompt arrives as at any other time; the student (onboarded) then types the
    temperature (or taps "no thermometer"), taps the symptoms (comma-separated codes) and the
    mood, skips the note and taps Send. A check-in already answered in that round is edited
    and answered again, as a student who measures again does."""
    svc = harness.svc
    student = await person(harness, number)
    assert student.telegram_user_id is not None, f"{number} has no linked account"
    user = harness.api.user(student.telegram_user_id)
    slot = svc.config.checkins.slots[slot_index]
    local = harness.clock.now().astimezone(svc.tz)
    due = datetime.combine(local.date(), slot.time, tzinfo=svc.tz)
    if local < due:
        harness.clock.set(due)
    await harness.tick()
    await harness.delivered()
    checkin = await checkin_store.current_checkin(svc.db, student.id, svc.now())
    assert checkin is not None and checkin.slot == slot.name, (
        f"{number} has no open {slot.name} check-in at {harness.clock.now().astimezone(svc.tz)}"
    )
    assert not checkin.with_screen, "the wellbeing screen replaces the mood: answer it by hand"
    ci = checkin.id
    if checkin.status == "answered":
        mark = await _tap(user, ci, Verb.EDIT)
    else:
        # The prompt, or the reminder that replaced it, offers "no thermometer".
        mark = 0
        await _step(user, ci, Verb.NO_THERMOMETER, since=mark)
    if temperature is None:
        mark = await _tap(user, ci, Verb.NO_THERMOMETER, since=mark)
    else:
        mark = harness.api.mark()
        await user.send_text(str(temperature))
    ticked = [s for s in symptoms.split(",") if s]
    for code in ticked:
        mark = await _tap(user, ci, Verb.SYMPTOM, SYMPTOMS.index(code), since=mark)
    if ticked:
        mark = await _tap(user, ci, Verb.SYMPTOMS_DONE, since=mark)
    else:
        mark = await _tap(user, ci, Verb.NO_SYMPTOMS, since=mark)
    mark = await _tap(user, ci, Verb.MOOD, mood, since=mark)
    mark = await _tap(user, ci, Verb.KEEP_NOTE, since=mark)
    mark = await _tap(user, ci, Verb.SUBMIT, since=mark)
    # Submitted: the summary keeps only "Edit" (the answer is stored and evaluated by then).
    await _step(user, ci, Verb.EDIT, since=mark, without=Verb.SUBMIT)
    await harness.delivered()
    stored = await checkin_store.checkin_by_id(svc.db, ci)
    assert stored is not None and stored.status == "answered", f"check-in {ci} not answered"
    return ci


async def _step(
    user: FakeUser,
    checkin_id: int,
    verb: Verb,
    *args: int,
    since: int,
    without: Verb | None = None,
) -> dict[str, Any]:
    """The check-in message (sent or edited since the mark) that offers this button."""
    wanted = callback(AREA, checkin_id, verb.value, *args)
    unwanted = callback(AREA, checkin_id, without.value) if without else None

    def found() -> dict[str, Any] | None:
        for message in reversed(user.messages):
            shown = button_data(message)
            if message["seq"] >= since and wanted in shown and unwanted not in shown:
                return message
        return None

    return await user.api.until(
        found, timeout=5.0, explain=lambda: f"no {wanted} button in chat {user.id} since {since}"
    )


async def _tap(user: FakeUser, checkin_id: int, verb: Verb, *args: int, since: int = 0) -> int:
    """Tap a check-in button offered since the mark; returns the mark after the tap."""
    message = await _step(user, checkin_id, verb, *args, since=since)
    mark = user.api.mark()
    await user.answered(
        await user.press(message["message_id"], callback(AREA, checkin_id, verb.value, *args))
    )
    return mark


# Schools with an evening check-in (晚检) run a third round: what the night-time tests answer.
EVENING = Slot("evening", time(21, 0), label_zh_cn="晚检", label_en="Evening check-in")


async def with_evening_round(harness: Harness) -> None:
    """Restart the bot with an evening slot at 21:00 after the default two (slot index 2)."""
    checkins = harness.config.checkins
    harness.config = replace(
        harness.config,
        checkins=replace(checkins, slots=(*checkins.slots, EVENING)),
    )
    await harness.restart()


def card_in(user: FakeUser, *needles: str) -> dict[str, Any]:
    """The latest message in the user's chat with all needles in its text."""
    for message in reversed(user.messages):
        text = message.get("text") or ""
        if all(n in text for n in needles):
            return message
    raise AssertionError(f"no message with {needles} for user {user}")


def button_data(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def alert_row(harness: Harness, kind: str) -> dict[str, Any]:
    row = await harness.svc.db.fetchone(
        "SELECT * FROM alerts WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,)
    )
    assert row is not None, f"no {kind} alert"
    return dict(row)


async def events(harness: Harness, alert_id: int) -> list[str]:
    rows = await harness.svc.db.fetchall(
        "SELECT event FROM alert_events WHERE alert_id = ? ORDER BY id", (alert_id,)
    )
    return [r[0] for r in rows]


# --- the fake clock and the check-in card --------------------------------------------------------


async def at(harness: Harness, hour: int, minute: int = 0) -> None:
    """Move the clock to a time of the seeded Monday and run what is due."""
    harness.clock.set(datetime(2026, 11, 30, hour, minute, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()


def data(message: dict[str, object], label: str) -> str:
    markup = message.get("reply_markup")
    assert isinstance(markup, dict)
    for row in markup["inline_keyboard"]:
        for button in row:
            if label in button["text"]:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {markup}")


async def status_of(harness: Harness, number: str) -> str:
    person = await people.person_by_telegram(harness.svc.db, USER_IDS[number])
    assert person is not None
    checkin = await checkin_store.latest_checkin(harness.svc.db, person.id)
    assert checkin is not None
    return checkin.status


# --- a fortnight of check-ins written as if the rounds had run -----------------------------------


FIRST = date(2026, 11, 30)


LAST = date(2026, 12, 13)


SLOTS = (("morning", 7, 30), ("noon", 12, 30))


ISOLATED = ("S001", "S002", "S003", "S005", "S901")


FORMULA_NOTE = '=HYPERLINK("http://example.com/x","点我")'


SCREEN_DAY = date(2026, 12, 2)  # a Wednesday: the noon slot carries the wellbeing screen


@dataclass
class Fortnight:
    """Ids of what the seed wrote, for assertions."""

    people: dict[str, int] = field(default_factory=dict)
    checkins: dict[tuple[str, str, str], int] = field(default_factory=dict)


def _at(day: date, hour: int, minute: int) -> int:
    return epoch(datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI))


def _answer(number: str, day: date, slot: str) -> dict[str, Any]:
    """What the student answered: ordinary, except a few abnormal check-ins tests look for."""
    index = (day - FIRST).days
    answer: dict[str, Any] = {
        "status": "answered",
        "temperature_c": 36.5 + (index % 3) / 10,
        "temperature_status": "measured",
        "symptoms": "",
        "mood": 4,
        "screen": (None, None, None, None),
        "note": None,
    }
    if (number, index, slot) == ("S001", 2, "morning"):
        answer["temperature_c"] = 38.2
    if (number, index, slot) == ("S001", 3, "morning"):
        answer["temperature_c"] = 37.5
    if (number, index, slot) == ("S001", 0, "noon"):
        answer["note"] = "今天有点头疼"
    if (number, index, slot) == ("S002", 1, "noon"):
        # A note typed to look like a spreadsheet formula must reach the sheet as text.
        answer["note"] = FORMULA_NOTE
    if (number, index, slot) == ("S002", 4, "noon"):
        answer["symptoms"] = "cough,sore_throat"
    if (number, index, slot) == ("S002", 5, "morning"):
        answer.update(temperature_c=None, temperature_status="not_measured")
    if (number, index) == ("S005", 6):
        answer["mood"] = 1
    if (number, index, slot) in (("S003", 1, "morning"), ("S003", 1, "noon")):
        answer.update(status="missed", temperature_c=None, temperature_status=None)
        answer.update(symptoms=None, mood=None)
    if day == SCREEN_DAY and slot == "noon" and answer["status"] == "answered":
        answer["mood"] = None
        answer["screen"] = (2, 2, 1, 1) if number == "S001" else (0, 0, 0, 0)
    return answer


async def seed_fortnight(harness: Harness) -> Fortnight:
    """Import the seed school, then write 14 days of rounds and check-ins with plain SQL, as if
    the rounds had run; all settled and evaluated, so no job acts on them."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    seeded = Fortnight()
    db = harness.svc.db
    for row in await db.fetchall("SELECT id, number FROM people"):
        seeded.people[row["number"]] = row["id"]
    isolations = {
        row["student_id"]: row["id"]
        for row in await db.fetchall("SELECT id, student_id FROM isolations")
    }
    async with db.transaction() as tx:
        for offset in range((LAST - FIRST).days + 1):
            day = FIRST + timedelta(days=offset)
            for index, (slot, hour, minute) in enumerate(SLOTS):
                scheduled = _at(day, hour, minute)
                cursor = await tx.execute(
                    "INSERT INTO rounds (local_date, slot, slot_index, scheduled_at, closes_at,"
                    " state, opened_at, closed_at, created_at) VALUES (?, ?, ?, ?, ?, 'opened',"
                    " ?, ?, ?)",
                    (
                        day.isoformat(),
                        slot,
                        index,
                        scheduled,
                        scheduled + 10800,
                        scheduled,
                        scheduled + 10800,
                        scheduled,
                    ),
                )
                round_id = cursor.lastrowid
                for number in ISOLATED:
                    student = seeded.people[number]
                    a = _answer(number, day, slot)
                    answered = scheduled + 600 if a["status"] == "answered" else None
                    cursor = await tx.execute(
                        "INSERT INTO checkins (round_id, student_id, isolation_id, with_screen,"
                        " step, temperature_c, temperature_status, symptoms, mood, screen_1,"
                        " screen_2, screen_3, screen_4, note, status, created_at, answered_at,"
                        " closed_at, evaluated_at) VALUES"
                        " (?, ?, ?, ?, 'summary', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            round_id,
                            student,
                            isolations[student],
                            int(day == SCREEN_DAY and slot == "noon"),
                            a["temperature_c"],
                            a["temperature_status"],
                            a["symptoms"],
                            a["mood"],
                            *a["screen"],
                            a["note"],
                            a["status"],
                            scheduled,
                            answered,
                            scheduled + 10800,
                            scheduled + 10800,
                        ),
                    )
                    assert cursor.lastrowid is not None
                    seeded.checkins[(number, day.isoformat(), slot)] = cursor.lastrowid
        # The fever check-in raised an urgent alert; the teacher phoned the student that day.
        fever = seeded.checkins[("S001", "2026-12-02", "morning")]
        at = _at(date(2026, 12, 2), 7, 45)
        cursor = await tx.execute(
            "INSERT INTO alerts (student_id, kind, level, state, opened_at, updated_at, seen_at,"
            " resolved_at, resolved_by) VALUES (?, 'fever', 'urgent', 'resolved', ?, ?, ?, ?, ?)",
            (seeded.people["S001"], at, at, at, at + 1200, seeded.people["T01"]),
        )
        await tx.execute(
            "INSERT INTO alert_signals (key, alert_id, at) VALUES (?, ?, ?)",
            (f"fever:ci:{fever}:0123abcd", cursor.lastrowid, at),
        )
        await tx.execute(
            "INSERT INTO contacts (student_id, staff_id, at, direction, channel)"
            " VALUES (?, ?, ?, 'call', 'phone')",
            (seeded.people["S001"], seeded.people["T01"], _at(date(2026, 12, 2), 9, 12)),
        )
        # That evening the student wrote to the counselor: not the teacher's business.
        await tx.execute(
            "INSERT INTO contacts (student_id, staff_id, at, direction, channel)"
            " VALUES (?, ?, ?, 'in', 'text')",
            (seeded.people["S001"], seeded.people["C01"], _at(date(2026, 12, 2), 20, 5)),
        )
    harness.clock.set(datetime(2026, 12, 13, 18, 0, tzinfo=SHANGHAI))
    return seeded


# --- workbooks the bot sends ---------------------------------------------------------------------


async def onboard(harness: Harness, number: str) -> FakeUser:
    language = "en" if number in ("T02", "S003") else "zh-hans"
    return await harness.onboard(number, user_id=USER_IDS[number], language_code=language)


async def ledger_of(user: FakeUser, command: str) -> Workbook:
    """Send the command and open the XLSX that comes back."""
    await user.send_text(command)
    await user.api.wait_for(
        lambda call: call.method == "sendDocument" and int(call.params["chat_id"]) == user.id
    )
    message = next(m for m in reversed(user.messages) if m.get("document"))
    assert message["document"]["file_name"].endswith(".xlsx")
    return load_workbook(io.BytesIO(message["file_bytes"]))


def rows(sheet: Any) -> list[list[Any]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


# Every sheet starts with a title row, a row naming column groups (the slots) and the header.
HEAD = 3


def header(sheet: Any) -> list[Any]:
    return rows(sheet)[HEAD - 1]


def column(sheet: Any, title: str, slot: str | None = None) -> int:
    """The index of a column; for a slot's column, the one under that slot's group."""
    names = header(sheet)
    if slot is None:
        return names.index(title)
    start = rows(sheet)[HEAD - 2].index(slot)
    return names.index(title, start)


# --- the command line ----------------------------------------------------------------------------


REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        timeout=60,
    )


# --- retention: a crisis sentence and a relayed text carrying a marker ---------------------------


MARKER = "QZXV7私密标记"


CRISIS = f"我不想活了 {MARKER}"


RELAYED = f"老师，我一直在发烧 {MARKER}"


NEUTRAL = "此消息已按保存期限删除"


async def crisis_and_relay(harness: Harness) -> dict[str, FakeUser]:
    """S004 (never isolated) writes a crisis sentence, then messages the class teacher."""
    users = await school(harness, "S004", "T01", "C01")
    student = users["S004"]
    await student.send_text(CRISIS)
    await student.wait_for_message(contains="12356")
    await users["C01"].wait_for_message(contains="王芳")
    await student.send_text("/talk")
    offer = await student.wait_for_message(contains="发消息")
    await student.press(offer["message_id"], "ct:teacher")
    await student.wait_for_message(contains="王老师")
    await student.send_text(RELAYED)
    await student.wait_for_message(contains="已发给")
    await harness.delivered()
    await users["T01"].wait_for_message(contains=MARKER)
    return users


# --- a check-in answered through the real flow ---------------------------------------------------


NOTE = "我昨晚咳得睡不着，有点害怕"


async def answer_with_fever_and_note(harness: Harness) -> FakeUser:
    """Onboard S001 and the adults, then answer the morning check-in with 38.2 and a note."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    for number in ("T01", "D01", "C01"):
        await harness.onboard(number, user_id=USER_IDS[number])
    student = await harness.onboard("S001", user_id=USER_IDS["S001"])
    await at(harness, 7, 30)
    await student.wait_for_message(contains="晨检")
    await student.send_text("38.2")
    step = await student.wait_for_message(contains="没有不适")
    for label in ("咳嗽", "完成", "🙁"):
        mark = harness.api.mark()
        await student.press(step["message_id"], data(step, label))
        step = await student.wait_for_message(since=mark)
    mark = harness.api.mark()
    await student.send_text(NOTE)
    step = await student.wait_for_message(contains="提交", since=mark)
    await student.press(step["message_id"], data(step, "提交"))
    await student.wait_for_message(contains="已提交")
    await harness.delivered()
    return student


# --- notices -------------------------------------------------------------------------------------


TEXT = "明天上午8点复课，请带好口罩和体温记录。"


async def class_id(harness: Harness, name: str) -> int:
    return int(await harness.svc.db.scalar("SELECT id FROM classes WHERE name = ?", (name,)))


def copies(user: FakeUser, text: str = TEXT) -> list[dict[str, Any]]:
    return [m for m in user.messages if text in str(m.get("text") or m.get("caption") or "")]


def current(user: FakeUser, message: dict[str, Any]) -> dict[str, Any]:
    return dict(user.chat.messages[message["message_id"]])


async def tap(user: FakeUser, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Press the button whose label contains `label` and return the answer to the press."""
    query = await user.press(message["message_id"], user.button(current(user, message), label))
    return await user.answered(query)


async def choose(harness: Harness, author: FakeUser, menu: dict[str, Any], label: str) -> dict:
    """Press an audience button; returns the summary under the preview."""
    mark = harness.api.mark()
    await tap(author, menu, label)
    return await author.wait_for_message(contains="接收人", since=mark)


async def viewer_of(harness: Harness, number: str) -> Viewer:
    person = await people.person_by_telegram(harness.svc.db, USER_IDS[number])
    assert person is not None
    return await viewer_for(harness.svc, person)


# --- the student view ----------------------------------------------------------------------------


def _chat(call: Any) -> int:
    return int(call.params.get("chat_id", 0))


async def view_of(user: FakeUser, command: str, *, contains: str) -> tuple[str, dict[str, Any]]:
    """Send the command; return the table text and the chart message that follow it."""
    mark = user.api.mark()
    await user.send_text(command)
    return await view_after(user, mark, contains)


async def view_after(user: FakeUser, mark: int, contains: str) -> tuple[str, dict[str, Any]]:
    # The table comes first, then the chart with its caption.
    await user.api.wait_for(
        lambda call: call.method == "sendPhoto" and _chat(call) == user.id, since=mark
    )
    chart = next(m for m in reversed(user.messages) if m.get("photo"))
    assert chart["file_bytes"].startswith(b"\x89PNG")
    table = next(
        m for m in reversed(user.messages) if m["seq"] >= mark and contains in m.get("text", "")
    )
    return table["text"], chart


# --- what a user was sent ------------------------------------------------------------------------


def received(user: FakeUser, since: int, part: str) -> list[str]:
    return [
        str(m.get("text"))
        for m in user.messages
        if m["seq"] >= since and part in str(m.get("text"))
    ]


# --- the core without Telegram: bot/ driven directly on a real database --------------------------


BOUND = ("S001", "S003", "S004", "S005")


@dataclass
class School:
    svc: Services
    clock: FakeClock
    path: Path

    def at(self, hour: int, minute: int = 0, days: int = 0) -> int:
        when = datetime(2026, 11, 30, hour, minute, tzinfo=SHANGHAI) + timedelta(days=days)
        self.clock.set(when)
        return self.svc.now()

    async def student(self, number: str) -> Person:
        row = await self.svc.db.fetchone(
            "SELECT id FROM people WHERE number = ? AND role = 'student'", (number,)
        )
        assert row is not None
        person = await people.person_by_id(self.svc.db, row[0])
        assert person is not None
        return person

    async def outbox(self, like: str = "%") -> list[dict[str, Any]]:
        rows = await self.svc.db.fetchall(
            "SELECT dedup_key, chat_id, payload FROM outbox WHERE dedup_key LIKE ? ORDER BY id",
            (like,),
        )
        return [
            {"key": r["dedup_key"], "chat_id": r["chat_id"], **json.loads(r["payload"])}
            for r in rows
        ]

    async def checkin_of(self, number: str) -> checkin_store.Checkin:
        student = await self.student(number)
        found = await checkin_store.latest_checkin(self.svc.db, student.id)
        assert found is not None
        return found

    async def press(self, number: str, data: str) -> Reply:
        student = await self.student(number)
        _, checkin_id, verb, *args = data.split(":")
        language = student.language or "zh-CN"
        return await flow.press(
            self.svc, student, language, int(checkin_id), verb, args, 77, self.svc.now()
        )

    async def type(self, number: str, text: str) -> Reply | None:
        student = await self.student(number)
        return await typed_text.typed(
            self.svc, student, student.language or "zh-CN", text, self.svc.now()
        )

    async def rounds(self) -> RoundsReport:
        return await run_rounds(self.svc, self.svc.now())


async def open_school(path: Path, clock: FakeClock) -> School:
    config = Config()
    db = await Database.open(path)
    svc = Services(config=config, db=db, clock=clock, catalog=Catalog.load())
    connect(svc)
    return School(svc, clock, path)


async def seeded_school(folder: Path) -> School:
    """The seed school on a database in `folder`, driven through bot/ without Telegram; the
    BOUND students have linked accounts. The caller closes the database."""
    clock = FakeClock(START)
    place = await open_school(folder / "classcare.db", clock)
    for name, text in (("staff.csv", STAFF_CSV), ("students.csv", STUDENTS_CSV)):
        file = folder / name
        file.write_text(text, encoding="utf-8")
        await apply_roster(place.svc.db, parse_roster(file), now=place.svc.now(), tz=SHANGHAI)
    for number in BOUND:
        student = await place.student(number)
        async with place.svc.db.transaction() as tx:
            await people.bind_account(
                tx, student.id, USER_IDS[number], USER_IDS[number], "zh-CN", place.svc.now()
            )
    return place
