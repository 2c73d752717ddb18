"""The retention purge after review: every copy of a purged episode's health data goes (card
edits, replaced cards, digests, hashes in keys), and nothing of a later, live episode does."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from bot.reports.store import ledger
from bot.safeguarding import student_text
from bot.storage import people
from bot.storage.records import Scope
from tests.harness import Harness
from tests.seed import USER_IDS
from tests.steps import answer_checkin, answer_with_fever_and_note, at, data, school

CRISIS = "我不想活了"
CARD_WITH_FEVER = (
    "SELECT id FROM outbox WHERE dedup_key GLOB 'al:*' AND payload LIKE '%38.2%' ORDER BY id"
)


async def release(harness: Harness) -> None:
    teacher = harness.api.user(USER_IDS["T01"])
    mark = harness.api.mark()
    await teacher.send_text("/release S001")
    await teacher.wait_for_message(contains="已解除张小明的隔离", since=mark)
    await harness.delivered()


async def isolate_again(harness: Harness) -> None:
    teacher = harness.api.user(USER_IDS["T01"])
    mark = harness.api.mark()
    await teacher.send_text("/isolate S001")
    await teacher.wait_for_message(since=mark)
    await harness.delivered()


async def purge_after(harness: Harness, released: datetime, days: int) -> None:
    harness.clock.set(released + timedelta(days=days))
    await harness.tick()


async def release_and_purge(harness: Harness) -> None:
    await release(harness)
    await purge_after(harness, harness.clock.now(), 31)


async def student_id(harness: Harness) -> int:
    found = await people.person_by_telegram(harness.svc.db, USER_IDS["S001"])
    assert found is not None
    return found.id


async def test_purge_blanks_alert_card_edits(harness: Harness) -> None:
    await answer_with_fever_and_note(harness)
    teacher = harness.api.user(USER_IDS["T01"])
    card = await teacher.wait_for_message(contains="38.2")
    mark = harness.api.mark()
    await teacher.press(card["message_id"], data(card, "我来处理"))  # the doctor's card: edited
    await harness.api.wait_for(lambda c: c.method == "editMessageText", since=mark)
    await harness.delivered()
    await release_and_purge(harness)
    rows = await harness.svc.db.fetchall(
        "SELECT id, payload FROM outbox WHERE method = 'editMessageText'"
    )
    assert rows
    left = [r[0] for r in rows if "38.2" in r[1]]
    assert not left, f"edits {left} still carry 38.2 after the purge"


async def test_purge_blanks_cards_replaced_by_a_louder_one(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "D01")
    await at(harness, 7, 35)
    await answer_checkin(harness, "S001", temperature=37.5)
    await users["T01"].wait_for_message(contains="37.5")
    await at(harness, 12, 35)
    await answer_checkin(harness, "S001", temperature=38.6, slot_index=1)
    await users["T01"].wait_for_message(contains="38.6")
    await harness.delivered()
    await release_and_purge(harness)
    rows = await harness.svc.db.fetchall(
        "SELECT id, payload FROM outbox WHERE method = 'sendMessage'"
    )
    left = [r[0] for r in rows if "37.5" in r[1] or "38.6" in r[1]]
    assert not left, f"cards {left} still carry the temperatures after the purge"


async def test_purge_blanks_old_digests_and_school_reports(harness: Harness) -> None:
    await answer_with_fever_and_note(harness)
    await at(harness, 23, 0)
    sql = (
        "SELECT dedup_key, payload FROM outbox"
        " WHERE (dedup_key GLOB 'digest:*' OR dedup_key GLOB 'school_report:*')"
    )
    sent = {r[0]: r[1] for r in await harness.svc.db.fetchall(sql)}
    assert any("张小明" in p and "38.2" in p for p in sent.values())
    letters = ",".join(f"'{key}'" for key in sent)
    await release(harness)
    released = harness.clock.now()
    # Within the retention period the letters stay.
    await purge_after(harness, released, 29)
    kept = await harness.svc.db.fetchall(f"{sql} AND dedup_key IN ({letters})")
    assert {r[0]: r[1] for r in kept} == sent
    await purge_after(harness, released, 31)
    rows = await harness.svc.db.fetchall(f"{sql} AND dedup_key IN ({letters})")
    assert len(rows) == len(sent)
    left = [r[0] for r in rows if "38.2" in r[1] or "张小明" in r[1]]
    assert not left, f"{left} still name the student with 38.2 after the purge"


async def test_purge_of_old_episode_spares_the_current_one(harness: Harness) -> None:
    await answer_with_fever_and_note(harness)
    sid = await student_id(harness)
    await release(harness)
    released = harness.clock.now()
    harness.clock.set(released + timedelta(days=20))
    reisolated = harness.svc.now()
    await isolate_again(harness)
    student = await people.person_by_id(harness.svc.db, sid)
    assert student is not None
    assert await student_text.screen_student_text(harness.svc, student, CRISIS, "text:99")
    await harness.delivered()
    episodes = await harness.svc.db.fetchall(
        "SELECT ended_at FROM isolations WHERE student_id = ? ORDER BY id", (sid,)
    )
    assert len(episodes) == 2 and episodes[1][0] is None, "the second episode is ongoing"
    facts_sql = "SELECT facts FROM alerts WHERE student_id = ? AND kind = 'crisis'"
    live_facts = await harness.svc.db.scalar(facts_sql, (sid,))
    assert live_facts != "{}"
    # The escalation job runs on wall-clock time and may move the first episode's alerts on
    # after the clock jumped: their card edits are old-episode data, not the live episode's.
    old_alerts = [
        r[0]
        for r in await harness.svc.db.fetchall(
            "SELECT id FROM alerts WHERE opened_at < ?", (reisolated,)
        )
    ]
    live_rows = [
        r
        for r in await harness.svc.db.fetchall(
            "SELECT id, dedup_key, payload FROM outbox WHERE created_at >= ?", (reisolated,)
        )
        if not any(r[1].startswith(f"al:{a}:") for a in old_alerts)
    ]
    assert live_rows
    await purge_after(harness, released, 31)
    assert await harness.svc.db.scalar(
        "SELECT purged_at FROM isolations WHERE student_id = ? ORDER BY id LIMIT 1", (sid,)
    ), "the first episode was purged"
    assert await harness.svc.db.scalar(facts_sql, (sid,)) == live_facts, (
        "the ongoing episode's crisis alert lost its facts to the old purge"
    )
    ids = ",".join(str(r[0]) for r in live_rows)
    after = await harness.svc.db.fetchall(
        f"SELECT id, dedup_key, payload FROM outbox WHERE id IN ({ids})"
    )
    assert sorted(map(tuple, after)) == sorted(map(tuple, live_rows)), (
        "the live episode's messages were blanked"
    )


async def test_alert_running_into_the_next_episode_is_purged_with_it(harness: Harness) -> None:
    """An alert nobody resolved before release takes the second episode's signals: its facts
    are that episode's, so the first purge leaves it and the second one blanks it."""
    users = await school(harness, "S001", "T01", "D01")
    sid = await student_id(harness)
    await at(harness, 7, 35)
    await answer_checkin(harness, "S001", temperature=38.4)
    await users["T01"].wait_for_message(contains="38.4")
    await release(harness)
    released = harness.clock.now()
    harness.clock.set(released + timedelta(days=20))
    await isolate_again(harness)
    # Isolated again after that morning's round began: the noon round is the first to ask.
    await answer_checkin(harness, "S001", temperature=38.9, slot_index=1)
    await users["T01"].wait_for_message(contains="38.9")
    await harness.delivered()
    facts_sql = "SELECT facts FROM alerts WHERE student_id = ? AND kind = 'fever'"
    assert len(await harness.svc.db.fetchall(facts_sql, (sid,))) == 1, "one alert, merged"
    await purge_after(harness, released, 31)
    assert "38.9" in str(await harness.svc.db.scalar(facts_sql, (sid,)))
    await release(harness)
    await purge_after(harness, harness.clock.now(), 31)
    assert await harness.svc.db.scalar(facts_sql, (sid,)) == "{}"
    payloads = await harness.svc.db.fetchall("SELECT payload FROM outbox")
    assert not [r[0] for r in payloads if "38.4" in r[0] or "38.9" in r[0]]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


async def test_purge_leaves_no_reversible_hash_of_answers(harness: Harness) -> None:
    await answer_with_fever_and_note(harness)
    student = harness.api.user(USER_IDS["S001"])
    await student.send_text(CRISIS)
    await student.wait_for_message(contains="12356")
    await harness.delivered()
    await release_and_purge(harness)
    keys = [r[0] for r in await harness.svc.db.fetchall("SELECT key FROM alert_signals")]
    keys += [r[0] for r in await harness.svc.db.fetchall("SELECT dedup_key FROM outbox")]
    recovered = [
        t / 10
        for t in range(340, 426)
        if any(_digest(json.dumps({"temperature": t / 10}, sort_keys=True)) in k for k in keys)
    ]
    assert not recovered, f"temperature {recovered} recovered from the keys after the purge"
    assert not any(_digest(CRISIS) in k for k in keys), "crisis text hash kept after purge"
    assert not any(k.startswith("crisis:") for k in keys), "the keys still tell of a crisis"


async def test_ledger_still_links_purged_checkins_to_their_alerts(harness: Harness) -> None:
    await answer_with_fever_and_note(harness)
    before = await ledger.checkin_alerts(harness.svc.db, start_at=0, end_at=2**40, scope=Scope())
    assert before
    await release_and_purge(harness)
    after = await ledger.checkin_alerts(harness.svc.db, start_at=0, end_at=2**40, scope=Scope())
    assert after == before


async def test_purge_cancels_and_blanks_a_message_still_pending(harness: Harness) -> None:
    await answer_with_fever_and_note(harness)
    stuck = await harness.svc.db.scalar(CARD_WITH_FEVER)
    assert stuck is not None
    await release(harness)
    async with harness.svc.db.transaction() as tx:
        # Still retrying, long after: the worker will not reach it before the purge.
        await tx.execute(
            "UPDATE outbox SET status = 'pending', not_before = ? WHERE id = ?",
            (harness.svc.now() + 400 * 86400, stuck),
        )
    await purge_after(harness, harness.clock.now(), 31)
    row = await harness.svc.db.fetchone(
        "SELECT status, payload FROM outbox WHERE id = ?", (stuck,)
    )
    assert row is not None and (row[0], row[1]) == ("cancelled", "{}")


async def test_purge_blanks_a_message_in_flight(harness: Harness) -> None:
    await answer_with_fever_and_note(harness)
    sid = await student_id(harness)
    flying = await harness.svc.db.scalar(CARD_WITH_FEVER)
    assert flying is not None
    await release(harness)
    async with harness.svc.db.transaction() as tx:
        await tx.execute("UPDATE outbox SET status = 'sending' WHERE id = ?", (flying,))
    await purge_after(harness, harness.clock.now(), 31)
    assert await harness.svc.db.scalar(
        "SELECT purged_at FROM isolations WHERE student_id = ?", (sid,)
    )
    row = await harness.svc.db.fetchone(
        "SELECT status, payload FROM outbox WHERE id = ?", (flying,)
    )
    assert row is not None and (row[0], row[1]) == ("sending", "{}"), "the worker's to record"
    async with harness.svc.db.transaction() as tx:
        # The worker records a failed attempt to try again: the retry finds no text.
        await tx.execute("UPDATE outbox SET status = 'pending' WHERE id = ?", (flying,))
    mark = harness.api.mark()
    harness.svc.wake_outbox()
    await harness.delivered()
    row = await harness.svc.db.fetchone("SELECT status, error FROM outbox WHERE id = ?", (flying,))
    assert row is not None and row[0] == "failed" and "lacks" in row[1]
    # The other cards, delivered earlier, are overwritten with the neutral line; nothing else.
    sent = [
        c.method
        for c in harness.api.calls[mark:]
        if c.method != "getUpdates" and c.params.get("text") != "此消息已按保存期限删除"
    ]
    assert not sent, f"a blanked row went out: {sent}"


async def test_purge_deletes_crisis_review_examples_and_the_quoted_words(
    harness: Harness,
) -> None:
    await answer_with_fever_and_note(harness)
    sid = await student_id(harness)
    student = await people.person_by_id(harness.svc.db, sid)
    assert student is not None
    assert await student_text.screen_student_text(harness.svc, student, CRISIS, "text:98")
    await harness.delivered()
    counselor = harness.api.user(USER_IDS["C01"])
    card = await counselor.wait_for_message(contains="「不想活」")
    alert_id = await harness.svc.db.scalar("SELECT id FROM alerts WHERE kind = 'crisis'")
    await counselor.answered(await counselor.press(card["message_id"], f"al:{alert_id}:nc"))
    mark = harness.api.mark()
    await counselor.send_text("/missed 我想从这个世界上消失")
    await counselor.wait_for_message(contains="谢谢你", since=mark)
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM crisis_examples") == 2
    await release(harness)
    released = harness.clock.now()
    await purge_after(harness, released, 29)
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM crisis_examples") == 2
    await purge_after(harness, released, 31)
    assert await harness.svc.db.scalar("SELECT COUNT(*) FROM crisis_examples") == 0
    assert (
        await harness.svc.db.scalar("SELECT facts FROM alerts WHERE id = ?", (alert_id,)) == "{}"
    )
    rows = await harness.svc.db.fetchall("SELECT payload FROM outbox")
    assert not [r[0] for r in rows if "不想活" in r[0]], "a card still quotes the words"
