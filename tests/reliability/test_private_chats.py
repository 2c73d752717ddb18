"""ClassCare talks in private chats only: a group, supergroup or channel gets nothing, an invite
typed in a group binds nothing, and the bot leaves any group it is added to."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage.db import Database
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

GROUP_ID = -1001234567890
SENDS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "setMyCommands",
    }
)


@pytest.mark.parametrize("kind", ["group", "supergroup", "channel"])
async def test_the_bot_leaves_a_chat_it_is_added_to(harness: Harness, kind: str) -> None:
    group = harness.api.group(GROUP_ID, "初二(3)班", kind=kind)
    mark = harness.api.mark()
    group.add_bot(by=harness.api.user(USER_IDS["T01"], "王老师"))
    await harness.api.wait_for(
        lambda c: c.method == "leaveChat" and c.chat_id == GROUP_ID, since=mark
    )
    assert group.chat.left
    assert group.messages == []


async def test_an_invite_typed_in_a_group_binds_nothing(harness: Harness) -> None:
    """The group would otherwise become the student's delivery chat for every alert and
    check-in; the same link then works in the student's private chat."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    code = await harness.invite_code("S002")
    group = harness.api.group(GROUP_ID, "初二(3)班", kind="supergroup")
    student = harness.api.user(USER_IDS["S002"], "李华")
    mark = harness.api.mark()
    await group.send_text(student, f"/start {code}")
    await harness.api.wait_for(
        lambda c: c.method == "leaveChat" and c.chat_id == GROUP_ID, since=mark
    )
    row = await harness.svc.db.fetchone(
        "SELECT telegram_user_id, chat_id FROM people WHERE number = 'S002'"
    )
    assert row is not None and row["telegram_user_id"] is None and row["chat_id"] is None
    assert not [c for c in harness.api.calls[mark:] if c.method in SENDS]

    await student.send_text(f"/start {code}")
    await student.wait_for_message(contains="你好，李华")
    row = await harness.svc.db.fetchone(
        "SELECT telegram_user_id, chat_id FROM people WHERE number = 'S002'"
    )
    assert row is not None
    assert (row["telegram_user_id"], row["chat_id"]) == (student.id, student.id)
    assert group.messages == []


async def test_staff_views_asked_in_a_group_reach_no_one(harness: Harness) -> None:
    """The commands the review used: the class at a glance, a student's temperatures and chart,
    the ledger, the statistics and the audit trail, and a button under an old group message."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    admin = await harness.onboard("A01", user_id=USER_IDS["A01"])
    group = harness.api.group(GROUP_ID, "初二(3)班", kind="supergroup")
    audit_before = await harness.svc.db.fetchall("SELECT * FROM audit")
    mark = harness.api.mark()
    for command in ("/today", "/student S002", "/ledger", "/help"):
        await group.send_text(teacher, command)
    for command in ("/stats", "/audit", "/audit S002"):
        await group.send_text(admin, command)
    message_id = group.bot_message("今日概况", "lang:en")
    query = await group.press(teacher, message_id, "lang:en")
    # One chat's updates run in order: once the press is answered, the commands are done.
    answer = await teacher.answered(query)
    await harness.delivered()
    assert answer.get("show_alert")
    assert answer["text"] == harness.svc.catalog.t("zh-CN", "common.private_only")
    assert not [c for c in harness.api.calls[mark:] if c.method in SENDS]
    assert await harness.svc.db.fetchall("SELECT * FROM audit") == audit_before
    assert group.chat.left
    assert teacher.messages[-1]["seq"] < mark and admin.messages[-1]["seq"] < mark


async def test_channel_posts_and_inline_queries_get_nothing(harness: Harness) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    channel = harness.api.group(GROUP_ID, "城关一中通知", kind="channel")
    mark = harness.api.mark()
    await channel.send_text(teacher, "/today")
    await harness.api.wait_for(
        lambda c: c.method == "leaveChat" and c.chat_id == GROUP_ID, since=mark
    )
    query = {"id": "77", "from": teacher.json, "query": "S002", "offset": ""}
    await harness.api.push_update({"inline_query": query})
    # The inline query is keyed by the teacher, as their private chat is: /help comes after it.
    await teacher.send_text("/help")
    await teacher.wait_for_message(contains="/today", since=mark)
    sent = [c for c in harness.api.calls[mark:] if c.method in SENDS]
    assert [c.chat_id for c in sent] == [teacher.id]
    assert channel.messages == []


async def test_a_binding_made_through_a_group_moves_to_the_own_chat(tmp_path: Path) -> None:
    """Accounts bound through a group before this release get their own chat back."""
    path = tmp_path / "classcare.db"
    db = await Database.open(str(path))
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO people (role, number, name, telegram_user_id, chat_id, created_at,"
            " updated_at) VALUES ('admin', 'A01', '赵校长', 1005, ?, 0, 0),"
            " ('admin', 'A02', '钱校长', 1007, 1007, 0, 0)",
            (GROUP_ID,),
        )
        await tx.execute("DELETE FROM schema_migrations WHERE version = 9")
    await db.close()
    db = await Database.open(str(path))
    try:
        rows = await db.fetchall("SELECT number, chat_id FROM people ORDER BY number")
        assert [tuple(r) for r in rows] == [("A01", 1005), ("A02", 1007)]
    finally:
        await db.close()
