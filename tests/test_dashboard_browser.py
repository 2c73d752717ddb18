"""The dashboard in a real browser: Debian's headless chromium, driven through its
chromedriver, against the running bot and the fake Bot API. Screenshots of each main view
go to tests/artifacts/ (ignored by git)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from bot.core.config import Config
from tests.fakeapi import FakeBotAPI
from tests.harness import Harness
from tests.seed import USER_IDS
from tests.webapp import base_url, dashboard_config, init_data, morning

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = (390, 844)
DESKTOP = (1280, 900)
T = TypeVar("T")


@pytest.fixture
def config(tmp_path: Path, api: FakeBotAPI) -> Config:
    return dashboard_config(tmp_path, api)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A fresh headless chromium: its own profile, nothing fetched from the network."""
    assert shutil.which(CHROMEDRIVER), "chromium-driver is missing: run `make setup`"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


async def off_loop(call: Callable[..., T], *args: Any) -> T:
    """Run a blocking WebDriver call in a thread: the bot serves the page on this loop."""
    return await asyncio.to_thread(call, *args)


async def wait_until(driver: webdriver.Chrome, check: Callable[[], bool], what: str) -> None:
    for _ in range(200):
        if await off_loop(check):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"browser never showed {what}; at {await address(driver)}")


# Every WebDriver call goes through off_loop, reads included: chromedriver answers a read only
# once the page has loaded, and the page is served by this loop (a read made on it waited out
# chromedriver's five-minute page-load timeout, then failed).
async def text_of(driver: webdriver.Chrome, by: str, selector: str) -> str:
    return await off_loop(lambda: driver.find_element(by, selector).text)


async def address(driver: webdriver.Chrome) -> str:
    return await off_loop(lambda: driver.current_url)


async def click(driver: webdriver.Chrome, by: str, selector: str) -> None:
    await off_loop(lambda: driver.find_element(by, selector).click())


async def open_mini_app(driver: webdriver.Chrome, harness: Harness, data: str) -> None:
    """Open the app the way Telegram does: initData in the address's fragment."""
    await off_loop(driver.get, f"{base_url(harness)}/#tgWebAppData={quote(data)}")


async def shot(driver: webdriver.Chrome, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # The whole page, not only the first screen.
    height = await off_loop(driver.execute_script, "return document.body.scrollHeight")
    width = (await off_loop(driver.get_window_size))["width"]
    await off_loop(driver.set_window_size, width, max(int(height) + 120, 600))
    assert await off_loop(driver.save_screenshot, str(path))
    assert path.stat().st_size > 5000, f"{name}: an empty screenshot"
    return path


# Draws a text twice in the page's own font: as given and as code points no font has (the
# "tofu" box). Returns how many pixels differ and how many the text inked.
GLYPH_PROBE = """
const font = getComputedStyle(document.body).fontFamily;
function draw(text) {
  const c = document.createElement("canvas");
  c.width = 160; c.height = 60;
  const g = c.getContext("2d");
  g.fillStyle = "#fff"; g.fillRect(0, 0, 160, 60);
  g.fillStyle = "#000"; g.font = "40px " + font; g.fillText(text, 4, 45);
  return g.getImageData(0, 0, 160, 60).data;
}
const real = draw(arguments[0]), tofu = draw("\\u{10FFFD}\\u{10FFFD}");
let differ = 0, ink = 0;
for (let i = 0; i < real.length; i += 4) {
  if (real[i] !== tofu[i]) differ++;
  if (real[i] < 128) ink++;
}
return [differ, ink, document.fonts.check("40px " + font, arguments[0])];
"""


async def test_a_class_teacher_takes_an_alert_from_the_mini_app(
    harness: Harness, browser: webdriver.Chrome
) -> None:
    m = await morning(harness)
    await off_loop(browser.set_window_size, *PHONE)
    await open_mini_app(browser, harness, init_data(USER_IDS["T01"], harness.svc.now()))
    await wait_until(browser, lambda: browser.current_url.endswith("/today"), "today")
    page = await text_of(browser, By.TAG_NAME, "main")
    # The class's round, its flagged student and why.
    assert "晨检" in page and "李华" in page and "38.6" in page
    assert "赵雷" not in page
    # The initData is gone from the address and the history.
    assert "tgWebAppData" not in await address(browser)
    differ, ink, loaded = await off_loop(browser.execute_script, GLYPH_PROBE, "晨检")
    assert ink > 100 and differ > 100 and loaded, "CJK text renders as boxes"
    await shot(browser, "teacher-today-phone")
    await off_loop(browser.get, f"{base_url(harness)}/alerts")
    alert = m.alerts["S002"]
    card = await text_of(browser, By.ID, f"alert-{alert}")
    assert "李华" in card and "发热" in card
    await shot(browser, "teacher-alerts-phone")
    mark = harness.api.mark()
    await click(browser, By.CSS_SELECTOR, f"#alert-{alert} button.ack")
    await wait_until(browser, lambda: "done=ack" in browser.current_url, "the action's outcome")
    assert "王老师 正在处理" in await text_of(browser, By.ID, f"alert-{alert}")
    await shot(browser, "teacher-alert-taken-phone")
    await harness.delivered()
    teacher = harness.api.user(USER_IDS["T01"])
    edited = await teacher.wait_for_message(contains="王老师 正在处理", since=mark)
    assert "李华" in edited["text"]
    assert any(
        c.method == "editMessageText" and c.params.get("chat_id") in (teacher.id, str(teacher.id))
        for c in harness.api.calls[mark:]
    )


async def test_a_bureau_admin_drills_down_from_the_county_to_a_students_chart(
    harness: Harness, browser: webdriver.Chrome
) -> None:
    await morning(harness)
    await off_loop(browser.set_window_size, *DESKTOP)
    await open_mini_app(browser, harness, init_data(USER_IDS["B01"], harness.svc.now()))
    await wait_until(browser, lambda: browser.current_url.endswith("/today"), "today")
    schools = await text_of(browser, By.CSS_SELECTOR, "table.schools")
    assert "城关一中" in schools and "实验小学" in schools
    await shot(browser, "bureau-today-desktop")
    await click(browser, By.LINK_TEXT, "实验小学")
    await wait_until(browser, lambda: "school=" in browser.current_url, "the school")
    assert "周小" in await text_of(browser, By.CSS_SELECTOR, "table.flagged")
    await shot(browser, "bureau-school-desktop")
    await click(browser, By.LINK_TEXT, "周小")
    await wait_until(browser, lambda: "/students/" in browser.current_url, "the student")
    width = await off_loop(
        browser.execute_script, "return document.querySelector('img.chart').naturalWidth"
    )
    assert width > 300, "the chart did not load"
    assert "38.6" in await text_of(browser, By.TAG_NAME, "main")
    await shot(browser, "bureau-student-desktop")
    for path, name in (("/trends", "trends"), ("/notices", "notices"), ("/ledger", "ledger")):
        await off_loop(browser.get, base_url(harness) + path)
        await shot(browser, f"bureau-{name}-desktop")
    await off_loop(browser.get, f"{base_url(harness)}/alerts")
    await shot(browser, "bureau-alerts-desktop")


FETCH_STATUS = """
const done = arguments[arguments.length - 1];
fetch("/auth/telegram", {method: "POST", body: new URLSearchParams({init_data: arguments[0]})})
  .then(r => done(r.status), () => done(0));
"""


async def test_forged_and_expired_launches_get_401_in_the_browser(
    harness: Harness, browser: webdriver.Chrome
) -> None:
    await morning(harness)
    now = harness.svc.now()
    teacher = USER_IDS["T01"]
    forged = init_data(teacher, now, token="654321:ANOTHER-BOT-token")
    expired = init_data(teacher, now - 2 * 3600)
    await open_mini_app(browser, harness, forged)
    refused = await off_loop(browser.find_element, By.ID, "refused")
    await wait_until(browser, refused.is_displayed, "the refusal")
    assert (await address(browser)).rstrip("/") == base_url(harness)
    await shot(browser, "refused-launch")
    await open_mini_app(browser, harness, expired)
    await wait_until(
        browser, lambda: browser.find_element(By.ID, "refused").is_displayed(), "refusal"
    )
    for data in (forged, expired, forged.replace("Test", "Evil")):
        status = await off_loop(browser.execute_async_script, FETCH_STATUS, data)
        assert status == 401
    await off_loop(browser.get, f"{base_url(harness)}/today")
    assert "Telegram" in await text_of(browser, By.TAG_NAME, "main")
    assert not await off_loop(browser.get_cookies)
