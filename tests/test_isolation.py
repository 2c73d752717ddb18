"""Isolation lifecycle: starting mid-day includes the next slot; ending stops check-ins and
sends the return-to-school message."""

from __future__ import annotations

import dataclasses

from bot.checkins import flow
from bot.checkins.store import checkins as checkin_store
from bot.core.config import Isolation
from bot.isolation import periods as isolation
from bot.isolation.periods import Result
from tests.steps import School


async def test_starting_mid_day_includes_the_next_slot_only(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    student = await school.student("S004")
    school.at(9, 0)
    outcome = await isolation.start_isolation(
        school.svc, student, "home", actor_id=None, now=school.svc.now()
    )
    assert outcome.result is Result.STARTED and outcome.told
    assert outcome.next_slot is not None and outcome.next_slot.name == "noon"
    [hello] = await school.outbox("iso:%:start")
    assert "今天 12:30" in hello["text"]
    await school.rounds()
    assert await checkin_store.current_checkin(school.svc.db, student.id, school.svc.now()) is None
    school.at(12, 30)
    await school.rounds()
    noon = await checkin_store.current_checkin(school.svc.db, student.id, school.svc.now())
    assert noon is not None and noon.slot == "noon" and noon.status == "open"
    again = await isolation.start_isolation(
        school.svc, student, "home", actor_id=None, now=school.svc.now()
    )
    assert again.result is Result.ALREADY


async def test_release_stops_check_ins_and_sends_the_return_message(school: School) -> None:
    school.at(7, 30)
    await school.rounds()
    student = await school.student("S001")
    school.at(9, 0)
    outcome = await isolation.end_isolation(
        school.svc, student, actor_id=None, now=school.svc.now()
    )
    assert outcome.result is Result.ENDED and outcome.told
    [bye] = await school.outbox("iso:%:end")
    assert bye["chat_id"] == student.chat_id and "隔离已经结束" in bye["text"]
    # The open check-in stops: no reminder, no missed at closing, no noon prompt.
    assert (await school.checkin_of("S001")).status == "cancelled"
    school.at(9, 30)
    await school.rounds()
    assert student.chat_id not in {r["chat_id"] for r in await school.outbox("ci:%:remind:%")}
    school.at(12, 30)
    await school.rounds()
    assert (await school.checkin_of("S001")).slot == "morning"
    reply = await flow.resume(school.svc, student, "zh-CN", school.svc.now())
    assert reply.screen is not None and "不在隔离中" in reply.screen.text
    ended = await isolation.end_isolation(school.svc, student, actor_id=None, now=school.svc.now())
    assert ended.result is Result.NOT_ISOLATED


async def test_the_return_message_is_configurable(school: School) -> None:
    school.svc.config = dataclasses.replace(
        school.svc.config,
        isolation=Isolation(return_message_zh_cn="下周一返校，请带好书包。", return_message_en=""),
    )
    assert isolation.return_message(school.svc, "zh-CN") == "下周一返校，请带好书包。"
    assert "Welcome back" in isolation.return_message(school.svc, "en")
