"""People leave: a deactivated or unbound account gets nothing and can do nothing, what waited
for it is withdrawn, its open alerts go to whoever holds the role now, and the audit trail
records it; a complete staff file with --prune deactivates those it leaves out."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bot.delivery.outbox import Lane, Outgoing, enqueue
from bot.people import departures
from bot.people.roster import parse_roster
from bot.storage import people
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeUser
from tests.harness import Harness
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS
from tests.steps import answer_checkin

REPO = Path(__file__).resolve().parents[2]


async def fever_taken_by_teacher(harness: Harness) -> tuple[FakeUser, int, int]:
    """S002's fever alert, taken by T01 ("I'm on it"); returns T01, T01's id and the alert."""
    await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
    for number in ("D01", "A01", "S002"):
        await harness.onboard(number, user_id=USER_IDS[number])
    teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
    harness.clock.set(datetime(2026, 11, 30, 7, 35, tzinfo=SHANGHAI))
    await answer_checkin(harness, "S002", temperature=38.6)
    await harness.delivered()
    card = await teacher.wait_for_message(contains="李华")
    mark = harness.api.mark()
    await teacher.press(card["message_id"], teacher.button(card, "我来处理"))
    await teacher.wait_for_message(since=mark)
    row = await harness.svc.db.fetchone("SELECT id, state FROM alerts")
    assert row is not None and row["state"] == "acknowledged"
    found = await people.person_by_telegram(harness.svc.db, teacher.id)
    assert found is not None
    return teacher, found.id, int(row["id"])


async def hold_a_message(harness: Harness, person_id: int, chat_id: int) -> int:
    """A message for the person still waiting in the outbox (held, like a quiet-hours card)."""
    async with harness.svc.db.transaction() as tx:
        row_id = await enqueue(
            tx,
            Outgoing(
                dedup_key=f"test:held:{person_id}",
                lane=Lane.BULK,
                chat_id=chat_id,
                method="sendMessage",
                payload={"text": "held"},
                person_id=person_id,
                not_before=harness.svc.now() + 3600,
            ),
            now=harness.svc.now(),
        )
    assert row_id is not None
    return row_id


async def test_deactivated_teacher_gets_nothing_and_the_alert_moves_on(harness: Harness) -> None:
    teacher, teacher_id, alert_id = await fever_taken_by_teacher(harness)
    held = await hold_a_message(harness, teacher_id, teacher.id)
    person = await people.person_by_id(harness.svc.db, teacher_id)
    assert person is not None
    admin = harness.api.user(USER_IDS["A01"])
    admin_mark = harness.api.mark()

    done = await departures.leave(harness.svc, person, deactivate=True)
    await harness.delivered()

    assert done.withdrawn >= 1 and done.rerouted == 1
    db = harness.svc.db
    assert await db.scalar("SELECT status FROM outbox WHERE id = ?", (held,)) == "cancelled"
    # Nobody teaches the class now: the alert is open again and the school admin has it.
    alert = await db.fetchone("SELECT state, owner_id FROM alerts WHERE id = ?", (alert_id,))
    assert alert is not None and (alert["state"], alert["owner_id"]) == ("open", None)
    events = [r[0] for r in await db.fetchall("SELECT event FROM alert_events")]
    assert "rerouted" in events
    await admin.wait_for_message(contains="李华", since=admin_mark)
    audit = await db.fetchall("SELECT action, student_id FROM audit WHERE action LIKE 'person_%'")
    assert [tuple(r) for r in audit] == [("person_deactivated", teacher_id)]

    # The old account is treated as unknown: every command and button refused.
    for command in ("/today", "/student S002", "/release S002", "/ledger"):
        mark = harness.api.mark()
        await teacher.send_text(command)
        reply = await teacher.wait_for_message(since=mark)
        assert reply["text"] == harness.svc.catalog.t("zh-CN", "common.not_bound"), command
    card = await teacher.wait_for_message(contains="李华")
    answer = await teacher.answered(await teacher.press(card["message_id"], f"al:{alert_id}:done"))
    assert answer["text"] == harness.svc.catalog.t("zh-CN", "common.not_bound")
    still = await db.fetchone("SELECT state FROM alerts WHERE id = ?", (alert_id,))
    assert still is not None and still["state"] == "open"

    # A new alert for the class never reaches the account.
    mark = harness.api.mark()
    await answer_checkin(harness, "S002", temperature=37.5, symptoms="cough")
    await harness.delivered()
    assert not [m for m in teacher.messages if m["seq"] >= mark]

    # Importing the staff file again brings the teacher back, unbound.
    await harness.seed(staff_csv=STAFF_CSV)
    back = await db.fetchone(
        "SELECT deactivated_at, telegram_user_id FROM people WHERE id = ?", (teacher_id,)
    )
    assert back is not None and tuple(back) == (None, None)


async def test_unbound_account_is_unknown_and_its_alerts_go_to_the_others(
    harness: Harness,
) -> None:
    teacher, teacher_id, alert_id = await fever_taken_by_teacher(harness)
    person = await people.person_by_id(harness.svc.db, teacher_id)
    assert person is not None
    await departures.leave(harness.svc, person, deactivate=False)
    mark = harness.api.mark()
    await teacher.send_text("/today")
    reply = await teacher.wait_for_message(since=mark)
    assert reply["text"] == harness.svc.catalog.t("zh-CN", "common.not_bound")
    db = harness.svc.db
    row = await db.fetchone(
        "SELECT deactivated_at, chat_id FROM people WHERE id = ?", (teacher_id,)
    )
    assert row is not None and tuple(row) == (None, None)
    alert = await db.fetchone("SELECT state FROM alerts WHERE id = ?", (alert_id,))
    assert alert is not None and alert["state"] == "open"
    actions = [r[0] for r in await db.fetchall("SELECT action FROM audit")]
    assert "person_unbound" in actions


async def test_pruning_import_hands_the_class_to_its_new_teacher(harness: Harness) -> None:
    _, teacher_id, alert_id = await fever_taken_by_teacher(harness)
    newcomer = "T03,新老师,城关一中,teacher,初二(3)班,zh-CN\n"
    complete = STAFF_CSV.replace("T01,王老师,城关一中,teacher,初二(3)班,zh-CN\n", "") + newcomer
    await harness.seed(staff_csv=STAFF_CSV + newcomer)
    fresh = await harness.onboard("T03", user_id=1030)
    path = Path(harness.config.general.database).parent / "complete.csv"
    path.write_text(complete, encoding="utf-8")
    roster = parse_roster(path)
    gone = await departures.to_prune(harness.svc, roster)
    assert [p.number for p in gone] == ["T01"]
    mark = harness.api.mark()
    summary, done = await departures.import_pruning(harness.svc, roster, gone)
    await harness.delivered()
    assert done.rerouted == 1 and summary.people_updated >= 1
    await fresh.wait_for_message(contains="李华", since=mark)
    assert await people.is_deactivated(harness.svc.db, teacher_id)
    alert = await harness.svc.db.fetchone("SELECT state FROM alerts WHERE id = ?", (alert_id,))
    assert alert is not None and alert["state"] == "open"


def test_cli_people_and_pruning_import(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ndatabase = "{tmp_path / "cli.db"}"\n', encoding="utf-8")
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF_CSV, encoding="utf-8")
    shorter = tmp_path / "shorter.csv"
    shorter.write_text(STAFF_CSV.replace("T02,Ms Smith,城关一中,teacher,初二(4)班,en\n", ""))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args, "--config", str(config)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    assert cli("roster", "import", str(staff)).returncode == 0
    unknown = cli("people", "deactivate", "X99")
    assert unknown.returncode == 1 and "no person has the roster number 'X99'" in unknown.stderr
    unbound = cli("people", "unbind", "T01")
    assert unbound.returncode == 0 and "nothing to unbind" in unbound.stdout
    # --prune lists first; without --yes (and no terminal to ask) nothing happens.
    listed = cli("roster", "import", "--prune", "--dry-run", str(shorter))
    assert listed.returncode == 0 and "T02 Ms Smith (teacher)" in listed.stdout
    refused = cli("roster", "import", "--prune", str(shorter))
    assert refused.returncode == 1 and "--yes" in refused.stderr
    pruned = cli("roster", "import", "--prune", "--yes", str(shorter))
    assert pruned.returncode == 0, pruned.stderr
    assert "1 people deactivated" in pruned.stdout and "active again" in pruned.stdout
    again = cli("people", "deactivate", "T02")
    assert again.returncode == 0 and "already deactivated" in again.stderr
    done = cli("people", "deactivate", "T01")
    assert done.returncode == 0 and "T01 王老师 (teacher, 城关一中): deactivated" in done.stdout
    back = cli("roster", "import", str(staff))
    assert back.returncode == 0 and "2 who had left reactivated" in back.stdout
