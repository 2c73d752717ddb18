"""Intake benchmark: whole check-ins answered per second through the real Application.

Run from the repository root: `.venv/bin/python -m bench.intake [--students 300]`. The real
ClassCare Application (bot.app.build_application, as tests/harness.py builds it) polls the
in-process fake Bot API with its database in a real SQLite file. A round prompts every student;
then all students answer at once, each one step at a time as a person would: the temperature
as text, then the buttons "no symptoms", a mood, "skip" (the note) and "send", each sent only
after the bot's reply with that button has arrived. Timed from the first answer injected to the
last student's "submitted" screen; every check-in is then checked to be stored as answered.
Baseline in the same run and process: bench.baseline's bare python-telegram-bot echo bot, which
makes the same Bot API calls per user action, taking the same number of updates from the same
students against the same fake API.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.baseline import BUTTON, build_echo
from bot.core.clock import FakeClock
from bot.core.config import Delivery
from bot.storage import people
from bot.storage.people import select_people
from tests.fakeapi import FakeBotAPI, FakeUser
from tests.harness import Harness, make_config
from tests.seed import STAFF_CSV, STUDENTS_HEADER

FIRST_USER = 500_000
SLOT_TIME = datetime(2026, 11, 30, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
TEMPERATURE = "36.6"
# The check-in's buttons in the order a student with nothing to report presses them.
CHECKIN_BUTTONS = ("没有不适", "🙂", "跳过", "提交")
SUBMITTED = "已提交"
STEP_TIMEOUT = 60.0
ECHO = "baseline: bare PTB echo bot"


@dataclasses.dataclass
class Result:
    label: str
    updates: int
    seconds: float
    calls_per_student: float
    stale: int

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


def button(message: dict[str, object], label: str) -> str:
    """The callback data of the button whose text contains label."""
    markup = message.get("reply_markup")
    assert isinstance(markup, dict), f"no keyboard on {message}"
    for row in markup["inline_keyboard"]:
        for key in row:
            if label in key["text"]:
                return str(key["callback_data"])
    raise AssertionError(f"no button {label!r} in {markup}")


def offered(message: dict[str, object], labels: Sequence[str]) -> int | None:
    """Index of the first label that has a button under the message."""
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    keys = [str(key["text"]) for row in rows for key in row]
    return next((i for i, label in enumerate(labels) if any(label in k for k in keys)), None)


async def next_screen(api: FakeBotAPI, user: FakeUser, mark: int) -> dict[str, object] | None:
    """The bot's next screen for this user since mark, or None if it re-rendered the old one.

    Telegram refuses an edit that changes nothing ("message is not modified"); the bot then
    leaves the student looking at a screen whose buttons no longer apply.
    """

    # Calls already looked at: every waiter wakes on every call, so rescanning would be O(n²).
    scanned = mark

    def found() -> tuple[dict[str, object] | None] | None:
        nonlocal scanned
        for message in reversed(user.messages):
            if message["seq"] >= mark:
                return (dict(message),)
        calls = api.calls
        for index in range(scanned, len(calls)):
            call = calls[index]
            if call.chat_id == user.id and call.method == "editMessageText" and not call.ok:
                return (None,)
        scanned = len(calls)
        return None

    (screen,) = await api.until(
        found, timeout=STEP_TIMEOUT, explain=lambda: f"no reply to user {user.id}"
    )
    return screen


async def answer(api: FakeBotAPI, user: FakeUser, labels: Sequence[str], last: str) -> int:
    """One user's whole answer, each action after the bot's reply to the one before; returns
    how often the user had to ask for the current step again (/checkin) after a stale screen."""
    mark = api.mark()
    await user.send_text(TEMPERATURE)
    screen = await next_screen(api, user, mark)
    position, stale = 0, 0
    while True:
        done = screen is not None and position == len(labels) and last in str(screen.get("text"))
        found = None if screen is None else offered(screen, labels[position:])
        if done or (found is None and stale > len(labels)):
            break
        if found is None:
            # A stale screen: ask for the current step, as a student would with /checkin.
            stale += 1
            mark = api.mark()
            await user.send_text("/checkin")
            screen = await next_screen(api, user, mark)
            continue
        assert screen is not None
        position += found
        mark = api.mark()
        await user.press(int(str(screen["message_id"])), button(screen, labels[position]))
        position += 1
        screen = await next_screen(api, user, mark)
    assert position == len(labels), f"user {user.id} stuck after {position} presses"
    return stale


async def timed(
    api: FakeBotAPI, users: list[FakeUser], labels: Sequence[str], last: str, label: str
) -> Result:
    """Let every user answer at once and count what it took."""
    first_call = api.mark()
    started = time.perf_counter()
    stale = await asyncio.gather(*(answer(api, user, labels, last) for user in users))
    seconds = time.perf_counter() - started
    user_ids = {user.id for user in users}
    calls = Counter(
        c.method for c in api.calls[first_call:] if c.chat_id in user_ids or c.chat_id is None
    )
    calls.pop("getUpdates", None)
    updates = len(users) * (1 + len(labels)) + 2 * sum(stale)
    return Result(label, updates, seconds, sum(calls.values()) / len(users), sum(stale))


def roster(students: int) -> str:
    rows = [
        f"I{n:05d},学生{n},城关一中,初二(3)班,home,2026-11-25,,zh-CN,yes" for n in range(students)
    ]
    return STUDENTS_HEADER + "\n".join(rows) + "\n"


async def classcare(
    api: FakeBotAPI, folder: Path, students: int, per_chat: float, rate: float
) -> Result:
    """Prompt every student through a round, then time their answers."""
    clock = FakeClock(SLOT_TIME)
    api.now = lambda: clock.now().timestamp()
    config = make_config(
        folder,
        api,
        delivery=Delivery(rate_per_second=rate, per_chat_per_second=per_chat),
    )
    harness = Harness(config, api, clock)
    await harness.start()
    try:
        await harness.seed(staff_csv=STAFF_CSV, students_csv=roster(students))
        ids = await bind_students(harness)
        users = [api.user(user_id) for user_id in ids]
        await harness.tick()
        await harness.delivered(timeout=120)
        for user in users:
            await user.wait_for_message(contains="晨检", timeout=STEP_TIMEOUT)
        result = await timed(api, users, CHECKIN_BUTTONS, SUBMITTED, "ClassCare check-in")
        answered = await harness.svc.db.fetchall(
            "SELECT COUNT(*) FROM checkins WHERE status = 'answered'"
        )
        stored = int(answered[0][0])
        assert stored == students, f"{stored} of {students} check-ins stored as answered"
    finally:
        await harness.stop()
    return result


async def bind_students(harness: Harness) -> list[int]:
    """Link every student's account directly, as tests/reliability/test_faults.py does."""
    students = [p for p, _, _ in await select_people(harness.svc.db) if p.is_student]
    ids = [FIRST_USER + n for n in range(len(students))]
    async with harness.svc.db.transaction() as tx:
        for person, user_id in zip(students, ids, strict=True):
            await people.bind_account(tx, person.id, user_id, user_id, "zh-CN", harness.svc.now())
    for user_id in ids:
        harness.api.user(user_id, language_code="zh-hans", started=True)
    return ids


async def echo(api: FakeBotAPI, students: int) -> Result:
    """The bare echo bot taking the same number of texts and presses from as many users."""
    api.now = time.time
    application = build_echo(api.base_url)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        users = [api.user(FIRST_USER + n, started=True) for n in range(students)]
        labels = [BUTTON] * len(CHECKIN_BUTTONS)
        result = await timed(api, users, labels, "pressed", ECHO)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    return result


async def fresh_api(run: Callable[[FakeBotAPI], Awaitable[Result]]) -> Result:
    """Run against a fake API of its own, so no run inherits another's recorded calls."""
    api = FakeBotAPI()
    await api.start()
    try:
        return await run(api)
    finally:
        await api.stop()


async def main(students: int, repeat: int, per_chat: float, rate: float) -> None:
    runs: dict[str, list[Result]] = {}
    with tempfile.TemporaryDirectory(prefix="intake-") as folder:
        for n in range(repeat):
            run_folder = Path(folder) / f"run{n}"
            run_folder.mkdir()

            async def ours(api: FakeBotAPI, where: Path = run_folder) -> Result:
                return await classcare(api, where, students, per_chat, rate)

            for result in (
                await fresh_api(lambda api: echo(api, students)),
                await fresh_api(ours),
            ):
                runs.setdefault(result.label, []).append(result)
    median = {label: statistics.median(r.rate for r in results) for label, results in runs.items()}
    baseline = median[ECHO]
    print(
        f"| run ({students} students at once, median of {repeat}) | updates | seconds"
        " | Bot API calls per student | stale screens | updates/s | ÷ echo |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, results in runs.items():
        middle = sorted(results, key=lambda r: r.rate)[len(results) // 2]
        print(
            f"| {label} | {middle.updates} | {middle.seconds:.2f} |"
            f" {middle.calls_per_student:.1f} | {middle.stale} | {median[label]:.0f} |"
            f" {median[label] / baseline:.2f} |"
        )
    print(
        f"\nClassCare ran with delivery.per_chat_per_second = {per_chat:g} and rate_per_second ="
        f" {rate:g} (Telegram's 1/s per chat and 30/s would pace the replies, not measure the"
        " bot); the fake API enforced no limits. Target: ClassCare ÷ echo ≥ 0.5."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=300, help="students answering at once")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median is shown")
    parser.add_argument("--per-chat", type=float, default=100.0, help="per_chat_per_second")
    parser.add_argument("--rate", type=float, default=10_000.0, help="rate_per_second")
    args = parser.parse_args()
    asyncio.run(main(args.students, args.repeat, args.per_chat, args.rate))
