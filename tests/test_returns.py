"""Return to school (返校复学) through the fake Bot API: a return for a class collects
declarations, flags the one with a recent fever, the doctor clears the rest in one tap, they are
released on the date and the held one is not; the bureau watches both schools."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.isolation.store import open_isolation
from bot.returns import opening, store
from bot.storage import people
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, STUDENTS_HEADER
from tests.steps import answer_checkin, data, ledger_of, rows, run_cli, school

TOMORROW_BUT_ONE = "2026-12-02"


async def declare(user: FakeUser, answers: str, *, photo: bool = False) -> dict[str, Any]:
    """Answer the declaration that came to the user ('y'/'n' per question), then send it."""
    step = await user.wait_for_message(contains="返校健康申报")
    for answer in answers:
        mark = user.api.mark()
        await user.press(step["message_id"], data(step, "是" if answer == "y" else "不是"))
        step = await user.wait_for_message(since=mark)
    if photo:
        mark = user.api.mark()
        await user.send_photo()
        await user.wait_for_message(contains="检测结果照片已收到", since=mark)
    mark = user.api.mark()
    await user.press(step["message_id"], data(step, "提交"))
    return await user.wait_for_message(since=mark)


async def isolated(harness: Harness, number: str) -> bool:
    [person] = [p for p, _, _ in await people.select_people(harness.svc.db) if p.number == number]
    return await open_isolation(harness.svc.db, person.id) is not None


async def test_a_class_returns_the_flagged_one_is_held_the_rest_released(
    harness: Harness,
) -> None:
    users = await school(harness, "S001", "S003", "A01", "D01", "B01", "T01")
    # A fever in S001's check-ins two days before the declaration.
    await answer_checkin(harness, "S001", temperature=38.2)

    mark = harness.api.mark()
    await users["A01"].send_text("/return 12-02 初二(3)班")
    opened = await users["A01"].wait_for_message(contains="返校安排", since=mark)
    # S001, S002 (no account) and S003 are isolated in the class; S004 is not.
    assert "3 人需要填写" in opened["text"] and "已发给 2 人" in opened["text"]

    # The bureau opens one for the other school (as `classcare return open` does).
    other = await store.schools_named(harness.svc.db, ["实验小学"])
    bureau_return = await opening.open_return(
        harness.svc,
        return_date=date.fromisoformat(TOMORROW_BUT_ONE),
        school_ids=list(other.values()),
        opened_by=None,
        now=harness.svc.now(),
    )
    assert bureau_return.people == 1

    harness.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
    await harness.delivered()
    flagged = await declare(users["S001"], "yyy", photo=True)
    assert "已提交" in flagged["text"]
    step = await users["S003"].wait_for_message(contains="Return declaration")
    for _ in range(3):
        mark = harness.api.mark()
        await users["S003"].press(step["message_id"], data(step, "Yes"))
        step = await users["S003"].wait_for_message(since=mark)
    mark = harness.api.mark()
    await users["S003"].press(step["message_id"], data(step, "Send"))
    await users["S003"].wait_for_message(contains="Sent", since=mark)

    # The doctor's list: S001 flagged by the fever in their check-ins, Tom ready, 李华 silent.
    mark = harness.api.mark()
    await users["D01"].send_text("/readiness")
    listing = await users["D01"].wait_for_message(contains="返校名单", since=mark)
    text = listing["text"]
    assert "需关注 1" in text and "可返校 1" in text and "未申报 1" in text
    assert "张小明（S001）初二(3)班 · 申报前 3 天内打卡有发热或不适" in text
    assert "Tom Lee" in text and "李华" in text and "周小" not in text

    mark = harness.api.mark()
    await users["D01"].press(listing["message_id"], data(listing, "放行全部可返校的 1 人"))
    listing = await users["D01"].wait_for_message(contains="已放行 1", since=mark)
    mark = harness.api.mark()
    await users["D01"].press(listing["message_id"], data(listing, "暂缓 张小明"))
    listing = await users["D01"].wait_for_message(contains="暂缓 1", since=mark)
    assert "暂缓返校（1 人）" in listing["text"]

    # The report: declaration, clearance and who gave it, as a spreadsheet.
    book = await ledger_of(users["D01"], "/readiness xlsx")
    table = rows(book.active)
    assert table[0][:7] == ["返校日期", "学校", "班级", "学号/工号", "姓名", "身份", "状态"]
    by_number = {r[3]: r for r in table[1:]}
    assert by_number["S001"][6] == "暂缓返校" and by_number["S001"][11] == "李医生"
    assert by_number["S001"][13] == "申报前 3 天内打卡有发热或不适"
    assert by_number["S001"][8] == "有" and by_number["S003"][8] is None
    assert by_number["S003"][6] == "已放行" and by_number["S003"][7] == "全部正常"
    assert by_number["S002"][6] == "未申报" and by_number["S002"][11] is None
    assert set(by_number) == {"S001", "S002", "S003"}

    # The school's ledger for the span of the return has the same 返校 sheet.
    ledger = await ledger_of(users["A01"], "/ledger 2026-11-30 2026-12-02")
    assert ledger.sheetnames[-1] == "返校准备情况"
    assert [r[3] for r in rows(ledger["返校准备情况"])[1:]] == ["S001", "S002", "S003"]

    # Neither the teacher nor the student can decide; the buttons are the doctor's.
    await users["T01"].send_text("/readiness")
    refused = await users["T01"].wait_for_message(contains="")
    assert "返校名单" not in refused["text"]

    # The bureau sees both schools, side by side.
    mark = harness.api.mark()
    await users["B01"].send_text("/readiness")
    bureau = (await users["B01"].wait_for_message(contains="各校返校", since=mark))["text"]
    assert "城关一中：返校 3 人，可返校 1（已放行 1），需关注 0，暂缓 1，未申报 1" in bureau
    assert "实验小学：返校 1 人" in bureau and "未申报 1" in bureau

    # The day before, at 17:00, the bureau gets the schools not ready.
    mark = harness.api.mark()
    harness.clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    warning = await users["B01"].wait_for_message(contains="明天", since=mark)
    assert "2 所学校没准备好" in warning["text"] and "城关一中：未申报 1 人" in warning["text"]

    # On the date the cleared are released with the return message; the held one is not.
    mark = harness.api.mark()
    harness.clock.set(datetime(2026, 12, 2, 0, 1, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    await users["S003"].wait_for_message(contains="Welcome back", since=mark)
    assert not await isolated(harness, "S003")
    assert await isolated(harness, "S001") and await isolated(harness, "S002")
    assert not [m for m in users["S001"].messages[-3:] if "隔离已经结束" in str(m.get("text"))]

    # Declaration, clearance and who gave it are in the audit trail.
    trail = await harness.svc.db.fetchall(
        "SELECT a.action, p.number, actor.number FROM audit a JOIN people p ON p.id = a.student_id"
        " LEFT JOIN people actor ON actor.id = a.actor_id"
        " WHERE a.action IN ('return.declare', 'return.clear', 'return.hold') ORDER BY a.id"
    )
    assert [tuple(r) for r in trail] == [
        ("return.declare", "S001", "S001"),
        ("return.declare", "S003", "S003"),
        ("return.clear", "S003", "D01"),
        ("return.hold", "S001", "D01"),
    ]


def test_cli_opens_a_return_for_several_schools(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ndatabase = "{tmp_path / "cli.db"}"\n', encoding="utf-8")
    for name, text in (("staff.csv", STAFF_CSV), ("students.csv", STUDENTS_CSV)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert (
            run_cli("roster", "import", str(tmp_path / name), "--config", str(config)).returncode
            == 0
        )
    both = ("--school", "城关一中", "--school", "实验小学")
    done = run_cli("return", "open", "--date", TOMORROW_BUT_ONE, *both, "--config", str(config))
    # Isolated: S001, S002, S003, S005 in one school and S901 in the other; nobody is linked.
    assert done.returncode == 0 and "5 people, 0 declarations queued" in done.stdout, done.stderr
    again = run_cli("return", "open", "--date", TOMORROW_BUT_ONE, *both, "--config", str(config))
    assert "0 people" in again.stdout, "someone already returning is not added twice"
    wrong = run_cli(
        "return", "open", "--date", "12/02", "--school", "城关一中", "--config", str(config)
    )
    assert wrong.returncode == 1 and "YYYY-MM-DD" in wrong.stderr
    unknown = run_cli(
        "return", "open", "--date", TOMORROW_BUT_ONE, "--school", "X", "--config", str(config)
    )
    assert unknown.returncode == 1 and "no school named 'X'" in unknown.stderr
    out = tmp_path / "readiness.xlsx"
    report = run_cli("return", "report", "--out", str(out), "--config", str(config))
    assert report.returncode == 0 and "5 returning people" in report.stdout, report.stderr
    sheet = rows(load_workbook(out).active)
    assert len(sheet) == 6 and {r[6] for r in sheet[1:]} == {"未申报"}


async def test_a_large_school_s_list_fits_one_message(harness: Harness) -> None:
    many = STUDENTS_HEADER + "".join(
        f"L{n:03d},很长名字的同学{n:03d},城关一中,初二(3)班,home,2026-11-25,,zh-CN,yes\n"
        for n in range(120)
    )
    users = await school(harness, "A01", "D01")
    await harness.seed(students_csv=many)
    mark = harness.api.mark()
    await users["A01"].send_text("/return 12-02")
    await users["A01"].wait_for_message(contains="124 人需要填写", since=mark)
    mark = harness.api.mark()
    await users["D01"].send_text("/readiness")
    listing = (await users["D01"].wait_for_message(contains="返校名单", since=mark))["text"]
    assert len(listing) <= 4096
    assert "未申报 124" in listing and "另外还有 109 人" in listing


def declarations(harness: Harness, user: FakeUser) -> int:
    return sum(
        1
        for c in harness.api.calls
        if c.method == "sendMessage"
        and c.chat_id == user.id
        and any(w in str(c.params.get("text")) for w in ("返校健康申报", "Return declaration"))
    )


async def test_an_opening_stopped_part_way_is_finished_without_asking_anyone_twice(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = await school(harness, "S001", "S003", "A01")
    [school_id] = (await store.schools_named(harness.svc.db, ["城关一中"])).values()
    # The crash: the people were added to the return, and the process died before any of
    # their declarations was queued.
    async with harness.svc.db.transaction() as tx:
        _, count = await store.open_return(
            tx,
            return_date=TOMORROW_BUT_ONE,
            audience="school",
            school_ids=[school_id],
            class_id=None,
            ending=False,
            opened_by=None,
            now=harness.svc.now(),
        )
    assert count == 4
    # After the restart the rounds job finishes the opening, and running again asks nobody twice.
    await harness.tick()
    await harness.delivered()
    await harness.tick()
    await harness.delivered()
    assert declarations(harness, users["S001"]) == 1
    assert declarations(harness, users["S003"]) == 1


async def test_a_return_opened_in_chunks_asks_everyone_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = await school(harness, "S001", "S003", "A01")
    # One person a transaction: the opening must go round its loop to reach everyone.
    monkeypatch.setattr(opening, "CHUNK", 1)
    mark = harness.api.mark()
    await users["A01"].send_text("/return 12-02 初二(3)班")
    opened = await users["A01"].wait_for_message(contains="返校安排", since=mark)
    assert "3 人需要填写" in opened["text"] and "已发给 2 人" in opened["text"]
    await harness.delivered()
    await harness.tick()
    await harness.delivered()
    assert declarations(harness, users["S001"]) == 1
    assert declarations(harness, users["S003"]) == 1
    audited = await harness.svc.db.fetchone(
        "SELECT COUNT(*) FROM audit WHERE action = 'return.open'"
    )
    assert audited is not None and audited[0] == 3
