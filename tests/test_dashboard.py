"""The staff dashboard over HTTP: who gets a session, what each session may read and do, and
that every view is audited and every answer uncacheable."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest

from bot.core.config import Config
from tests.conftest import SHANGHAI
from tests.fakeapi import FakeBotAPI
from tests.harness import Harness
from tests.seed import USER_IDS
from tests.test_school_plans import BOARDING
from tests.webapp import base_url, client, csrf_of, dashboard_config, init_data, launch, morning


@pytest.fixture
def config(tmp_path: Path, api: FakeBotAPI) -> Config:
    return dashboard_config(tmp_path, api)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with client() as session:
        yield session


async def get(http: aiohttp.ClientSession, harness: Harness, path: str) -> tuple[int, str]:
    async with http.get(f"{base_url(harness)}{path}", allow_redirects=False) as r:
        return r.status, await r.text()


async def audit_actions(harness: Harness, actor: str) -> list[tuple[str, int | None]]:
    rows = await harness.svc.db.fetchall(
        "SELECT a.action, a.student_id FROM audit a JOIN people p ON p.id = a.actor_id"
        " WHERE p.number = ? ORDER BY a.id",
        (actor,),
    )
    return [(r[0], r[1]) for r in rows]


async def test_launches_that_are_not_a_staff_members_own_get_401(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    await morning(harness)
    now = harness.svc.now()
    teacher = USER_IDS["T01"]
    good = init_data(teacher, now)
    refused = {
        "forged": good.replace("Test", "Evil"),
        "other bot": init_data(teacher, now, token="654321:ANOTHER-BOT-token"),
        "expired": init_data(teacher, now - 3601),
        "from the future": init_data(teacher, now + 3600),
        "no hash": init_data(teacher, now).rpartition("&hash=")[0],
        "student": init_data(USER_IDS["S001"], now),
        "stranger": init_data(4242, now),
        "garbage": "%%%",
    }
    for name, data in refused.items():
        response = await launch(http, harness, data)
        assert response.status == 401, name
        assert "Set-Cookie" not in response.headers, name
        assert response.headers["Cache-Control"] == "no-store", name
    assert not len(http.cookie_jar)
    assert (await get(http, harness, "/today"))[0] == 401
    assert (await launch(http, harness, good)).status == 200
    # The same initData again is a copy: refused even within its hour.
    async with client() as other:
        assert (await launch(other, harness, good)).status == 401
        assert (await get(other, harness, "/today"))[0] == 401


async def test_a_teacher_sees_the_class_round_flags_and_alerts_within_scope(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    m = await morning(harness)
    assert (
        await launch(http, harness, init_data(USER_IDS["T01"], harness.svc.now()))
    ).status == 200
    async with http.get(f"{base_url(harness)}/today") as r:
        page = await r.text()
        assert r.status == 200
        assert r.headers["Cache-Control"] == "no-store"
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert "晨检" in page and "李华" in page and "38.6" in page
    # 赵雷 (S005) is in the other class and 周小 (S901) in the other school.
    assert "赵雷" not in page and "周小" not in page
    status, alerts_page = await get(http, harness, "/alerts")
    assert status == 200 and "李华" in alerts_page and "赵雷" not in alerts_page
    status, student = await get(http, harness, f"/students/{m.ids['S002']}")
    assert status == 200 and "data:image/png;base64," in student
    assert (await get(http, harness, f"/students/{m.ids['S005']}"))[0] == 404
    assert (await get(http, harness, f"/students/{m.ids['S901']}"))[0] == 404
    # A teacher has no school to choose.
    assert (await get(http, harness, "/today?school=1"))[0] == 403
    actions = await audit_actions(harness, "T01")
    assert ("today", m.ids["S002"]) in actions
    assert ("dashboard_alerts", m.ids["S002"]) in actions
    assert ("student_view", m.ids["S002"]) in actions
    assert not any(sid in (m.ids["S005"], m.ids["S901"]) for _, sid in actions)


async def test_im_on_it_in_the_dashboard_updates_every_chat_card(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    m = await morning(harness)
    teacher = harness.api.user(USER_IDS["T01"])
    doctor = harness.api.user(USER_IDS["D01"])
    assert (
        await launch(http, harness, init_data(USER_IDS["T01"], harness.svc.now()))
    ).status == 200
    _status, page = await get(http, harness, "/alerts")
    alert = m.alerts["S002"]
    action = f"{base_url(harness)}/alerts/{alert}/ack"
    # Without the page's CSRF token the action is refused and nothing changes.
    async with http.post(action, data={"csrf": "forged"}, allow_redirects=False) as r:
        assert r.status == 403
    assert await harness.svc.db.scalar("SELECT state FROM alerts WHERE id = ?", (alert,)) == "open"
    mark = harness.api.mark()
    async with http.post(action, data={"csrf": csrf_of(page)}, allow_redirects=False) as r:
        assert r.status == 303
    row = await harness.svc.db.fetchone(
        "SELECT state, owner_id FROM alerts WHERE id = ?", (alert,)
    )
    assert row is not None and tuple(row) == ("acknowledged", m.ids["T01"])
    await harness.delivered()
    for user in (teacher, doctor):
        card = await user.wait_for_message(contains="王老师 正在处理", since=mark)
        assert "李华" in card["text"]
    _, page = await get(http, harness, "/alerts?done=ack")
    assert "聊天里的提醒卡片也已更新" in page and "王老师 正在处理" in page
    # Another school's alert is not the teacher's to take.
    other = f"{base_url(harness)}/alerts/{m.alerts['S901']}/ack"
    async with http.post(other, data={"csrf": csrf_of(page)}, allow_redirects=False) as r:
        assert r.status == 403


async def test_the_student_page_lists_contacts_and_trends_show_how_long_alerts_waited(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    m = await morning(harness)
    teacher = harness.api.user(USER_IDS["T01"])
    await teacher.send_text("/called S002")
    await teacher.wait_for_message(contains="已记录")
    assert (
        await launch(http, harness, init_data(USER_IDS["T01"], harness.svc.now()))
    ).status == 200
    _, student = await get(http, harness, f"/students/{m.ids['S002']}")
    contacts = student.split("近 14 天的联系记录")[1]
    assert "电话" in contacts and "王老师" in contacts and "近期没有联系记录" not in contacts
    _, other = await get(http, harness, f"/students/{m.ids['S001']}")
    assert "近期没有联系记录" in other

    harness.clock.advance(minutes=7)
    _, page = await get(http, harness, "/alerts")
    action = f"{base_url(harness)}/alerts/{m.alerts['S002']}/ack"
    async with http.post(action, data={"csrf": csrf_of(page)}, allow_redirects=False) as r:
        assert r.status == 303
    waited = await harness.svc.db.scalar(
        "SELECT acknowledged_at - opened_at FROM alerts WHERE id = ?", (m.alerts["S002"],)
    )
    minutes = round(waited / 60)
    _, trends = await get(http, harness, "/trends")
    assert f"{minutes} 分钟" in trends
    async with client() as bureau:
        now = harness.svc.now()
        assert (await launch(bureau, harness, init_data(USER_IDS["B01"], now))).status == 200
        _, county = await get(bureau, harness, "/trends")
    assert f"这段时间提醒的接手用时中位数：{minutes} 分钟" in county


async def test_a_session_ends_with_its_time_and_with_the_binding(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    await morning(harness)
    assert (
        await launch(http, harness, init_data(USER_IDS["T01"], harness.svc.now()))
    ).status == 200
    assert (await get(http, harness, "/today"))[0] == 200
    harness.clock.advance(minutes=61)
    assert (await get(http, harness, "/today"))[0] == 401


async def test_web_sends_a_single_use_link_valid_five_minutes(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    await morning(harness)
    teacher = harness.api.user(USER_IDS["T01"])
    mark = harness.api.mark()
    await teacher.send_text("/web")
    await harness.delivered()
    message = await teacher.wait_for_message(contains="/login/", since=mark)
    link = message["text"].split("\n")[-1]
    assert link.startswith(base_url(harness))
    # Fetching the link (a preview, a scanner) only shows the button.
    async with http.get(link) as r:
        assert r.status == 200 and 'id="login"' in await r.text()
    async with http.post(link, allow_redirects=False) as r:
        assert r.status == 303 and r.headers["Location"] == "/today"
    assert (await get(http, harness, "/today"))[0] == 200
    async with client() as other, other.post(link, allow_redirects=False) as r:
        assert r.status == 401
    # A second link, used too late.
    mark = harness.api.mark()
    await teacher.send_text("/web")
    await harness.delivered()
    late = (await teacher.wait_for_message(contains="/login/", since=mark))["text"].split("\n")[-1]
    harness.clock.advance(minutes=5, seconds=1)
    async with client() as other, other.post(late, allow_redirects=False) as r:
        assert r.status == 401
    student = harness.api.user(USER_IDS["S001"])
    mark = harness.api.mark()
    await student.send_text("/web")
    refusal = await student.wait_for_message(since=mark)
    assert "/login/" not in refusal["text"]


async def test_staff_get_the_dashboard_button_and_students_do_not(harness: Harness) -> None:
    await morning(harness)
    buttons = harness.api.world.menu_buttons
    teacher = buttons[USER_IDS["T01"]]
    assert teacher["type"] == "web_app"
    assert teacher["web_app"]["url"] == base_url(harness) + "/"
    assert buttons[USER_IDS["S001"]]["type"] == "commands"


async def test_a_bureau_admin_sees_every_school_and_drills_down(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    m = await morning(harness)
    assert (
        await launch(http, harness, init_data(USER_IDS["B01"], harness.svc.now()))
    ).status == 200
    status, page = await get(http, harness, "/today")
    assert status == 200 and "城关一中" in page and "实验小学" in page
    school = int(
        await harness.svc.db.scalar("SELECT id FROM schools WHERE name = ?", ("实验小学",))
    )
    status, page = await get(http, harness, f"/today?school={school}")
    assert status == 200 and "周小" in page and "李华" not in page
    for path in ("/trends", f"/trends?school={school}", "/ledger", "/notices"):
        assert (await get(http, harness, path))[0] == 200, path
    async with http.get(f"{base_url(harness)}/ledger.xlsx?from=2026-11-30&to=2026-11-30") as r:
        assert r.status == 200
        assert (await r.read())[:2] == b"PK"
    actions = await audit_actions(harness, "B01")
    assert ("dashboard_trends", None) in actions
    assert any(a == "ledger_export" for a, _ in actions)
    assert ("today", m.ids["S901"]) in actions


def slot_rows(page: str) -> list[list[str]]:
    """The cells of the slots table's rows, tags stripped."""
    table = re.search(r'<table class="slots">(.*?)</table>', page, re.S)
    assert table, "no slots table"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)[1:]
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td>(.*?)</td>", r)] for r in rows]


async def test_the_county_view_counts_every_plans_rounds_as_each_school_does(
    harness: Harness, http: aiohttp.ClientSession
) -> None:
    harness.config = dataclasses.replace(harness.config, schools=(BOARDING,))
    await harness.restart()
    await morning(harness)
    assert (
        await launch(http, harness, init_data(USER_IDS["B01"], harness.svc.now()))
    ).status == 200
    county = slot_rows((await get(http, harness, "/today"))[1])
    ids = {r[0]: int(r[1]) for r in await harness.svc.db.fetchall("SELECT name, id FROM schools")}
    own = {
        name: slot_rows((await get(http, harness, f"/today?school={ids[name]}"))[1])
        for name in ("城关一中", "实验小学")
    }
    # One row per slot of each timetable, the plan named first, the counts the school's own.
    assert [row[0] for row in county] == ["全区统一作息"] * 2 + ["实验小学"] * 2
    assert [row[1:] for row in county] == own["城关一中"] + own["实验小学"]
    assert own["实验小学"][0] == ["晨检", "06:50", "进行中", "1", "0", "0", "0"]
    assert own["城关一中"][0][:2] == ["晨检", "07:30"]


async def test_the_nightly_job_counts_yesterday_for_the_trends_ahead(harness: Harness) -> None:
    m = await morning(harness)

    async def totals() -> list[tuple[object, ...]]:
        rows = await harness.svc.db.fetchall(
            "SELECT t.local_date, s.name, t.expected, t.answered, t.fevers"
            " FROM dashboard_day_totals t JOIN schools s ON s.id = t.school_id"
            " ORDER BY t.local_date, s.name"
        )
        return [tuple(r) for r in rows]

    # While the day runs it is not counted: its rounds are still open.
    await harness.tick()
    assert await totals() == []
    harness.clock.set(datetime(2026, 11, 30, 12, 30, tzinfo=SHANGHAI))
    await harness.tick()
    assert await totals() == []
    harness.clock.set(datetime(2026, 12, 1, 3, 0, tzinfo=SHANGHAI))
    await harness.tick()
    # Both of yesterday's rounds, for every bound isolated student of each school.
    counted = await totals()
    assert counted == [
        ("2026-11-30", "城关一中", 6, 2, 2),
        ("2026-11-30", "实验小学", 2, 1, 1),
    ], counted
    assert len(m.alerts) == 3
    # Counted once: a second run (the next tick, a restart) leaves the rows as they are.
    await harness.restart()
    await harness.tick()
    assert await totals() == counted
