"""One plan per school (一校一策): a boarding school's 06:50 / 12:10 rounds run beside the county's
07:30 / 12:30 in the same bot, with their own reminders, across a restart, and the digest and
the return message follow each school's plan."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time
from pathlib import Path

import pytest

from bot.core.config import ConfigError, SchoolPlan, Slot, load_config
from bot.isolation import periods as isolation
from bot.storage import people
from tests.conftest import SHANGHAI
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import answer_checkin, data, school
from tests.test_today import command

BOARDING = SchoolPlan(
    name="实验小学",
    slots=(Slot("morning", time(6, 50)), Slot("noon", time(12, 10))),
    reminder_minutes=(20,),
    return_message_zh_cn="实验小学欢迎你回来！周一早上7点前到校门口测体温。",
)


@pytest.fixture
def planned(harness: Harness) -> Harness:
    harness.config = dataclasses.replace(harness.config, schools=(BOARDING,))
    return harness


async def at(harness: Harness, hour: int, minute: int = 0) -> int:
    """Move the clock to a time of the seeded Monday, run what is due; returns a mark."""
    mark = harness.api.mark()
    harness.clock.set(datetime(2026, 11, 30, hour, minute, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    return mark


def sent_to(harness: Harness, mark: int, words: str) -> list[int]:
    return sorted(
        int(c.params["chat_id"])
        for c in harness.api.calls[mark:]
        if c.method == "sendMessage" and words in str(c.params.get("text"))
    )


async def test_two_schools_get_rounds_at_their_own_times_across_a_restart(
    planned: Harness,
) -> None:
    harness = planned
    await harness.restart()
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    users = {
        n: await harness.onboard(n, user_id=USER_IDS[n], language_code="zh")
        for n in ("S001", "S901", "T01", "T91")
    }
    county, boarding = USER_IDS["S001"], USER_IDS["S901"]

    mark = await at(harness, 6, 50)
    assert sent_to(harness, mark, "晨检 06:50") == [boarding]
    mark = await at(harness, 7, 10)
    # The boarding school's own reminder, 20 minutes in; its window closes at 09:50.
    assert sent_to(harness, mark, "09:50") == [boarding]

    # Down across 07:30: on start the county's round opens once, the boarding one is not redone.
    await harness.stop()
    harness.clock.set(datetime(2026, 11, 30, 7, 31, tzinfo=SHANGHAI))
    mark = harness.api.mark()
    await harness.start()
    await harness.tick()
    await harness.tick()
    await harness.delivered()
    assert sent_to(harness, mark, "晨检 07:30") == [county]
    rounds = await harness.svc.db.fetchall(
        "SELECT slot, plan, scheduled_at FROM rounds ORDER BY scheduled_at"
    )
    assert [(r[0], r[1]) for r in rounds] == [("morning", "实验小学"), ("morning", "")]

    # Each answers in their own round.
    for number in ("S001", "S901"):
        mark = harness.api.mark()
        await users[number].send_text("36.6")
        step = await users[number].wait_for_message(contains="没有不适", since=mark)
        for label in ("没有不适", "🙂", "跳过", "提交"):
            mark = harness.api.mark()
            await users[number].press(step["message_id"], data(step, label))
            step = await users[number].wait_for_message(since=mark)
        assert "已提交" in step["text"]

    mark = await at(harness, 12, 10)
    assert sent_to(harness, mark, "午检 12:10") == [boarding]
    mark = await at(harness, 12, 30)
    assert sent_to(harness, mark, "午检 12:30") == [county]
    # At 12:30 the boarding school's own reminder (20 minutes in), not the county's prompt.
    assert sent_to(harness, mark, "15:10 截止") == [boarding]

    # The boarding school's day ends at 15:10: its teacher's digest goes then, the county's
    # class teacher's only after 15:30.
    mark = await at(harness, 15, 10)
    assert sent_to(harness, mark, "今日汇总") == [USER_IDS["T91"]]
    mark = await at(harness, 15, 30)
    assert sent_to(harness, mark, "今日汇总") == [USER_IDS["T01"]]

    # Released: each school's own return message.
    student = await people.person_by_telegram(harness.svc.db, boarding)
    assert student is not None
    outcome = await isolation.end_isolation(
        harness.svc, student, actor_id=None, now=harness.svc.now()
    )
    assert outcome.told
    await harness.delivered()
    await users["S901"].wait_for_message(contains="实验小学欢迎你回来")
    other = await people.person_by_telegram(harness.svc.db, county)
    assert other is not None
    await isolation.end_isolation(harness.svc, other, actor_id=None, now=harness.svc.now())
    await harness.delivered()
    bye = await users["S001"].wait_for_message(contains="隔离已经结束")
    assert "实验小学" not in bye["text"]


def test_a_school_plan_in_config_with_county_defaults_where_unset(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        """
[checkins]
reminder_minutes = [30, 60]

[[schools]]
name = "实验小学"
screen_weekday = "friday"
[[schools.slots]]
name = "morning"
time = "06:50"
[[schools.slots]]
name = "noon"
time = "12:10"
""",
        encoding="utf-8",
    )
    config = load_config(path)
    own = config.checkins_for("实验小学")
    assert [s.time for s in own.slots] == [time(6, 50), time(12, 10)]
    assert own.screen_weekday == "friday" and own.reminder_minutes == (30, 60)
    assert config.checkins_for("城关一中") == config.checkins


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[schools]]\nname = ""\n', "'schools[0].name' must name a school"),
        (
            '[[schools]]\nname = "A"\n[[schools]]\nname = "A"\n',
            "'schools[1].name' 'A' has a plan already",
        ),
        (
            '[[schools]]\nname = "A"\nscreen_weekday = "someday"\n',
            "'schools[0].screen_weekday' must be one of monday",
        ),
        (
            '[[schools]]\nname = "A"\nreminder_minutes = [200]\n',
            "'schools[0].reminder_minutes' must lie between 0 and window_minutes",
        ),
        (
            '[[schools]]\nname = "A"\n[[schools.slots]]\nname = "morning"\ntime = "7:3x"\n',
            "'schools[0].slots[0].time' must be a time of day",
        ),
        ('[[schools]]\nname = "A"\ncolour = "red"\n', "unknown key 'schools[0].colour'"),
    ],
)
def test_a_bad_school_plan_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)


def slot_block(text: str, *times: str) -> list[str]:
    """The /today lines of the slots at these times, as a school's own view shows them."""
    return [line for line in text.splitlines() if any(f" {t}：" in line for t in times)]


async def test_the_bureaus_today_shows_each_plans_rounds_with_each_schools_numbers(
    planned: Harness,
) -> None:
    harness = planned
    await harness.restart()
    users = await school(harness, "S001", "S002", "S901", "A01", "T91", "B01")
    harness.clock.set(datetime(2026, 11, 30, 7, 50, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    await answer_checkin(harness, "S001", temperature=38.6)
    await answer_checkin(harness, "S901", temperature=36.5)

    bureau = (await command(users["B01"], "/today"))["text"]
    county = (await command(users["A01"], "/today"))["text"]
    boarding = (await command(users["T91"], "/today"))["text"]
    # Each plan under its own heading, with the numbers its schools' own /today shows.
    assert "全区统一作息：" in bureau and "实验小学（本校作息）：" in bureau
    assert "晨检 06:50：已完成 1 · 填写中 0 · 未作答 0（09:50 截止）" in bureau
    assert "午检 12:10：还没开始" in bureau
    assert "晨检 07:30：已完成 1 · 填写中 0 · 未作答 1（10:30 截止）" in bureau
    assert "午检 12:30：还没开始" in bureau
    for own, times in ((county, ("07:30", "12:30")), (boarding, ("06:50", "12:10"))):
        lines = slot_block(own, *times)
        assert len(lines) == 2 and all(line in bureau.splitlines() for line in lines)
    assert bureau.index("全区统一作息") < bureau.index("07:30") < bureau.index("实验小学（本校")
    assert bureau.index("实验小学（本校") < bureau.index("06:50")
    # A school's own view keeps its one timetable, without a heading.
    assert "作息" not in county and "作息" not in boarding
