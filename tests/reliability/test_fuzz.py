"""Fuzzing through the real Application: random and forged button data, command arguments and
notice texts from every role. Whatever comes in, the error handler never runs, every press is
answered, every command is answered, and forged data changes nothing it has no right to.

One running bot serves all the examples of a test (hypothesis reruns only the body), so the
state drifts as examples act; the invariants checked hold in any state."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.checkins.screens import Verb
from bot.core.i18n import Catalog
from bot.notices import render
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.reliability.scene import open_morning
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

UNBOUND_ID = 4343
ACTORS = {"student": "S001", "teacher": "T01", "doctor": "D01", "admin": "A01"}
ROLES = (*ACTORS, "unbound")
HELP_KEY = {"student": "student", "teacher": "teacher", "doctor": "doctor", "admin": "admin"}
# Callback data Telegram carries is 1-64 bytes.
DATA_LIMIT = 64
PREFIXES = ("ci:", "al:", "ct:", "nt:", "sv:", "lang:", "td:")
VERBS = {
    # Today's verbs, and verbs of buttons from before they were renamed, still in chats.
    "ci": (*(v.value for v in Verb), "go", "ok", "md", "tmp"),
    "al": ("ack", "resolve", "message", "history", "done", "msg", "hist", "nc"),
    "nt": (*render.DRAFT_VERBS, *render.NOTICE_VERBS),
}
COMMANDS = ("/student", "/isolate", "/release", "/called", "/ledger", "/start")
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

catalog = Catalog.load()


class Errors(logging.Handler):
    """Every ERROR (or worse) record logged while the bot runs, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class World:
    harness: Harness
    users: dict[str, FakeUser]
    ids: dict[str, int]
    alerts: dict[str, int]
    draft: int
    errors: Errors


@pytest.fixture
async def world(harness: Harness) -> World:
    """The seed school with a student, a teacher, a doctor, an admin and an unbound user; an
    open morning round and fever alerts for a student of each class and of the other school;
    another teacher's notice draft."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    users = {}
    for number in ("S002", "S005", "S901"):
        await harness.onboard(number, user_id=USER_IDS[number])
    for role, number in ACTORS.items():
        users[role] = await harness.onboard(number, user_id=USER_IDS[number])
    users["unbound"] = harness.api.user(UNBOUND_ID, "Nobody", language_code="zh-hans")
    morning = await open_morning(harness)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    world = World(harness, users, morning.ids, morning.alerts, morning.draft, errors)
    # Every user needs a bot message to press buttons under.
    for role in ROLES:
        await barrier(world, role)
    return world


@pytest.fixture(autouse=True)
def detach_errors() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, Errors)]:
        root.removeHandler(handler)


def help_texts(role: str) -> set[str]:
    key = f"help.{HELP_KEY.get(role, 'unbound')}"
    return {catalog.t(lang, key) for lang in ("zh-CN", "en")}


ERROR_TEXTS = {catalog.t(lang, "common.error") for lang in ("zh-CN", "en")}


async def barrier(world: World, role: str) -> int:
    """Wait until the bot has handled everything this user sent (a chat's updates run in order):
    send /help and wait for its reply. Returns the mark taken before /help."""
    user, texts = world.users[role], help_texts(role)
    mark = world.harness.api.mark()
    await user.send_text("/help")

    def done() -> bool | None:
        return (
            True
            if any(m["seq"] >= mark and m.get("text") in texts for m in user.messages)
            else None
        )

    await user.api.until(done, timeout=10.0, explain=lambda: f"no /help reply for {role}")
    return mark


def replies(world: World, role: str, mark: int) -> list[dict[str, Any]]:
    """The bot's messages to this user since the mark, leaving out the barriers' /help replies."""
    texts = help_texts(role)
    return [
        m for m in world.users[role].messages if m["seq"] >= mark and m.get("text") not in texts
    ]


async def snapshot(harness: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """What forged input must leave alone, table by table."""
    db = harness.svc.db
    queries = {
        "isolations": "SELECT id, student_id, started_at, ended_at FROM isolations ORDER BY id",
        "alerts": "SELECT id, student_id, state, owner_id FROM alerts ORDER BY id",
        "notices": "SELECT id, withdrawn_at FROM notices ORDER BY id",
        "drafts": "SELECT id, author_id, stage, text FROM notice_drafts ORDER BY id",
    }
    return {name: [tuple(r) for r in await db.fetchall(sql)] for name, sql in queries.items()}


def check_errors(world: World, role: str, mark: int, label: str) -> None:
    shown = [m for m in world.users[role].messages if m["seq"] >= mark]
    assert not [m for m in shown if m.get("text") in ERROR_TEXTS], f"{label}: error text shown"
    records = [f"{r.name}: {r.getMessage()}" for r in world.errors.records]
    world.errors.records.clear()
    assert not records, f"{label}: logged {records}"


# -- strategies --------------------------------------------------------------------------------


def clip(text: str) -> str:
    """At most DATA_LIMIT bytes of UTF-8, cut on a character boundary."""
    return text.encode("utf-8")[:DATA_LIMIT].decode("utf-8", errors="ignore")


NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(["0", "00", "007", "-1", "1e3", "²", "١٢", "٣", "9" * 30, "", " 1"]),
)
WORDS = st.one_of(st.text(max_size=12), st.sampled_from(["", ":", "::", "x", "36.6", "99"]))


@st.composite
def forged(draw: st.DrawFn) -> str:
    """Well-formed data for a registered prefix, with real, other and nonsense ids and verbs (the
    small numbers are the seeded school's ids: people, check-ins, alerts, the draft)."""
    prefix = draw(st.sampled_from(PREFIXES))
    area = prefix.rstrip(":")
    number = str(draw(NUMBERS))
    verb = draw(st.sampled_from(VERBS[area]) if area in VERBS and draw(st.booleans()) else WORDS)
    tail = draw(st.lists(WORDS, max_size=2))
    if area == "ct":
        parts = [draw(st.sampled_from(["msg", "teacher", "counselor", "end", *tail]))]
        parts += [number] if parts[0] == "msg" else tail
    elif area == "sv":
        parts = [number, *tail[:1]]
    elif area == "lang":
        parts = [draw(st.sampled_from(["zh-CN", "en", "xx", "", *tail]))]
    else:
        parts = [number, verb, *tail]
    return clip(prefix + ":".join(str(p) for p in parts))


BUTTON_DATA = st.one_of(
    st.text(min_size=1, max_size=80).map(clip),
    st.binary(min_size=1, max_size=80).map(lambda b: clip(b.decode("utf-8", errors="replace"))),
    st.builds(lambda p, t: clip(p + t), st.sampled_from(PREFIXES), st.text(max_size=70)),
    forged(),
).filter(bool)

DATES = st.builds(
    lambda y, m, d: f"{y}-{m:02d}-{d:02d}",
    st.integers(1, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
) | st.sampled_from(["2026-02-30", "2026-13-45", "2026-11-30", "0000-00-00", "9999-12-31"])
PEOPLE = st.sampled_from(
    ["S001", "S002", "S004", "S005", "S901", "张小明", "赵雷", "周小", "T01", "s001", "S00"]
)
ARGS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=4000),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl"]), max_size=20),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    DATES,
    st.builds(lambda a, b: f"{a} {b}", DATES, DATES),
    PEOPLE,
    st.builds(lambda p, k: f"{p} {k}", PEOPLE, st.sampled_from(["集中", "home", "校内", "x"])),
)


# -- the tests ---------------------------------------------------------------------------------


@SETTINGS
@given(role=st.sampled_from(ROLES), payload=BUTTON_DATA)
@example(role="student", payload="ci:²:resume")
@example(role="student", payload="ci:99999999999999999999:resume")
@example(role="teacher", payload="al:99999999999999999999:ack")
@example(role="teacher", payload="al:³:hist")
@example(role="admin", payload="nt:99999999999999999999:send")
@example(role="teacher", payload="nt:¹:rep")
@example(role="doctor", payload="sv:99999999999999999999")
@example(role="doctor", payload="sv:²")
@example(role="teacher", payload="ct:msg:99999999999999999999")
@example(role="teacher", payload="td:99999999999999999999:remind")
@example(role="teacher", payload="td:²:remind")
@example(role="teacher", payload="ct:msg:²")
@example(role="student", payload="zzz")
@example(role="unbound", payload="")
async def test_random_and_forged_button_data(world: World, role: str, payload: str) -> None:
    harness = world.harness
    user = world.users[role]
    last = user.last_message
    assert last is not None
    world.errors.records.clear()
    before = await snapshot(harness)
    mark = harness.api.mark()
    query = await user.press(last["message_id"], payload)
    label = f"{role} pressed {payload!r}"
    await user.answered(query)
    await barrier(world, role)
    await harness.delivered()
    check_errors(world, role, mark, label)
    after = await snapshot(harness)
    assert after["isolations"] == before["isolations"], f"{label}: isolations changed"
    assert after["notices"] == before["notices"], f"{label}: notices changed"
    assert after["drafts"] == before["drafts"], f"{label}: another's draft changed"
    s901 = world.alerts["S901"]
    assert [a for a in after["alerts"] if a[0] == s901] == [
        a for a in before["alerts"] if a[0] == s901
    ], f"{label}: an alert outside every actor's scope changed"
    if role in ("student", "unbound"):
        assert after == before, f"{label}: changed what a {role} may not"


@SETTINGS
@given(role=st.sampled_from(ROLES), name=st.sampled_from(COMMANDS), arg=ARGS)
@example(role="teacher", name="/ledger", arg="9999/12/31")
@example(role="admin", name="/ledger", arg="2026-11-30 9999-12-31")
@example(role="doctor", name="/ledger", arg="0001-01-01")
@example(role="teacher", name="/student", arg="99999999999999999999")
@example(role="unbound", name="/start", arg="x" * 4000)
async def test_command_arguments(world: World, role: str, name: str, arg: str) -> None:
    harness = world.harness
    user = world.users[role]
    text = f"{name} {arg}"[:4096]
    world.errors.records.clear()
    before = await snapshot(harness)
    mark = harness.api.mark()
    await user.send_text(text)
    label = f"{role} sent {text[:80]!r}"
    await barrier(world, role)
    await harness.delivered()
    check_errors(world, role, mark, label)
    assert replies(world, role, mark), f"{label}: no reply"
    after = await snapshot(harness)
    assert after["alerts"] == before["alerts"], f"{label}: alerts changed"
    assert after["notices"] == before["notices"], f"{label}: notices changed"
    s901 = world.ids["S901"]
    assert [i for i in after["isolations"] if i[1] == s901] == [
        i for i in before["isolations"] if i[1] == s901
    ], f"{label}: an isolation outside every actor's scope changed"
    if role in ("student", "unbound", "doctor"):
        assert after["isolations"] == before["isolations"], f"{label}: isolations changed"


NOTICE_TEXTS = st.one_of(
    st.text(min_size=1, max_size=3),
    st.sampled_from([" ", "\n", ".", "<b>", "</b>", "*_`[", "&amp;", "<b>粗</b> *x* _y_ `z`"]),
    st.sampled_from([4096, 4097, 4000, 3900]).map(lambda n: "通" * n),
    st.text(
        alphabet=st.sampled_from("<>&*_`[]()~|#+-=.!\\/\"' 📢😷🤒👍🏽\u200d\n通知abc"),
        min_size=1,
        max_size=200,
    ),
    st.text(min_size=1, max_size=500),
).filter(lambda t: not t.startswith("/"))


@settings(SETTINGS, max_examples=50)
@given(text=NOTICE_TEXTS)
async def test_notice_text(world: World, text: str) -> None:
    """The teacher's notice goes to their class: the preview and the copy carry the text as
    typed; a text that does not fit is refused with a message."""
    harness = world.harness
    teacher = world.users["teacher"]
    student = world.users["student"]
    limit = render.text_limit(catalog, None)

    label = f"notice {text[:40]!r} ({len(text)})"
    world.errors.records.clear()
    mark = harness.api.mark()
    await teacher.send_text("/notice")
    await teacher.wait_for_message(contains="正文", since=mark)
    await teacher.send_text(text)
    await barrier(world, "teacher")
    check_errors(world, "teacher", mark, label)
    shown = replies(world, "teacher", mark)
    assert len(shown) == 2, f"{label}: expected the request for text and one answer"
    ask, menu = shown
    if not text.strip() or len(text) > limit:
        assert "发给谁" not in menu["text"], f"{label}: accepted"
        # Drop the draft, as the author would, so the next /notice starts clean.
        await teacher.answered(await teacher.press(ask["message_id"], teacher.button(ask, "取消")))
        await barrier(world, "teacher")
        return
    assert "发给谁" in menu["text"], f"{label}: refused: {menu['text']!r}"
    audience = teacher.button(menu, "初二(3)班")
    chosen = harness.api.mark()
    await teacher.answered(await teacher.press(menu["message_id"], audience))
    preview = await teacher.wait_for_message(contains="接收人", since=chosen)
    rendered = [m for m in teacher.messages if m["seq"] >= chosen and text in str(m.get("text"))]
    assert rendered, f"{label}: the preview does not show the text as typed"
    copies_before = len([m for m in student.messages if text in str(m.get("text"))])
    send = teacher.button(preview, "发送")
    await teacher.answered(await teacher.press(preview["message_id"], send))
    await barrier(world, "teacher")
    await harness.delivered()
    check_errors(world, "teacher", mark, label)
    copies = [m for m in student.messages if text in str(m.get("text"))]
    assert len(copies) == copies_before + 1, f"{label}: the student got no copy"
    failed = await harness.svc.db.scalar("SELECT COUNT(*) FROM outbox WHERE status != 'sent'")
    assert failed == 0, f"{label}: {failed} copies not sent"
