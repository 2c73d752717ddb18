"""Bureau liaisons (包联): an officer assigned to a school gets its escalations before the bureau
at large, and their /today, /stats and daily report cover their schools only."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.conftest import SHANGHAI
from tests.harness import Harness
from tests.seed import STAFF_CSV
from tests.steps import alert_row, answer_checkin, events, run_cli, school

# A second bureau officer, the liaison of 城关一中 (the seeded B01 is the bureau at large).
LIAISON_STAFF = STAFF_CSV + "B02,教育局周科长,,admin,,zh-CN\n"
B02 = 1007


async def assign(harness: Harness, number: str, *schools: str) -> None:
    """Assign as `classcare liaison assign` does, against the running bot's database."""
    config = Path(harness.config.general.database).parent / "config.toml"
    config.write_text(
        f'[general]\ndatabase = "{harness.config.general.database}"\n', encoding="utf-8"
    )
    args = [a for s in schools for a in ("--school", s)]
    done = run_cli("liaison", "assign", number, *args, "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert f"supervises {', '.join(sorted(schools))}" in done.stdout


async def test_an_escalation_reaches_the_liaison_before_the_bureau(harness: Harness) -> None:
    users = await school(harness, "S001", "T01", "A01", "B01")
    await harness.seed(staff_csv=LIAISON_STAFF)
    users["B02"] = await harness.onboard("B02", user_id=B02, language_code="zh-hans")
    await assign(harness, "B02", "城关一中")

    await answer_checkin(harness, "S001", temperature=38.2)
    await harness.delivered()
    await users["T01"].wait_for_message(contains="38.2")
    alert = await alert_row(harness, "fever")

    harness.clock.advance(minutes=10)
    await harness.tick()
    await harness.delivered()
    await users["A01"].wait_for_message(contains="38.2")

    harness.clock.advance(minutes=10)
    await harness.tick()
    await harness.delivered()
    liaison_card = await users["B02"].wait_for_message(contains="38.2")
    assert "教育局" in liaison_card["text"]
    assert not [m for m in users["B01"].messages if "38.2" in (m.get("text") or "")]

    harness.clock.advance(minutes=10)
    await harness.tick()
    await harness.delivered()
    bureau_card = await users["B01"].wait_for_message(contains="38.2")
    assert "包联负责人也还没处理" in bureau_card["text"]
    assert await events(harness, alert["id"]) == [
        "raised:urgent",
        "escalated:1",
        "escalated:2",
        "escalated:3",
    ]


async def test_the_liaisons_views_cover_their_schools_only(harness: Harness) -> None:
    users = await school(harness, "S001", "B01")
    await harness.seed(staff_csv=LIAISON_STAFF)
    users["B02"] = await harness.onboard("B02", user_id=B02, language_code="zh-hans")
    await assign(harness, "B02", "实验小学")

    for command, title in (("/today", "今日概况"), ("/stats", "")):
        mark = harness.api.mark()
        await users["B02"].send_text(command)
        mine = (await users["B02"].wait_for_message(contains=title, since=mark))["text"]
        mark = harness.api.mark()
        await users["B01"].send_text(command)
        county = (await users["B01"].wait_for_message(contains=title, since=mark))["text"]
        assert "城关一中" in county and "实验小学" in county, command
        assert "城关一中" not in mine and "实验小学" in mine, command

    # The daily report: the liaison's names their schools, the bureau's the county.
    harness.clock.set(datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI))
    await harness.tick()
    await harness.delivered()
    report = await users["B02"].wait_for_message(contains="每日健康报告")
    assert "包联学校（1 所）" in report["text"] and "城关一中" not in report["text"]
    county_report = await users["B01"].wait_for_message(contains="每日健康报告")
    assert "全区" in county_report["text"] and "城关一中" in county_report["text"]
