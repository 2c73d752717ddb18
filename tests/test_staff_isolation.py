"""Staff in isolation (师生隔离): a teacher is isolated, checks in like a student, and a fever
reaches the school doctor and the school admin only."""

from __future__ import annotations

from pathlib import Path

from bot.alerts.screens import AREA
from bot.core.keyboard import callback
from bot.storage import people
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import at, data, ledger_of, rows, run_cli


async def test_an_isolated_teacher_checks_in_and_a_fever_alerts_doctor_and_admin_only(
    harness: Harness,
) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    users = {
        number: await harness.onboard(number, user_id=USER_IDS[number], language_code="zh")
        for number in ("T01", "T02", "D01", "C01", "A01", "B01", "S001")
    }
    # A class teacher may not isolate a colleague; the school admin may.
    mark = harness.api.mark()
    await users["T02"].send_text("/isolate T01")
    refused = await users["T02"].wait_for_message(since=mark)
    assert "T01" in refused["text"] and "开始隔离" not in refused["text"]
    mark = harness.api.mark()
    await users["A01"].send_text("/isolate T01")
    started = await users["A01"].wait_for_message(since=mark)
    assert "王老师" in started["text"]

    teacher = users["T01"]
    await at(harness, 7, 30)
    prompt = await teacher.wait_for_message(contains="晨检")
    assert "体温" in prompt["text"]
    mark = harness.api.mark()
    await teacher.send_text("38.6")
    step = await teacher.wait_for_message(contains="没有不适", since=mark)
    await harness.delivered()

    cards = [
        c
        for c in harness.api.calls[mark:]
        if c.method == "sendMessage" and "发热" in str(c.params.get("text"))
    ]
    told = sorted(int(c.params["chat_id"]) for c in cards)
    assert told == sorted([USER_IDS["D01"], USER_IDS["A01"]])
    assert all("教职工" in str(c.params["text"]) for c in cards)
    assert all("王老师（T01）" in str(c.params["text"]) for c in cards)

    # The rest of the check-in works as a student's does, and is stored as theirs.
    for label in ("没有不适", "🙂", "跳过", "提交"):
        mark = harness.api.mark()
        await teacher.press(step["message_id"], data(step, label))
        step = await teacher.wait_for_message(since=mark)
    assert "已提交" in step["text"]
    person = await people.person_by_telegram(harness.svc.db, USER_IDS["T01"])
    assert person is not None
    row = await harness.svc.db.fetchone(
        "SELECT status, temperature_c FROM checkins WHERE student_id = ?", (person.id,)
    )
    assert row is not None and tuple(row) == ("answered", 38.6)

    # The school admin's /today keeps isolated staff apart from the students.
    mark = harness.api.mark()
    await users["A01"].send_text("/today")
    today = (await users["A01"].wait_for_message(contains="今日概况", since=mark))["text"]
    students, staff = today.split("隔离中的教职工：1 人")
    assert "隔离中的学生：4 人" in students and "王老师" not in students
    assert "王老师（T01）：体温 38.6 °C" in staff
    # A class teacher sees neither the colleague's check-in nor the staff section.
    mark = harness.api.mark()
    await users["T02"].send_text("/today")
    theirs = (await users["T02"].wait_for_message(contains="Today", since=mark))["text"]
    assert "Staff" not in theirs and "王老师" not in theirs

    # The admin's ledger has a staff sheet after the students' days; the teacher's has none.
    book = await ledger_of(users["A01"], "/ledger")
    assert book.sheetnames[-1] == "教职工"
    staff_rows = rows(book["教职工"])
    assert staff_rows[2][:7] == ["序号", "日期", "打卡", "工号", "姓名", "学校", "隔离方式"]
    [teacher_row] = staff_rows[3:]
    assert teacher_row[3:6] == ["T01", "王老师", "城关一中"] and 38.6 in teacher_row
    assert "王老师" not in str([rows(book[name]) for name in book.sheetnames[:-1]])
    theirs_book = await ledger_of(users["T02"], "/ledger")
    assert "Staff" not in theirs_book.sheetnames


def test_cli_isolates_and_releases_a_staff_member(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ndatabase = "{tmp_path / "cli.db"}"\n', encoding="utf-8")
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF_CSV, encoding="utf-8")
    assert run_cli("roster", "import", str(staff), "--config", str(config)).returncode == 0
    started = run_cli(
        "isolation", "start", "T01", "--kind", "centralized", "--config", str(config)
    )
    assert started.returncode == 0, started.stderr
    assert "T01 王老师 (城关一中): centralized isolation started" in started.stdout
    again = run_cli("isolation", "start", "T01", "--config", str(config))
    assert again.returncode == 1 and "already in isolation" in again.stderr
    ended = run_cli("isolation", "end", "T01", "--config", str(config))
    assert ended.returncode == 0 and "isolation ended" in ended.stdout, ended.stderr
    unknown = run_cli("isolation", "start", "T77", "--config", str(config))
    assert unknown.returncode == 1 and "nobody numbered or named 'T77'" in unknown.stderr


async def test_an_isolated_teacher_gets_staff_wording_and_a_card_without_message_student(
    harness: Harness,
) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    users = {
        number: await harness.onboard(
            number, user_id=USER_IDS[number], language_code="en" if number == "T02" else "zh"
        )
        for number in ("T01", "T02", "D01", "A01")
    }
    for number in ("T01", "T02"):
        mark = harness.api.mark()
        await users["A01"].send_text(f"/isolate {number}")
        await users["A01"].wait_for_message(since=mark)
    await at(harness, 7, 30)

    # Both teachers type a fever and reach the note step: it names the school doctor.
    steps = {}
    for number, fever, none, face in (
        ("T01", "38.6", "没有不适", "🙂"),
        ("T02", "38.4", "No symptoms", "🙂"),
    ):
        teacher = users[number]
        await teacher.wait_for_message(contains="36.5")
        mark = harness.api.mark()
        await teacher.send_text(fever)
        step = await teacher.wait_for_message(contains=none, since=mark)
        for label in (none, face):
            mark = harness.api.mark()
            await teacher.press(step["message_id"], data(step, label))
            step = await teacher.wait_for_message(since=mark)
        steps[number] = step
    assert "校医" in steps["T01"]["text"] and "班主任" not in steps["T01"]["text"]
    assert "school doctor" in steps["T02"]["text"]
    assert "class teacher" not in steps["T02"]["text"]

    # The summary after sending says who will be in touch: the doctor, not a class teacher.
    mark = harness.api.mark()
    await users["T01"].send_text("嗓子有点干")
    summary = await users["T01"].wait_for_message(contains="提交", since=mark)
    mark = harness.api.mark()
    await users["T01"].press(summary["message_id"], data(summary, "提交"))
    sent = await users["T01"].wait_for_message(contains="已提交", since=mark)
    assert "校医" in sent["text"] and "班主任" not in sent["text"]

    # The cards about a colleague have no "message student" button, in either language.
    await harness.delivered()
    cards = [
        c
        for c in harness.api.calls
        if c.method == "sendMessage" and "教职工：" in str(c.params.get("text"))
    ]
    assert cards
    for card in cards:
        labels = [b["text"] for row in card.params["reply_markup"]["inline_keyboard"] for b in row]
        assert "给学生发消息" not in labels and "Message student" not in labels
        assert "打卡记录" in labels, labels
    # The note was written to the school doctor: their ledger's staff sheet shows it, the
    # school admin's only marks that there is one.
    doctor_book = await ledger_of(users["D01"], "/ledger")
    assert "嗓子有点干" in str(rows(doctor_book["教职工"]))
    admin_book = await ledger_of(users["A01"], "/ledger")
    assert "嗓子有点干" not in str([rows(admin_book[n]) for n in admin_book.sheetnames])

    # A forged "message" press on a colleague's card is refused, and no relay opens.
    doctor_card = next(c for c in cards if int(c.params["chat_id"]) == USER_IDS["D01"])
    alert_id = int(data(doctor_card.result, "打卡记录").split(":")[1])
    mark = harness.api.mark()
    query = await users["D01"].press(
        doctor_card.result["message_id"], callback(AREA, alert_id, "message")
    )
    refused = await users["D01"].answered(query)
    assert refused.get("text") == "这个按钮已失效或不属于你，请使用最新的消息。"
    assert not [c for c in harness.api.calls[mark:] if c.method == "sendMessage"]


async def test_an_isolated_teacher_s_note_is_screened_and_reaches_doctor_and_admin_only(
    harness: Harness,
) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    users = {
        number: await harness.onboard(number, user_id=USER_IDS[number], language_code="zh")
        for number in ("T01", "T02", "D01", "C01", "A01", "S001")
    }
    mark = harness.api.mark()
    await users["A01"].send_text("/isolate T01")
    await users["A01"].wait_for_message(since=mark)
    await at(harness, 7, 30)
    teacher = users["T01"]
    await teacher.wait_for_message(contains="36.5")
    mark = harness.api.mark()
    await teacher.send_text("36.6")
    step = await teacher.wait_for_message(contains="没有不适", since=mark)
    for label in ("没有不适", "🙂"):
        mark = harness.api.mark()
        await teacher.press(step["message_id"], data(step, label))
        step = await teacher.wait_for_message(since=mark)
    assert "校医" in step["text"]

    mark = harness.api.mark()
    await teacher.send_text("一个人关在酒店好几天了，我不想活了")
    care = await teacher.wait_for_message(contains="12356", since=mark)
    # Worded for an adult, with no button to a student counselor.
    assert "心理老师" not in care["text"] and not care.get("reply_markup")
    await harness.delivered()
    cards = [
        c
        for c in harness.api.calls[mark:]
        if c.method == "sendMessage" and "教职工：王老师" in str(c.params.get("text"))
    ]
    assert sorted(int(c.params["chat_id"]) for c in cards) == sorted(
        [USER_IDS["D01"], USER_IDS["A01"]]
    )
    row = await harness.svc.db.fetchone(
        "SELECT level FROM alerts WHERE kind = 'crisis' ORDER BY id DESC LIMIT 1"
    )
    assert row is not None and row[0] == "urgent"
    # The note is still stored as the answer it was meant to be.
    person = await people.person_by_telegram(harness.svc.db, USER_IDS["T01"])
    assert person is not None
    note = await harness.svc.db.fetchone(
        "SELECT note FROM checkins WHERE student_id = ?", (person.id,)
    )
    assert note is not None and "不想活" in note[0]

    # A teacher's work messages are not theirs to be screened: /msg to a student about a
    # student's words raises nothing against the teacher.
    before = await harness.svc.db.fetchone("SELECT COUNT(*) FROM alerts WHERE kind = 'crisis'")
    mark = harness.api.mark()
    await users["T02"].send_text("/msg S001 你上次说不想活了，老师很担心你")
    await users["T02"].wait_for_message(since=mark)
    after = await harness.svc.db.fetchone("SELECT COUNT(*) FROM alerts WHERE kind = 'crisis'")
    assert before is not None and after is not None and tuple(after) == tuple(before)
