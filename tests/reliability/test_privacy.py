"""Privacy of minors' health data: nothing sensitive in the logs, and a purge after isolation."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.checkins.store import checkins as checkin_store
from bot.core.logs import CHATTY, quiet_libraries
from bot.storage import people
from tests.fakeapi import TOKEN
from tests.harness import Harness
from tests.seed import USER_IDS
from tests.steps import NOTE, answer_with_fever_and_note


async def test_logs_hold_no_health_value_note_name_or_token(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    saved = {name: logging.getLogger(name).level for name in CHATTY}
    quiet_libraries()
    caplog.set_level(logging.DEBUG)
    try:
        student = await answer_with_fever_and_note(harness)
        await student.send_text("我不想活了")
        await student.wait_for_message(contains="12356")
        await harness.delivered()
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "nothing was logged; the test would prove nothing"
    for secret in ("38.2", NOTE, "我不想活了", "张小明", "王老师", TOKEN, TOKEN.split(":")[1]):
        assert secret not in text, f"{secret!r} leaked into the logs"


async def test_purge_blanks_answers_after_the_retention_period(harness: Harness) -> None:
    student = await answer_with_fever_and_note(harness)
    teacher = harness.api.user(USER_IDS["T01"])
    await teacher.send_text("/release S001")
    await teacher.wait_for_message(contains="已解除张小明的隔离")
    person = await people.person_by_telegram(harness.svc.db, student.id)
    assert person is not None
    before = await checkin_store.latest_checkin(harness.svc.db, person.id)
    assert before is not None and before.temperature_c == 38.2 and before.note == NOTE

    released = harness.clock.now()
    harness.clock.set(released + timedelta(days=29))
    await harness.tick()
    kept = await checkin_store.checkin_by_id(harness.svc.db, before.id)
    assert kept is not None and kept.note == NOTE

    harness.clock.set(released + timedelta(days=31))
    await harness.tick()
    after = await checkin_store.checkin_by_id(harness.svc.db, before.id)
    assert after is not None
    assert (after.temperature_c, after.note, after.mood) == (None, None, None)
    assert after.status == "answered", "the count of answered check-ins must survive"
    payloads = await harness.svc.db.fetchall(
        "SELECT payload FROM outbox WHERE person_id = ?", (person.id,)
    )
    assert payloads and all("38.2" not in r[0] and NOTE not in r[0] for r in payloads)
    alerts = await harness.svc.db.fetchall(
        "SELECT facts FROM alerts WHERE student_id = ?", (person.id,)
    )
    assert alerts and all(r[0] == "{}" for r in alerts)
