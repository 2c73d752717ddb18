"""/stats and /audit end to end: seeded rounds, alerts and deliveries in two schools, read back
by a school admin (their school only), a bureau admin (both) and refused for everyone else."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from bot.alerts.store import alerts as alerts_store
from bot.checkins.store import rounds as round_store
from bot.core.clock import epoch
from bot.core.i18n import Catalog
from bot.delivery import outbox
from bot.reports import stats
from bot.reports.store.stats import AlertTimes
from bot.storage import audit
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> int:
    return epoch(datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI))


async def ids(harness: Harness) -> dict[str, int]:
    rows = await harness.svc.db.fetchall("SELECT id, number FROM people")
    return {r["number"]: r["id"] for r in rows}


async def add_round(
    harness: Harness,
    day: date,
    slot: str,
    index: int,
    hour: int,
    statuses: dict[str, str],
    *,
    closed: bool = True,
) -> None:
    """A round as the scheduler opens it, then each student's outcome as the day left it."""
    people = await ids(harness)
    scheduled = at(day.day, hour, 30, day.month)
    async with harness.svc.db.transaction() as tx:
        round_id = await round_store.insert_round(
            tx,
            local_date=day.isoformat(),
            slot=slot,
            slot_index=index,
            scheduled_at=scheduled,
            closes_at=scheduled + 3 * 3600,
            state="opened",
            now=scheduled,
        )
        await round_store.add_isolated_students(
            tx, round_id, scheduled_at=scheduled, with_screen=False, now=scheduled
        )
        for number, status in statuses.items():
            cursor = await tx.execute(
                "UPDATE checkins SET status = ?, answered_at = ? WHERE round_id = ?"
                " AND student_id = ?",
                (
                    status,
                    scheduled + 300 if status == "answered" else None,
                    round_id,
                    people[number],
                ),
            )
            assert cursor.rowcount == 1, (number, day)
        if closed:
            await tx.execute(
                "UPDATE rounds SET closed_at = ? WHERE id = ?", (scheduled + 3 * 3600, round_id)
            )


async def add_alert(
    harness: Harness,
    number: str,
    kind: str,
    level: str,
    opened: int,
    *,
    ack_after: int | None = None,
    resolve_after: int | None = None,
) -> None:
    people = await ids(harness)
    async with harness.svc.db.transaction() as tx:
        alert_id = await alerts_store.insert_alert(
            tx,
            student_id=people[number],
            kind=kind,
            level=level,
            seen_at=opened,
            facts={},
            next_escalation_at=None,
            now=opened,
        )
        if ack_after is not None:
            assert await alerts_store.acknowledge(
                tx, alert_id, people["T01"], opened + ack_after * 60
            )
        if resolve_after is not None:
            assert await alerts_store.resolve(
                tx, alert_id, people["T01"], opened + resolve_after * 60
            )


async def add_delivery(harness: Harness, number: str, status: str, created: int) -> None:
    """An outbox row that ended as the delivery worker records it."""
    people = await ids(harness)
    item = outbox.Outgoing(
        dedup_key=f"test:{number}:{status}:{created}",
        lane=outbox.Lane(2),
        chat_id=900000 + people[number],
        method="sendMessage",
        payload={"text": "x"},
        person_id=people[number],
        not_before=created + 10**8,
    )
    async with harness.svc.db.transaction() as tx:
        row_id = await outbox.enqueue(tx, item, now=created)
        assert row_id is not None
        await outbox.record(tx, [outbox.Outcome(row_id, status, created + 5)])


async def seed_week(harness: Harness) -> None:
    """Five isolated students (four in 城关一中, one in 实验小学) and a week of their rounds,
    alerts and deliveries, with one of each just before the seven days."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    all_answered = dict.fromkeys(("S001", "S002", "S003"), "answered")
    await add_round(harness, date(2026, 11, 27), "morning", 0, 7, all_answered)
    await add_round(
        harness,
        date(2026, 12, 1),
        "morning",
        0,
        7,
        {"S001": "answered", "S002": "answered", "S003": "answered"}
        | {"S005": "missed", "S901": "missed"},
    )
    await add_round(
        harness,
        date(2026, 12, 1),
        "noon",
        1,
        12,
        dict.fromkeys(("S001", "S002", "S003", "S005", "S901"), "answered"),
    )
    await add_round(
        harness,
        date(2026, 12, 2),
        "morning",
        0,
        7,
        {"S001": "answered", "S002": "cancelled", "S003": "missed"}
        | {"S005": "answered", "S901": "answered"},
    )
    await add_round(
        harness,
        date(2026, 12, 4),
        "morning",
        0,
        7,
        {"S001": "answered"} | dict.fromkeys(("S002", "S003", "S005", "S901"), "open"),
        closed=False,
    )
    await add_alert(harness, "S001", "fever", "urgent", at(1, 8), ack_after=4)
    await add_alert(harness, "S002", "fever", "urgent", at(2, 8), ack_after=10, resolve_after=60)
    await add_alert(harness, "S005", "fever", "urgent", at(3, 9), resolve_after=30)
    await add_alert(harness, "S003", "mood", "warning", at(3, 10))
    await add_alert(harness, "S001", "symptoms", "info", at(20, 9, month=11), ack_after=1)
    await add_alert(harness, "S901", "fever", "urgent", at(2, 9), ack_after=100)
    await add_delivery(harness, "S001", "unknown", at(2, 7))
    await add_delivery(harness, "S002", "unknown", at(3, 7))
    await add_delivery(harness, "S003", "failed", at(3, 12))
    await add_delivery(harness, "S001", "unknown", at(20, 7, month=11))
    await add_delivery(harness, "S901", "unknown", at(1, 7))
    await add_delivery(harness, "S901", "unreachable", at(1, 12))
    harness.clock.set(NOW)


async def onboard(harness: Harness, number: str) -> FakeUser:
    return await harness.onboard(number, user_id=USER_IDS[number])


async def command(user: FakeUser, text: str) -> str:
    mark = user.api.mark()
    await user.send_text(text)
    return str((await user.wait_for_message(since=mark))["text"])


async def test_school_admin_sees_exactly_their_schools_figures(harness: Harness) -> None:
    await seed_week(harness)
    admin = await onboard(harness, "A01")
    text = await command(admin, "/stats")
    lines = text.splitlines()
    assert lines[0] == "📊 统计（截至 12-04 08:00）"
    assert "目前隔离中的学生：4 人" in lines
    assert "  居家隔离 2 人，集中隔离 1 人，在校隔离 1 人" in lines
    assert "实验小学" not in text
    assert "近 7 天各轮打卡（2026-11-28 至 2026-12-04，已打卡/应打卡）：" in lines
    rounds = [line for line in lines if line.startswith("  1") and "检" in line]
    assert rounds == [
        "  12-01 晨检：3/4，75%",
        "  12-01 午检：4/4，100%",
        "  12-02 晨检：2/3，67%",  # the cancelled check-in is not expected
        "  12-04 晨检：1/4，25%（进行中）",
    ]
    assert "11-27" not in text
    assert "  🔴 紧急：新开 3，已接手 3，已解决 2；接手用时中位数 10 分钟" in lines
    assert "  🟠 注意：新开 1，已接手 0，已解决 0" in lines
    assert "  🔵 提示：新开 0，已接手 0，已解决 0" in lines
    assert "  不确定是否送达（发出后超时）：2 条" in lines
    assert "  无法送达（对方屏蔽了机器人）：0 条" in lines
    assert "  发送失败：1 条" in lines


async def test_bureau_admin_sees_both_schools(harness: Harness) -> None:
    await seed_week(harness)
    bureau = await onboard(harness, "B01")
    lines = (await command(bureau, "/stats")).splitlines()
    assert "目前隔离中的学生：5 人" in lines
    assert "  居家隔离 3 人，集中隔离 1 人，在校隔离 1 人" in lines
    assert "  城关一中：4 人（居家隔离 2 人，集中隔离 1 人，在校隔离 1 人）" in lines
    assert "  实验小学：1 人（居家隔离 1 人）" in lines
    assert "  12-01 晨检：3/5，60%" in lines
    assert "  12-02 晨检：3/4，75%" in lines
    assert "  12-04 晨检：1/5，20%（进行中）" in lines
    assert "  🔴 紧急：新开 4，已接手 4，已解决 2；接手用时中位数 20 分钟" in lines
    assert "  不确定是否送达（发出后超时）：3 条" in lines
    assert "  无法送达（对方屏蔽了机器人）：1 条" in lines


async def test_an_unknown_delivery_shows_up_in_the_count(harness: Harness) -> None:
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    harness.clock.set(NOW)
    admin = await onboard(harness, "A01")
    assert "  不确定是否送达（发出后超时）：0 条" in (await command(admin, "/stats"))
    await add_delivery(harness, "S005", "unknown", at(4, 7, 45))
    assert "  不确定是否送达（发出后超时）：1 条" in (await command(admin, "/stats"))


async def test_everyone_but_admins_is_refused(harness: Harness) -> None:
    await seed_week(harness)
    catalog = harness.svc.catalog
    refused = catalog.t("zh-CN", "common.not_allowed")
    for number in ("T01", "D01", "C01", "S001"):
        user = await onboard(harness, number)
        for text in ("/stats", "/audit", "/audit S001"):
            assert await command(user, text) == refused, (number, text)
    stranger = harness.api.user(4242, "Nobody", language_code="zh-hans")
    assert await command(stranger, "/stats") == catalog.t("zh-CN", "common.not_bound")
    assert await command(stranger, "/audit") == catalog.t("zh-CN", "common.not_bound")
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM audit") == 0


async def test_audit_shows_a_teachers_student_view_within_scope(harness: Harness) -> None:
    await seed_week(harness)
    teacher = await onboard(harness, "T01")
    await command(teacher, "/student S001")
    admin = await onboard(harness, "A01")

    latest = (await command(admin, "/audit")).splitlines()
    assert latest == [
        "最近 1 条查看记录（最新的在前）：",
        "12-04 08:00 王老师：查看学生情况 · 张小明（S001）",
    ]

    about = (await command(admin, "/audit 张小明")).splitlines()
    assert about[0] == "张小明（S001）的健康数据被查看的记录，最近 1 条："
    assert about[1:] == ["12-04 08:00 王老师：查看学生情况 · 张小明（S001）"]
    assert await command(admin, "/audit S002") == "还没有人查看过 李华（S002）的健康数据。"

    by_staff = (await command(admin, "/audit T01")).splitlines()
    assert by_staff == [
        "王老师（T01）查看过的记录，最近 1 条：",
        "12-04 08:00 王老师：查看学生情况 · 张小明（S001）",
    ]
    assert await command(admin, "/audit D01") == "李医生（D01）还没有查看过学生的健康数据。"
    assert await command(admin, "/audit nobody") == (
        "没有找到你管理范围内学号、姓名或工号为“nobody”的人。"
    )


async def test_school_admin_never_reads_another_schools_entries(harness: Harness) -> None:
    await seed_week(harness)
    people = await ids(harness)
    # 陈老师 also covers 实验小学 and looked at its student there.
    async with harness.svc.db.transaction() as tx:
        school_two = people["S901"]
        await tx.execute(
            "INSERT INTO counselor_schools (person_id, school_id)"
            " SELECT ?, school_id FROM people WHERE id = ?",
            (people["C01"], school_two),
        )
        await audit.record(
            tx, actor_id=people["C01"], action="student_view", now=at(3, 9), student_id=school_two
        )
        await audit.record(
            tx, actor_id=people["T91"], action="ledger_export", now=at(3, 10), scope="class:3"
        )
    admin = await onboard(harness, "A01")
    assert await command(admin, "/audit") == "还没有查看记录。"
    assert await command(admin, "/audit S901") == (
        "没有找到你管理范围内学号、姓名或工号为“S901”的人。"
    )
    assert await command(admin, "/audit 周小") == (
        "没有找到你管理范围内学号、姓名或工号为“周小”的人。"
    )
    assert await command(admin, "/audit T91") == (
        "没有找到你管理范围内学号、姓名或工号为“T91”的人。"
    )
    assert await command(admin, "/audit C01") == "陈老师（C01）还没有查看过学生的健康数据。"

    bureau = await onboard(harness, "B01")
    assert (await command(bureau, "/audit")).splitlines() == [
        "最近 2 条查看记录（最新的在前）：",
        "12-03 10:00 孙老师：导出台账 · 实验小学 三年级(1)班",
        "12-03 09:00 陈老师：查看学生情况 · 周小（S901）",
    ]
    assert (await command(bureau, "/audit S901")).splitlines()[1:] == [
        "12-03 09:00 陈老师：查看学生情况 · 周小（S901）"
    ]


def test_median_percent_and_levels() -> None:
    assert stats.median([]) is None
    assert stats.median([30, 4, 10]) == 10
    assert stats.median([4, 10, 30, 100]) == 20
    assert [stats.percent(p, w) for p, w in ((3, 4), (2, 3), (1, 8), (0, 0))] == [75, 67, 13, 0]
    assert stats.minutes_text(7.5) == "7.5" and stats.minutes_text(12.0) == "12"
    figures = stats.level_figures(
        [AlertTimes("urgent", 0, 90, None), AlertTimes("warning", 0, None, None)]
    )
    assert [(f.level, f.opened, f.acknowledged, f.median_ack_minutes) for f in figures] == [
        ("urgent", 1, 1, 1.5),
        ("warning", 1, 0, None),
        ("info", 0, 0, None),
    ]


def test_english_stats_read_naturally() -> None:
    catalog = Catalog.load()
    text = stats.render_stats(
        catalog,
        "en",
        now_label="12-04 08:00",
        days=(date(2026, 11, 28), date(2026, 12, 4)),
        isolated=[],
        rounds=[],
        alerts=[AlertTimes("urgent", 0, 600, 900)],
        delivery={"unknown": 2},
        by_school=False,
    )
    lines: list[Any] = text.splitlines()
    assert "No students are in isolation right now." in lines
    assert "  🔴 URGENT: 1 opened, 1 taken on, 1 resolved; median time to take on 10 min" in lines
    assert "  Unknown (timed out after sending; may or may not have arrived): 2" in lines


async def test_audit_pages_and_shows_an_export_as_one_entry_in_words(harness: Harness) -> None:
    await seed_week(harness)
    people = await ids(harness)
    class_id = await harness.svc.db.scalar("SELECT class_id FROM people WHERE number = 'S001'")
    async with harness.svc.db.transaction() as tx:
        # 24 views of one student, a minute apart, then one ledger export of three students.
        for minute in range(24):
            await audit.record(
                tx,
                actor_id=people["T01"],
                action="student_view",
                now=at(3, 9, minute),
                student_id=people["S001"],
            )
        await audit.record_view(
            tx,
            actor_id=people["T01"],
            action="ledger_export",
            now=at(3, 10),
            student_ids=[people["S001"], people["S002"], people["S003"]],
            scope=f"class:{class_id} 2026-11-30..2026-12-03",
            rows=24,
        )
    admin = await onboard(harness, "A01")
    mark = admin.api.mark()
    await admin.send_text("/audit")
    first = await admin.wait_for_message(since=mark)
    lines = first["text"].splitlines()
    assert (
        lines[1]
        == "12-03 10:00 王老师：导出台账 · 初二(3)班 11-30 至 12-03（3 名学生，24 条记录）"
    )
    assert len(lines) == 1 + 10
    assert "class:" not in first["text"]
    with pytest.raises(AssertionError):
        admin.button(first, "较新")

    mark = admin.api.mark()
    await admin.press(first["message_id"], admin.button(first, "较早"))
    second = await admin.wait_for_message(since=mark)
    assert second["message_id"] == first["message_id"]  # the same message, edited
    lines = second["text"].splitlines()
    assert lines[1] == "12-03 09:14 王老师：查看学生情况 · 张小明（S001）"
    assert len(lines) == 1 + 10
    admin.button(second, "较新")

    mark = admin.api.mark()
    await admin.press(second["message_id"], admin.button(second, "较早"))
    third = await admin.wait_for_message(since=mark)
    assert third["text"].splitlines()[-1] == "12-03 09:00 王老师：查看学生情况 · 张小明（S001）"
    with pytest.raises(AssertionError):
        admin.button(third, "较早")
