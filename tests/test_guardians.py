"""Guardians end to end: binding and greeting, answering for children, nudges, privacy."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from bot.core.clock import FakeClock
from bot.core.config import Guardians
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeBotAPI, FakeUser
from tests.harness import Harness, make_config
from tests.seed import GUARDIANS_CSV, STAFF_CSV, STUDENTS_CSV, USER_IDS

MOTHER = "13800000001"
FATHER = "13800000002"


async def seeded(harness: Harness) -> Harness:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV, guardians_csv=GUARDIANS_CSV)
    return harness


async def test_guardian_binds_and_the_greeting_names_both_children(harness: Harness) -> None:
    await seeded(harness)

    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])

    greeting = await mother.wait_for_message(contains="你好，赵妈妈")
    assert "赵雷（城关一中 初二(4)班）、周小（实验小学 三年级(1)班）的家长" in greeting["text"]
    assert "看不到其他同学" in greeting["text"]
    menu = next(
        c
        for c in harness.api.calls
        if c.method == "setMyCommands" and c.params["scope"]["chat_id"] == USER_IDS[MOTHER]
    )
    assert [c["command"] for c in menu.params["commands"]] == [
        "checkin",
        "child",
        "help",
        "language",
    ]


async def test_guardian_greeting_in_english(harness: Harness) -> None:
    await seeded(harness)

    father = await harness.onboard(FATHER, user_id=USER_IDS[FATHER], language_code="en")

    greeting = await father.wait_for_message(contains="Hello, 张爸爸")
    assert "parent or guardian of 张小明 (城关一中, 初二(3)班)" in greeting["text"]


async def at(harness: Harness, hour: int, minute: int = 0) -> None:
    """Move the clock to a time of the seeded Monday and run what is due."""
    harness.clock.set(datetime(2026, 11, 30, hour, minute, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()


def button(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for key in row:
            if label in key["text"]:
                return str(key["callback_data"])
    raise AssertionError(f"no button {label!r} in {message}")


async def answer(user: FakeUser, temperature: str, child: str) -> None:
    """Type a temperature and tap through to Submit, checking each screen names the child."""
    mark = user.api.mark()
    await user.send_text(temperature)
    step = await user.wait_for_message(contains="没有不适", since=mark)
    assert f"家长代答：{child}" in step["text"]
    for label in ("没有不适", "🙂", "跳过", "提交"):
        mark = user.api.mark()
        await user.press(step["message_id"], button(step, label))
        step = await user.wait_for_message(since=mark)
        assert f"家长代答：{child}" in step["text"]
    assert "已提交" in step["text"]


async def checkin_of(harness: Harness, number: str) -> tuple[float | None, str, int | None]:
    row = await harness.svc.db.fetchone(
        "SELECT c.temperature_c, c.status, c.answered_by FROM checkins c"
        " JOIN people p ON p.id = c.student_id WHERE p.number = ? AND p.role = 'student'",
        (number,),
    )
    assert row is not None
    return row[0], row[1], row[2]


async def test_a_mother_answers_for_two_children_in_two_classes(harness: Harness) -> None:
    await seeded(harness)
    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])
    mark = harness.api.mark()

    await at(harness, 7, 30)

    prompts = [
        c.params["text"]
        for c in harness.api.calls[mark:]
        if c.method == "sendMessage"
        and c.params["chat_id"] == USER_IDS[MOTHER]
        and "晨检" in c.params["text"]
    ]
    # Neither child linked an account: each is asked through their mother, one prompt each.
    assert len(prompts) == 2
    assert "家长代答：赵雷" in prompts[0] and "晨检" in prompts[0]
    assert "家长代答：周小" in prompts[1]
    await answer(mother, "36.6", "赵雷")
    await answer(mother, "37", "周小")

    guardian_id = await harness.svc.db.scalar("SELECT id FROM people WHERE number = ?", (MOTHER,))
    assert await checkin_of(harness, "S005") == (36.6, "answered", guardian_id)
    assert await checkin_of(harness, "S901") == (37.0, "answered", guardian_id)

    # 周小's class teacher sees who answered, everywhere the check-in shows.
    teacher = await harness.onboard("T91", user_id=USER_IDS["T91"])
    mark = harness.api.mark()
    await teacher.send_text("/today")
    today = await teacher.wait_for_message(contains="已完成 1", since=mark)
    assert "其中家长代答 1" in today["text"]
    mark = harness.api.mark()
    await teacher.send_text("/student S901")
    view = await teacher.wait_for_message(contains="周小", since=mark)
    assert "家长代答" in view.get("text", view.get("caption", ""))
    assert "家长：赵妈妈（母亲）+86 138 0000 0001" in view.get("text", view.get("caption", ""))
    mark = harness.api.mark()
    await teacher.send_text("/ledger 2026-11-30")
    await harness.api.wait_for(
        lambda c: c.method == "sendDocument" and c.params["chat_id"] == USER_IDS["T91"],
        since=mark,
    )
    document = next(m for m in reversed(teacher.messages) if m.get("document"))
    sheet = load_workbook(io.BytesIO(document["file_bytes"])).worksheets[1]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(c.endswith("家长代答") for c in cells), cells


async def test_a_parent_answering_reads_texts_about_their_child(harness: Harness) -> None:
    await seeded(harness)
    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])
    father = await harness.onboard(FATHER, user_id=USER_IDS[FATHER], language_code="en")
    mark = harness.api.mark()

    await at(harness, 7, 30)

    prompt = await mother.wait_for_message(contains="家长代答：赵雷", since=mark)
    assert "请输入孩子（赵雷）现在的体温" in prompt["text"]
    assert "你现在的体温" not in prompt["text"]
    english = await father.wait_for_message(contains="Answering for 张小明", since=mark)
    assert "What is 张小明's temperature right now?" in english["text"]
    mark = harness.api.mark()
    await mother.send_text("36.6")
    step = await mother.wait_for_message(contains="没有不适", since=mark)
    assert "孩子现在有下面这些不舒服吗" in step["text"]
    said = []
    for label in ("没有不适", "🙂", "跳过", "提交"):
        mark = harness.api.mark()
        await mother.press(step["message_id"], button(step, label))
        step = await mother.wait_for_message(since=mark)
        said.append(step["text"])
    assert "孩子今天的心情怎么样" in said[0]
    assert "关于孩子，有什么想告诉班主任的吗" in said[1]
    assert "已提交，谢谢您" in said[3]
    assert not any("你今天" in text or "谢谢你" in text for text in said)


async def test_a_parent_ticking_a_red_flag_is_told_what_to_do_for_the_child(
    harness: Harness,
) -> None:
    await seeded(harness)
    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])
    mark = harness.api.mark()
    await at(harness, 7, 30)
    await mother.wait_for_message(contains="家长代答：赵雷", since=mark)

    mark = harness.api.mark()
    await mother.send_text("abc")
    error = await mother.wait_for_message(contains="体温", since=mark)
    assert "没看懂这个体温" in error["text"]
    mark = harness.api.mark()
    await mother.send_text("37.0")
    step = await mother.wait_for_message(contains="没有不适", since=mark)
    mark = harness.api.mark()
    await mother.press(step["message_id"], button(step, "呼吸困难"))

    advice = await mother.wait_for_message(contains="⚠️", since=mark)
    assert "您给孩子（赵雷）选的这个情况可能很危险" in advice["text"]
    assert "告诉你身边的大人" not in advice["text"]


async def test_a_bound_student_is_asked_and_a_young_one_through_the_parent(
    harness: Harness,
) -> None:
    await seeded(harness)
    await harness.onboard("S001", user_id=USER_IDS["S001"])
    await harness.onboard("S901", user_id=USER_IDS["S901"])
    await harness.onboard(FATHER, user_id=USER_IDS[FATHER])
    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])
    mark = harness.api.mark()

    await at(harness, 7, 30)

    asked = sorted(
        (c.params["chat_id"], c.params["text"].split("\n")[0])
        for c in harness.api.calls[mark:]
        if c.method == "sendMessage" and "晨检" in c.params["text"]
    )
    # 张小明 (初二) answers himself; 周小 (三年级) is answered by the mother by the grade rule
    # though he has an account; 赵雷 has none, so his mother is asked for him too.
    assert asked == [
        (USER_IDS["S001"], "晨检 07:30"),
        (USER_IDS[MOTHER], "👨‍👩‍👧 家长代答：周小"),
        (USER_IDS[MOTHER], "👨‍👩‍👧 家长代答：赵雷"),
    ]
    assert mother is not None


async def test_a_guardian_cannot_press_another_childs_checkin(harness: Harness) -> None:
    await seeded(harness)
    await harness.onboard("S001", user_id=USER_IDS["S001"])
    father = await harness.onboard(FATHER, user_id=USER_IDS[FATHER])
    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])
    await at(harness, 7, 30)
    prompt = next(
        c
        for c in harness.api.calls
        if c.method == "sendMessage"
        and c.params["chat_id"] == USER_IDS[MOTHER]
        and "晨检" in c.params["text"]
    )
    no_thermometer = prompt.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    mark = harness.api.mark()

    greeting = await father.wait_for_message(contains="你好，张爸爸")
    # A forged press of the other family's button, under a message the father does have.
    await father.press(greeting["message_id"], no_thermometer)

    refused = await harness.api.wait_for(
        lambda c: c.method == "answerCallbackQuery" and bool(c.params.get("show_alert")),
        since=mark,
    )
    assert "不属于你" in refused.params["text"]
    assert (await checkin_of(harness, "S005"))[0:2] == (None, "open")
    assert mother is not None


async def test_answerer_moves_a_students_checkins_to_the_parent(harness: Harness) -> None:
    await seeded(harness)
    await harness.onboard("S001", user_id=USER_IDS["S001"])
    father = await harness.onboard(FATHER, user_id=USER_IDS[FATHER])
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])

    for typed, expected in (
        ("/answerer", "用法：/answerer"),
        ("/answerer S005 家长", "没有找到你负责范围内的这位学生"),
        ("/answerer S001 爸爸", "用法：/answerer"),
        ("/answerer S001 家长", "张小明 的健康打卡以后由家长填写"),
    ):
        mark = harness.api.mark()
        await teacher.send_text(typed)
        await teacher.wait_for_message(contains=expected, since=mark)
    mark = harness.api.mark()

    await at(harness, 7, 30)

    asked = [
        c.params["chat_id"]
        for c in harness.api.calls[mark:]
        if c.method == "sendMessage" and "晨检" in c.params["text"]
    ]
    assert asked == [USER_IDS[FATHER]]
    assert father is not None
    mark = harness.api.mark()
    await teacher.send_text("/answerer S001 默认")
    await teacher.wait_for_message(contains="恢复按学校的默认设置：由学生本人填写", since=mark)
    assert await harness.svc.db.scalar("SELECT answerer FROM people WHERE number = 'S001'") is None

    # Both changes are staff actions on a student: audited with who, whom, from and to.
    rows = await harness.svc.db.fetchall(
        "SELECT p.number, a.action, s.number FROM audit a JOIN people p ON p.id = a.actor_id"
        " JOIN people s ON s.id = a.student_id WHERE a.action LIKE 'answerer%' ORDER BY a.id"
    )
    assert [tuple(r) for r in rows] == [
        ("T01", "answerer:default:guardian", "S001"),
        ("T01", "answerer:guardian:default", "S001"),
    ]
    admin = await harness.onboard("A01", user_id=USER_IDS["A01"])
    mark = harness.api.mark()
    await admin.send_text("/audit 张小明")
    shown = await admin.wait_for_message(contains="张小明", since=mark)
    assert "王老师：更改打卡人：学校默认 → 家长 · 张小明（S001）" in shown["text"], shown["text"]
    assert "更改打卡人：家长 → 学校默认" in shown["text"]


def texts_to(harness: Harness, user_id: int, since: int) -> list[str]:
    return [
        str(c.params["text"])
        for c in harness.api.calls[since:]
        if c.method == "sendMessage" and c.params["chat_id"] == user_id
    ]


async def test_unanswered_reminds_the_child_then_the_parent_then_the_card_names_them(
    harness: Harness,
) -> None:
    await seeded(harness)
    await harness.onboard("S001", user_id=USER_IDS["S001"])
    await harness.onboard(FATHER, user_id=USER_IDS[FATHER])
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    await at(harness, 7, 30)

    mark = harness.api.mark()
    await at(harness, 8, 0)
    assert any("还没有完成" in t for t in texts_to(harness, USER_IDS["S001"], mark))
    assert texts_to(harness, USER_IDS[FATHER], mark) == []
    mark = harness.api.mark()
    await at(harness, 8, 30)
    [nudge] = texts_to(harness, USER_IDS[FATHER], mark)
    assert nudge.startswith("孩子 张小明 还没有完成晨检，10:30 截止")

    # Missed twice in a row: the class teacher's card says whom to phone.
    for hour, minute in ((10, 30), (12, 30), (13, 30), (15, 30)):
        await at(harness, hour, minute)
    card = next(
        c.params
        for c in reversed(harness.api.calls)
        if c.method == "sendMessage"
        and c.params["chat_id"] == USER_IDS["T01"]
        and "连续" in str(c.params["text"])
    )
    assert "张小明" in card["text"]
    assert "家长电话：张爸爸（父亲）+86 138 0000 0002" in card["text"]
    called = next(
        b["callback_data"]
        for row in card["reply_markup"]["inline_keyboard"]
        for b in row
        if "已给家长打电话" in b["text"]
    )
    message_id = next(
        m["message_id"] for m in reversed(teacher.messages) if "家长电话" in str(m.get("text"))
    )

    query = await teacher.press(message_id, called)

    answer = await teacher.answered(query)
    assert "这通电话处理了这条提醒" in answer["text"]
    db = harness.svc.db
    assert await db.scalar("SELECT COUNT(*) FROM contacts WHERE direction = 'call'") == 1
    assert await db.scalar("SELECT state FROM alerts WHERE kind = 'missed'") == "resolved"


async def test_a_blocked_child_is_reported_to_the_parent_too(harness: Harness) -> None:
    await seeded(harness)
    student = await harness.onboard("S001", user_id=USER_IDS["S001"])
    await harness.onboard(FATHER, user_id=USER_IDS[FATHER])
    await harness.onboard("T01", user_id=USER_IDS["T01"])
    student.block()
    mark = harness.api.mark()

    await at(harness, 7, 30)
    await harness.delivered()

    father = await harness.api.wait_for(
        lambda c: c.method == "sendMessage" and c.params["chat_id"] == USER_IDS[FATHER],
        since=mark,
    )
    assert "发不出消息" in father.params["text"] and "张小明" in father.params["text"]
    card = await harness.api.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.params["chat_id"] == USER_IDS["T01"]
            and "家长电话" in str(c.params["text"])
        ),
        since=mark,
    )
    assert "张爸爸（父亲）" in card.params["text"]


def copies_of(user: FakeUser, text: str) -> list[dict[str, Any]]:
    return [m for m in user.messages if text in str(m.get("text") or "")]


async def tap(user: FakeUser, message: dict[str, Any], label: str) -> dict[str, Any]:
    current = dict(user.chat.messages[message["message_id"]])
    query = await user.press(message["message_id"], user.button(current, label))
    return await user.answered(query)


async def test_a_class_notice_to_parents_counts_receipts_and_reminds_the_rest(
    harness: Harness,
) -> None:
    notice = "下周一复课，请家长确认已阅读并同意孩子按时返校。"
    await seeded(harness)
    father = await harness.onboard(FATHER, user_id=USER_IDS[FATHER])
    mother = await harness.onboard("13800000003", user_id=USER_IDS["13800000003"])
    student = await harness.onboard("S001", user_id=USER_IDS["S001"])
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    await teacher.send_text("/notice")
    await teacher.wait_for_message(contains="正文")
    mark = harness.api.mark()
    await teacher.send_text(notice)
    menu = await teacher.wait_for_message(contains="发给谁", since=mark)
    await tap(teacher, menu, "需要确认")
    mark = harness.api.mark()
    await tap(teacher, menu, "初二(3)班 家长")
    summary = await teacher.wait_for_message(contains="接收人", since=mark)
    assert "初二(3)班的家长" in summary["text"]
    assert "家长回执" in summary["text"] and "已阅读并同意" in summary["text"]
    assert "家长 2 人" in summary["text"]
    mark = harness.api.mark()
    await tap(teacher, summary, "发送")
    sent = await teacher.wait_for_message(contains="已发送", since=mark)
    await harness.delivered()

    # Both parents of S001 get it with the receipt button; the student does not.
    assert copies_of(student, notice) == []
    [to_father] = copies_of(father, notice)
    [to_mother] = copies_of(mother, notice)
    # A 家长回执 is agreed to, not just read: the button and the footer say so.
    assert "读完后点下面的“已阅读并同意”按钮" in to_father["text"]
    labels = [k["text"] for row in to_father["reply_markup"]["inline_keyboard"] for k in row]
    assert labels == ["✅ 已阅读并同意"]
    answer = await tap(father, to_father, "已阅读并同意")
    assert "已收到您的回执" in answer["text"]
    mark = harness.api.mark()
    await tap(teacher, sent, "查看情况")
    report = await teacher.wait_for_message(contains="📊", since=mark)
    assert "家长已阅读并同意：1 / 2" in report["text"]
    assert "还没回执的家长（1 人）" in report["text"]
    assert "张妈妈（张小明的家长）" in report["text"]

    mark = harness.api.mark()
    await tap(teacher, report, "导出")
    await harness.api.wait_for(lambda c: c.method == "sendDocument", since=mark)
    [document] = [d for d in harness.api.documents if d["chat"]["id"] == USER_IDS["T01"]]
    summary_sheet, receipts = load_workbook(io.BytesIO(document["file_bytes"])).worksheets
    assert ("已阅读并同意", 1) in list(summary_sheet.iter_rows(values_only=True))
    assert next(receipts.iter_rows(values_only=True))[7] == "同意时间"
    answer = await tap(teacher, report, "提醒")
    assert "已提醒 1 位" in answer["text"]
    await harness.delivered()
    [reminder] = copies_of(mother, "🔔 提醒")
    assert "请阅读后点“已阅读并同意”" in reminder["text"]
    assert reminder["reply_markup"]["inline_keyboard"][0][0]["text"] == "✅ 已阅读并同意"
    assert copies_of(father, "🔔 提醒") == []
    rows = await harness.svc.db.fetchall(
        "SELECT p.name, r.confirmed_at IS NOT NULL FROM notice_recipients r"
        " JOIN people p ON p.id = r.person_id ORDER BY p.name"
    )
    assert sorted(tuple(r) for r in rows) == [("张妈妈", 0), ("张爸爸", 1)]
    assert to_mother is not None


async def test_consent_is_asked_once_of_the_primary_guardian_and_shown(harness: Harness) -> None:
    await seeded(harness)
    teacher = await harness.onboard("T02", user_id=USER_IDS["T02"], language_code="en")
    await harness.onboard("13800000003", user_id=USER_IDS["13800000003"])

    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])

    # S005's roster says 否: his mother, the primary guardian, is asked; S901's says yes.
    question = await mother.wait_for_message(contains="同意孩子参加")
    assert "赵雷" in question["text"]
    db = harness.svc.db
    assert await db.scalar("SELECT COUNT(*) FROM guardian_consents") == 1
    await harness.tick()
    await harness.delivered()
    assert len([m for m in mother.messages if "同意孩子参加" in str(m.get("text"))]) == 1
    mark = harness.api.mark()
    await teacher.send_text("/student S005")
    view = await teacher.wait_for_message(contains="赵雷", since=mark)
    assert "a parent was asked on" in str(view.get("text") or view.get("caption"))

    query = await mother.press(question["message_id"], mother.button(question, "同意"))

    answer = await mother.answered(query)
    assert "已记录：您同意" in answer["text"]
    row = await db.fetchone("SELECT answer, answered_at FROM guardian_consents")
    assert row is not None and row[0] == "yes" and row[1] == harness.svc.now()
    mark = harness.api.mark()
    await teacher.send_text("/student S005")
    view = await teacher.wait_for_message(contains="赵雷", since=mark)
    assert "Guardian consent: yes (a parent agreed in the bot" in str(
        view.get("text") or view.get("caption")
    )


async def test_with_consent_waits_no_checkin_goes_out_before_consent(
    tmp_path: Path, api: FakeBotAPI, clock: FakeClock
) -> None:
    config = make_config(tmp_path, api, guardians=Guardians(consent_waits=True))
    api.now = lambda: clock.now().timestamp()
    harness = Harness(config, api, clock)
    await harness.start()
    try:
        await seeded(harness)
        student = await harness.onboard("S005", user_id=USER_IDS["S005"])
        mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])
        question = await mother.wait_for_message(contains="同意孩子参加")

        await at(harness, 7, 30)

        assert await checkin_of(harness, "S005") == (None, "not_sent", None)
        assert [m for m in student.messages if "晨检" in str(m.get("text"))] == []
        query = await mother.press(question["message_id"], mother.button(question, "同意"))
        await mother.answered(query)
        await at(harness, 12, 30)
        await student.wait_for_message(contains="午检")
    finally:
        await harness.stop()


async def test_crisis_goes_to_staff_with_the_parents_number_never_to_the_parent(
    harness: Harness,
) -> None:
    await seeded(harness)
    student = await harness.onboard("S005", user_id=USER_IDS["S005"])
    counselor = await harness.onboard("C01", user_id=USER_IDS["C01"])
    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])
    await mother.wait_for_message(contains="同意孩子参加")
    before = len(mother.messages)

    await student.send_text("我不想活了，药已经准备好了")

    card = await counselor.wait_for_message(contains="赵雷")
    assert "家长电话：赵妈妈（母亲）+86 138 0000 0001" in card["text"]
    await harness.delivered()
    assert mother.messages[before:] == []
    sent_to_mother = [
        c.params.get("text", "")
        for c in harness.api.calls
        if c.params.get("chat_id") == USER_IDS[MOTHER]
    ]
    assert not [t for t in sent_to_mother if "不想活" in str(t) or "12356" in str(t)]


async def test_a_guardians_stray_text_photo_and_commands_get_a_guardians_hint(
    harness: Harness,
) -> None:
    await seeded(harness)
    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])
    await mother.wait_for_message(contains="同意孩子参加")

    for send in (mother.send_text("你好，孩子今天怎么样？"), mother.send_text("37.2")):
        mark = harness.api.mark()
        await send
        await mother.wait_for_message(contains="继续给孩子代答打卡", since=mark)
    mark = harness.api.mark()
    await mother.send_text("/checkin")
    # Before the round, each isolated child's line says when the next check-in comes.
    await mother.wait_for_message(contains="家长代答：周小", since=mark)
    replies = [m["text"] for m in mother.messages if m["seq"] >= mark]
    heads = [r.split("\n")[0].split(" ")[-1] for r in replies]
    assert heads == ["家长代答：赵雷", "家长代答：周小"]
    assert all("下一次打卡是今天 07:30" in r for r in replies)


async def test_child_shows_a_parent_their_childrens_last_week_and_nothing_else(
    harness: Harness,
) -> None:
    await seeded(harness)
    mother = await harness.onboard(MOTHER, user_id=USER_IDS[MOTHER])
    menu = next(
        c
        for c in harness.api.calls
        if c.method == "setMyCommands" and c.params["scope"]["chat_id"] == USER_IDS[MOTHER]
    )
    assert "child" in [c["command"] for c in menu.params["commands"]]
    await at(harness, 7, 30)
    await answer(mother, "36.6", "赵雷")
    # 周小: a fever, a cough and a note for the teacher; the fever raises an alert card.
    mark = harness.api.mark()
    await mother.send_text("38.1")
    step = await mother.wait_for_message(contains="没有不适", since=mark)
    for label in ("咳嗽", "完成", "😐"):
        mark = harness.api.mark()
        await mother.press(step["message_id"], button(step, label))
        step = await mother.wait_for_message(since=mark)
    mark = harness.api.mark()
    await mother.send_text("他说晚上睡不着，不想活了")
    step = await mother.wait_for_message(contains="提交", since=mark)
    mark = harness.api.mark()
    await mother.press(step["message_id"], button(step, "提交"))
    await mother.wait_for_message(contains="已提交", since=mark)
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM alerts") >= 1
    await at(harness, 10, 31)

    mark = harness.api.mark()
    await mother.send_text("/child")
    shown = await mother.wait_for_message(contains="最近 7 天", since=mark)
    text = shown["text"]
    assert "赵雷（城关一中 初二(4)班）" in text and "周小（实验小学 三年级(1)班）" in text
    assert "11月30日（周一）晨检：36.6 °C，没有不适，心情 🙂 不错 · 您代答" in text, text
    assert "11月30日（周一）晨检：38.1 °C，咳嗽，心情 😐 一般 · 您代答" in text, text
    # Nothing but the answers: no note, no alert, no crisis, nobody else's child.
    for hidden in ("睡不着", "不想活", "提醒", "危机", "张小明", "李华"):
        assert hidden not in text, hidden
    viewed = await harness.svc.db.fetchall(
        "SELECT s.number FROM audit a JOIN people s ON s.id = a.student_id"
        " WHERE a.action = 'child_view' ORDER BY s.number"
    )
    assert [r[0] for r in viewed] == ["S005", "S901"]

    student = await harness.onboard("S001", user_id=USER_IDS["S001"])
    mark = harness.api.mark()
    await student.send_text("/child")
    await student.wait_for_message(contains="你没有权限", since=mark)
