"""Notices end to end through the fake Bot API: compose, preview, send once, receipts, reports,
reminders, withdrawal, export, the command line, and a restart in the middle of a notice."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import io
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

import handlers.checkin
import handlers.text
from bot.cli.notice import add_notice_commands
from bot.notices import receipts, render, sending, withdrawal
from bot.notices.audience import Audience
from bot.notices.render import Media
from bot.notices.store import notices as notice_store
from bot.storage import people
from bot.storage.db import Database
from handlers import notices as notice_handlers
from handlers.common import Context, Sender
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import TEXT, choose, class_id, copies, current, school, tap, viewer_of


@pytest.fixture(autouse=True)
def notice_text_dispatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Until handlers/text.py hands staff text to handlers.notices.handle_text, put it in front
    of the check-in flow the dispatcher tries first (it declines staff text anyway)."""
    if "notices" not in inspect.getsource(handlers.text):
        original = handlers.checkin.handle_text

        async def first_notices(update: Any, context: Context, who: Sender) -> bool:
            if await notice_handlers.handle_text(update, context, who):
                return True
            return await original(update, context, who)

        monkeypatch.setattr(handlers.checkin, "handle_text", first_notices)
    yield


async def school_id(harness: Harness, name: str) -> int:
    return int(await harness.svc.db.scalar("SELECT id FROM schools WHERE name = ?", (name,)))


async def compose(harness: Harness, author: FakeUser, text: str = TEXT) -> dict[str, Any]:
    """/notice and the text; returns the audience menu."""
    mark = harness.api.mark()
    await author.send_text("/notice")
    await author.wait_for_message(contains="正文", since=mark)
    await author.send_text(text)
    return await author.wait_for_message(contains="发给谁", since=mark)


async def notice_rows(harness: Harness) -> list[dict[str, Any]]:
    rows = await harness.svc.db.fetchall("SELECT * FROM notices ORDER BY id")
    return [dict(r) for r in rows]


async def test_class_notice_by_a_teacher_reaches_only_that_class(harness: Harness) -> None:
    users = await school(harness, "T01", "S001", "S002", "S003", "S005", "T02", "A01")
    teacher = users["T01"]
    menu = await compose(harness, teacher)
    labels = [b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    # A teacher is offered their own class and nothing wider.
    assert "初二(3)班" in labels
    assert not [x for x in labels if "初二(4)班" in x or "所有" in x or "全体" in x]

    summary = await choose(harness, teacher, menu, "初二(3)班")
    # The preview is the notice as a student will read it, then the counts by kind.
    preview = copies(teacher)[-1]
    assert preview["text"].startswith("📢 通知 · 王老师（班主任）")
    assert "城关一中 初二(3)班" in summary["text"]
    assert "共 4 人：学生 4 人" in summary["text"]
    assert "其中 1 人还没有绑定账号" in summary["text"]  # S004

    await tap(teacher, summary, "发送")
    await teacher.wait_for_message(contains="已发送")
    await harness.delivered()
    for number in ("S001", "S002", "S003"):
        [copy] = copies(users[number])
        assert "reply_markup" not in copy  # no confirmation asked
    assert copies(users["S001"])[0]["text"] == preview["text"]
    # Each recipient reads the sender line in their own language.
    assert copies(users["S003"])[0]["text"].startswith("📢 Notice · 王老师 (class teacher)")
    for number in ("S005", "T02", "A01"):
        assert copies(users[number]) == []
    [row] = await notice_rows(harness)
    assert row["audience"] == f"class:{await class_id(harness, '初二(3)班')}"
    rows = await harness.svc.db.fetchall(
        "SELECT dedup_key, lane FROM outbox WHERE batch_id = ?", (row["batch_id"],)
    )
    ids = [(await viewer_of(harness, n)).person.id for n in ("S001", "S002", "S003")]
    assert sorted(r["dedup_key"] for r in rows) == sorted(f"nt:{row['id']}:{i}" for i in ids)
    assert {r["lane"] for r in rows} == {3}


async def test_teacher_cannot_target_another_class_or_the_school(harness: Harness) -> None:
    users = await school(harness, "T01", "S005", "D01", "S001")
    teacher = users["T01"]
    menu = await compose(harness, teacher)
    draft = teacher.button(menu, "初二(3)班").split(":")[1]
    other = await class_id(harness, "初二(4)班")
    whole = await school_id(harness, "城关一中")
    for code in (f"c{other}", "all", "students", "staff", f"s{whole}", "rteacher"):
        query = await teacher.press(menu["message_id"], f"nt:{draft}:a:{code}")
        answer = await teacher.answered(query)
        assert answer.get("show_alert") and "没有权限" in answer["text"], code
    # Sending the draft without an allowed audience sends nothing.
    query = await teacher.press(menu["message_id"], f"nt:{draft}:send")
    await teacher.answered(query)
    await teacher.wait_for_message(contains="还没写完")
    assert await notice_rows(harness) == []
    # Doctors and students may not write notices at all.
    for number in ("D01", "S001"):
        await users[number].send_text("/notice")
        await users[number].wait_for_message(contains="只有班主任")


async def test_text_over_the_limit_is_refused_with_its_length(harness: Harness) -> None:
    users = await school(harness, "T01")
    teacher = users["T01"]
    await teacher.send_text("/notice")
    ask = await teacher.wait_for_message(contains="正文")
    limit = render.text_limit(
        harness.svc.catalog, (await people.person_by_telegram(harness.svc.db, USER_IDS["T01"]))
    )
    assert f"最多 {limit} 字" in ask["text"]
    await teacher.send_text("字" * 4097)
    refused = await teacher.wait_for_message(contains="超过了上限")
    assert "4097" in refused["text"] and str(limit) in refused["text"]
    # Still waiting for the text: the next one is taken.
    await teacher.send_text("字" * limit)
    await teacher.wait_for_message(contains="发给谁")


async def test_cancel_leaves_nothing_queued(harness: Harness) -> None:
    users = await school(harness, "T01", "S001")
    teacher = users["T01"]
    menu = await compose(harness, teacher)
    summary = await choose(harness, teacher, menu, "初二(3)班")
    send = teacher.button(summary, "发送")
    await tap(teacher, summary, "取消")
    await teacher.wait_for_message(contains="已取消")
    query = await teacher.press(summary["message_id"], send)
    await teacher.answered(query)
    await teacher.wait_for_message(contains="草稿已经不在")
    await harness.delivered()
    assert await notice_rows(harness) == []
    assert copies(users["S001"]) == []
    # Text typed after cancelling is not taken as a notice.
    await teacher.send_text("随便说一句")
    await teacher.wait_for_message(contains="没有发给任何人")


async def bureau_school_notice(harness: Harness, bureau: FakeUser) -> tuple[int, dict]:
    """The bureau sends a notice needing confirmation to 城关一中 with a double tap on Send."""
    menu = await compose(harness, bureau)
    mark = harness.api.mark()
    await tap(bureau, menu, "需要确认")
    await bureau.wait_for_message(contains="发给谁", since=mark)
    assert "☑" in str(current(bureau, menu)["reply_markup"])
    mark = harness.api.mark()
    await tap(bureau, menu, "一所学校")
    await bureau.wait_for_message(contains="发给谁", since=mark)
    summary = await choose(harness, bureau, menu, "城关一中")
    assert "需要对方点“已读”确认" in summary["text"]
    send = bureau.button(summary, "发送")
    first = await bureau.press(summary["message_id"], send)
    second = await bureau.press(summary["message_id"], send)
    await bureau.answered(first)
    await bureau.answered(second)
    await bureau.wait_for_message(contains="已经发过了")
    sent = await bureau.wait_for_message(contains="已发送")
    [row] = await notice_rows(harness)
    return int(row["id"]), sent


RECIPIENTS = ("S001", "S002", "S003", "S005", "T01", "A01")


async def test_school_notice_with_confirmation_counts_receipts(harness: Harness) -> None:
    users = await school(harness, "B01", *RECIPIENTS, "S901", "T91")
    bureau = users["B01"]
    notice_id, sent = await bureau_school_notice(harness, bureau)
    await harness.delivered()
    for number in RECIPIENTS:
        [copy] = copies(users[number])
        assert f"nt:{notice_id}:ok" in str(copy["reply_markup"])
    assert copies(users["S901"]) == copies(users["T91"]) == []
    assert "Got it" in str(copies(users["S003"])[0]["reply_markup"])

    for number in ("S001", "S002"):
        answer = await tap(users[number], copies(users[number])[0], "已读")
        assert "谢谢" in answer["text"]
    # The button goes once tapped; a forged second tap is recorded once.
    assert "reply_markup" not in copies(users["S001"])[0]
    query = await users["S001"].press(copies(users["S001"])[0]["message_id"], f"nt:{notice_id}:ok")
    assert "已经确认过" in (await users["S001"].answered(query))["text"]
    query = await users["S901"].press(
        users["S901"].messages[-1]["message_id"], f"nt:{notice_id}:ok"
    )
    assert "不是发给你" in (await users["S901"].answered(query))["text"]

    mark = harness.api.mark()
    await tap(bureau, sent, "查看情况")
    report = await bureau.wait_for_message(contains="📊", since=mark)
    text = report["text"]
    assert "共 10 人：已送达 6，发送中 0，失败 0" in text
    assert "没有绑定账号 4" in text  # S004, T02, D01, C01
    assert "已确认：2 / 6" in text
    assert "城关一中 初二(3)班：确认 2/4" in text
    assert "城关一中 初二(4)班：确认 0/1" in text
    assert "城关一中 教职工：确认 0/5" in text
    # Refresh redraws the same message with the newest counts.
    await tap(users["S003"], copies(users["S003"])[0], "Got it")
    mark = harness.api.mark()
    await tap(bureau, report, "刷新")
    refreshed = await bureau.wait_for_message(contains="已确认：3 / 6", since=mark)
    assert refreshed["message_id"] == report["message_id"]


async def test_remind_reaches_only_the_unconfirmed_once_an_hour(harness: Harness) -> None:
    users = await school(harness, "B01", *RECIPIENTS)
    bureau = users["B01"]
    notice_id, sent = await bureau_school_notice(harness, bureau)
    await harness.delivered()
    for number in ("S001", "T01"):
        await tap(users[number], copies(users[number])[0], "已读")
    mark = harness.api.mark()
    await tap(bureau, sent, "查看情况")
    report = await bureau.wait_for_message(contains="📊", since=mark)

    answer = await tap(bureau, report, "提醒")
    assert "已提醒 4 位" in answer["text"]
    await harness.delivered()
    for number in ("S002", "S005", "A01"):
        [reminder] = copies(users[number], "🔔 提醒")
        assert f"nt:{notice_id}:ok" in str(reminder["reply_markup"])
    assert copies(users["S003"], "🔔 Reminder")
    for number in ("S001", "T01"):
        assert copies(users[number], "🔔 提醒") == []

    answer = await tap(bureau, report, "提醒")
    assert "60 分钟后" in answer["text"]
    # A reminder's own button records the receipt.
    await tap(users["S002"], copies(users["S002"], "🔔 提醒")[0], "已读")
    harness.clock.advance(minutes=61)
    answer = await tap(bureau, report, "提醒")
    assert "已提醒 3 位" in answer["text"]
    await harness.delivered()
    assert len(copies(users["S002"], "🔔 提醒")) == 1
    assert len(copies(users["S005"], "🔔 提醒")) == 2


async def test_withdraw_stops_the_rest_and_deletes_what_was_sent(harness: Harness) -> None:
    users = await school(harness, "B01", *RECIPIENTS)
    bureau = users["B01"]
    # One student's copy keeps failing with a server error, so it is still waiting.
    harness.api.inject("500", method="sendMessage", chat_id=USER_IDS["S005"])
    _, sent = await bureau_school_notice(harness, bureau)
    await harness.delivered()
    assert copies(users["S005"]) == []
    await tap(users["S001"], copies(users["S001"])[0], "已读")
    await tap(bureau, sent, "查看情况")
    report = await bureau.wait_for_message(contains="📊")
    await tap(bureau, report, "提醒")
    await harness.delivered()

    mark = harness.api.mark()
    await tap(bureau, report, "撤回")
    ask = await bureau.wait_for_message(contains="确定要撤回", since=mark)
    await tap(bureau, ask, "确定撤回")
    done = await bureau.wait_for_message(contains="已撤回", since=mark)
    # Five copies and four reminders were sent; S005's copy had not gone.
    assert "停止发送 1 份，正在删除 9 份" in done["text"]
    harness.api.clear_faults()
    await harness.delivered()
    for number in RECIPIENTS:
        assert copies(users[number]) == [], number
        assert copies(users[number], "🔔 提醒") == [], number
    rows = await harness.svc.db.fetchall(
        "SELECT o.status FROM notice_recipients r JOIN outbox o ON o.id = r.outbox_id"
        " WHERE r.person_id = (SELECT id FROM people WHERE number = 'S005')"
    )
    assert [r["status"] for r in rows] == ["cancelled"]
    mark = harness.api.mark()
    await tap(bureau, done, "查看情况")
    final = await bureau.wait_for_message(contains="📊", since=mark)
    assert "已删除 9 份，正在删除 0 份，没能删除 0 份" in final["text"]
    assert "提醒未确认" not in str(final["reply_markup"])
    [row] = await notice_rows(harness)
    assert row["withdrawn_at"] is not None


async def test_copies_older_than_48_hours_are_reported_not_deleted(harness: Harness) -> None:
    users = await school(harness, "B01", "S001", "S002")
    svc = harness.svc
    bureau = await viewer_of(harness, "B01")
    queued = await sending.queue_notice(svc, Audience("students"), TEXT, author=bureau)
    await harness.delivered()
    assert queued.queued == 2
    harness.clock.advance(hours=49)
    notice = await notice_store.notice_by_id(svc.db, queued.notice_id)
    assert notice is not None
    outcome = await withdrawal.withdraw(svc, notice)
    assert (outcome.stopped, outcome.deleting, outcome.too_old) == (0, 0, 2), outcome
    assert (await withdrawal.withdraw(svc, notice)).status == "already"
    assert all(copies(users[n]) for n in ("S001", "S002"))


async def test_receipts_export_is_a_document_reply(harness: Harness) -> None:
    users = await school(harness, "B01", *RECIPIENTS)
    bureau = users["B01"]
    _, sent = await bureau_school_notice(harness, bureau)
    await harness.delivered()
    await tap(users["S002"], copies(users["S002"])[0], "已读")
    await tap(bureau, sent, "查看情况")
    report = await bureau.wait_for_message(contains="📊")
    mark = harness.api.mark()
    await tap(bureau, report, "导出")
    call = await harness.api.wait_for(lambda c: c.method == "sendDocument", since=mark)
    assert int(call.params["chat_id"]) == USER_IDS["B01"]
    [document] = [d for d in harness.api.documents if d["chat"]["id"] == USER_IDS["B01"]]
    book = load_workbook(io.BytesIO(document["file_bytes"]))
    summary, receipts = book.worksheets
    assert summary["B1"].value == "#1"
    rows = list(receipts.iter_rows(values_only=True))
    assert rows[0][:6] == ("学校", "班级", "编号", "姓名", "身份", "送达情况")
    by_number = {r[2]: r for r in rows[1:]}
    assert len(by_number) == 10
    assert by_number["S002"][5] == "已送达" and by_number["S002"][7]
    assert by_number["S001"][5] == "已送达" and not by_number["S001"][7]
    assert by_number["S004"][5] == "未绑定账号"
    action = await harness.svc.db.scalar("SELECT action FROM audit WHERE scope = 'notice:1'")
    assert action == "notice_receipts_export"


async def crowd(harness: Harness, count: int) -> list[FakeUser]:
    """The seed school plus `count` students of 初二(3)班 with linked accounts."""
    extra = "".join(f"S{100 + i},学生{i},城关一中,初二(3)班,,,,zh-CN,yes\n" for i in range(count))
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV + extra)
    svc = harness.svc
    users = []
    async with svc.db.transaction() as tx:
        for i in range(count):
            user_id = 5000 + i
            users.append(harness.api.user(user_id, f"学生{i}", started=True))
            person_id = await tx.execute(
                "SELECT id FROM people WHERE number = ?", (f"S{100 + i}",)
            )
            row = await person_id.fetchone()
            assert row is not None
            await people.bind_account(tx, row[0], user_id, user_id, "zh-CN", svc.now())
    return users


@pytest.mark.paced
async def test_restart_mid_notice_completes_without_second_copies(harness: Harness) -> None:
    students = await crowd(harness, 40)
    teacher = (await school_users(harness, "T01"))["T01"]
    assert teacher is not None
    author = await viewer_of(harness, "T01")
    # Slow sends, so the stop comes with copies sent, in flight and not yet claimed.
    harness.api.inject("latency", method="sendMessage", delay=0.2)
    queued = await sending.queue_notice(
        harness.svc,
        Audience("class", class_id=await class_id(harness, "初二(3)班")),
        TEXT,
        needs_confirmation=True,
        author=author,
    )
    assert queued.queued == 40
    await harness.api.until(
        lambda: True if sum(bool(copies(u)) for u in students) >= 5 else None,
        timeout=10,
        explain=lambda: "no copies went out",
    )
    await harness.restart()
    sent_at_restart = sum(bool(copies(u)) for u in students)
    assert sent_at_restart < 40
    await harness.delivered(timeout=30)
    harness.clock.advance(seconds=5)
    await harness.delivered(timeout=30)
    assert [len(copies(u)) for u in students] == [1] * 40
    notice = await notice_store.notice_by_id(harness.svc.db, queued.notice_id)
    assert notice is not None
    report = await receipts.report_text(harness.svc, "zh-CN", notice)
    assert "共 44 人：已送达 40" in report
    assert "重发" not in report


async def test_copies_in_flight_at_a_kill_are_resent_and_counted(harness: Harness) -> None:
    students = await crowd(harness, 6)
    queued = await sending.queue_notice(
        harness.svc, Audience("class", class_id=await class_id(harness, "初二(3)班")), TEXT
    )
    await harness.delivered()
    await harness.stop()
    # As if killed after two sends left but before they were recorded.
    db = await Database.open(harness.config.general.database)
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE outbox SET status = 'sending' WHERE id IN (SELECT outbox_id"
            " FROM notice_recipients WHERE notice_id = ? AND outbox_id IS NOT NULL"
            " ORDER BY outbox_id LIMIT 2)",
            (queued.notice_id,),
        )
    await db.close()
    await harness.start()
    await harness.delivered()
    assert sorted(len(copies(u)) for u in students) == [1, 1, 1, 1, 2, 2]
    notice = await notice_store.notice_by_id(harness.svc.db, queued.notice_id)
    assert notice is not None
    report = await receipts.report_text(harness.svc, "zh-CN", notice)
    assert "有 2 份正在发送，已经重发" in report


async def school_users(harness: Harness, *numbers: str) -> dict[str, FakeUser]:
    return {
        n: await harness.onboard(n, user_id=USER_IDS[n], language_code="zh-hans") for n in numbers
    }


async def test_command_line_queues_a_notice_the_running_bot_delivers(
    harness: Harness, tmp_path: Any
) -> None:
    users = await school(harness, "S001", "S901", "T01")
    path = tmp_path / "notice.txt"
    path.write_text(TEXT + "\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    add_notice_commands(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(
        ["notice", "send", "--audience", "school:城关一中", "--text-file", str(path), "--confirm"]
    )
    assert await asyncio.to_thread(args.command, args, harness.config) == 0
    # Nobody woke the worker: it finds the rows in the database on its own.
    await users["S001"].wait_for_message(contains=TEXT, timeout=5)
    [copy] = copies(users["S001"])
    assert copy["text"].startswith("📢 通知 · 教育局")
    assert "已读" in str(copy["reply_markup"])
    await harness.delivered()
    assert copies(users["S901"]) == []
    bad = parser.parse_args(
        ["notice", "send", "--audience", "class:城关一中/九年级", "--text-file", str(path)]
    )
    assert await asyncio.to_thread(bad.command, bad, harness.config) == 1
    report = parser.parse_args(["notice", "report", "1"])
    assert await asyncio.to_thread(report.command, report, harness.config) == 0


async def test_attachment_goes_with_the_notice(harness: Harness) -> None:
    users = await school(harness, "S001", "S002")
    photo = harness.api.world.add_file(b"\x89PNG notice photo", "photo")
    svc = harness.svc
    short = await sending.queue_notice(
        svc, Audience("students"), TEXT, media=Media("photo", photo), needs_confirmation=True
    )
    await harness.delivered()
    [copy] = copies(users["S001"])
    assert "photo" in copy and f"nt:{short.notice_id}:ok" in str(copy["reply_markup"])
    # Too long for a caption: the photo first, then the text with the button.
    long_text = "通" * 2000
    await sending.queue_notice(svc, Audience("students"), long_text, media=Media("photo", photo))
    await harness.delivered()
    photo_only, text = users["S002"].messages[-2:]
    assert "photo" in photo_only and "caption" not in photo_only
    assert long_text in text["text"]
    notice = await notice_store.notice_by_id(svc.db, short.notice_id)
    assert notice is not None
    outcome = await withdrawal.withdraw(svc, notice)
    assert outcome.deleting == 2


TEACHER_OF_TWO = STAFF_CSV.replace(
    "T01,王老师,城关一中,teacher,初二(3)班,", 'T01,王老师,城关一中,teacher,"初二(3)班,初二(4)班",'
)


async def test_a_teacher_writes_to_isolated_students_of_both_classes_and_sees_who_has_not_read(
    harness: Harness,
) -> None:
    await harness.seed(staff_csv=TEACHER_OF_TWO, students_csv=STUDENTS_CSV)
    users = {
        n: await harness.onboard(n, user_id=USER_IDS[n])
        for n in ("T01", "S001", "S002", "S004", "S005")
    }
    teacher = users["T01"]
    menu = await compose(harness, teacher)
    labels = [b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert "初二(3)班" in labels and "初二(4)班" in labels
    assert any("我的全部班级" in x for x in labels)
    await tap(teacher, menu, "需要确认")
    summary = await choose(harness, teacher, menu, "隔离中的学生")
    # S001, S002, S003 (3) and S005 (4) are isolated; S004 (3) is not.
    assert "共 4 人：学生 4 人" in summary["text"]
    await tap(teacher, summary, "发送")
    await teacher.wait_for_message(contains="已发送")
    await harness.delivered()
    assert copies(users["S005"]) and not copies(users["S004"])

    [copy] = copies(users["S001"])
    await tap(users["S001"], copy, "已读")
    mark = harness.api.mark()
    await teacher.send_text("/notices")
    listing = await teacher.wait_for_message(contains="#", since=mark)
    mark = harness.api.mark()
    await tap(teacher, listing, "#")
    report = await teacher.wait_for_message(contains="还没确认", since=mark)
    line = next(x for x in report["text"].splitlines() if "还没确认" in x)
    # S003 never opened the bot: the copy did not reach them, so they are not listed.
    assert "李华" in line and "赵雷" in line and "张小明" not in line
    teacher.button(report, "提醒")
