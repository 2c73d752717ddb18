"""The real ClassCare Application, polling the fake Bot API, on a real SQLite file."""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bot.app import AppType, build_application
from bot.core.clock import FakeClock
from bot.core.config import Config, Telegram
from bot.core.services import Services, get_services
from bot.delivery import outbox
from bot.people.onboarding import issue_invites
from bot.people.roster import parse_roster
from bot.people.store.roster import apply_roster
from bot.storage.db import Database
from bot.storage.people import select_people
from tests.fakeapi import TOKEN, FakeBotAPI, FakeUser


def make_config(
    tmp_path: Path, api: FakeBotAPI, *, paced: bool = False, **sections: Any
) -> Config:
    """Defaults pointed at the fake API and a database in tmp_path; override sections by name.

    Telegram's sending limits (30 messages a second in all, one a second per chat) are lifted
    unless `paced`: the fake API does not enforce them unless a test asks, and every reply a
    test waits for would otherwise wait its turn (the global pacing alone spent two thirds of
    the access matrix's time). Tests of pacing pass `paced` or their own `delivery`."""
    base = Config()
    delivery = base.delivery
    if not paced:
        delivery = dataclasses.replace(
            delivery, rate_per_second=1000.0, per_chat_per_second=1000.0
        )
    config = dataclasses.replace(
        base,
        general=dataclasses.replace(base.general, database=str(tmp_path / "classcare.db")),
        delivery=delivery,
        telegram=Telegram(
            base_url=api.base_url,
            base_file_url=api.base_file_url,
            bot_username="",
            poll_timeout_seconds=1,
            request_timeout_seconds=5.0,
        ),
    )
    for name, value in sections.items():
        config = dataclasses.replace(config, **{name: value})
    return config


class Harness:
    """Start, stop and restart the bot; act on its database like an operator would."""

    def __init__(self, config: Config, api: FakeBotAPI, clock: FakeClock) -> None:
        self.config = config
        self.api = api
        self.clock = clock
        self.app: AppType | None = None

    @property
    def svc(self) -> Services:
        assert self.app is not None, "the bot is not running"
        return get_services(self.app.bot_data)

    async def start(self) -> None:
        _copy_if_new(await _migrated_template(), Path(self.config.general.database))
        app = build_application(self.config, token=TOKEN, clock=self.clock)
        await app.initialize()
        # run_polling would call these hooks; a test drives the lifecycle by hand.
        assert app.post_init is not None
        await app.post_init(app)
        # Jobs run when a test says so (tick), at the fake clock's time: a repeating job firing
        # on the wall clock in the middle of a slow test acts at a moment the test did not choose
        # (an escalation fired by a loaded machine broke the access matrix). The scheduler
        # starts paused, so not even the rounds job's start-up run slips in; the JobQueue
        # leaves a running scheduler as it is.
        assert app.job_queue is not None
        app.job_queue.scheduler.start(paused=True)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1, drop_pending_updates=False)
        self.app = app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        assert app.updater is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        # run_polling would call these hooks; a test drives the lifecycle by hand.
        assert app.post_stop is not None
        await app.post_stop(app)
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def seed(
        self, *, students_csv: str = "", staff_csv: str = "", guardians_csv: str = ""
    ) -> None:
        """Import roster text exactly as `classcare roster import` would."""
        folder = Path(self.config.general.database).parent
        files = (
            ("staff.csv", staff_csv),
            ("students.csv", students_csv),
            ("guardians.csv", guardians_csv),
        )
        for name, text in files:
            if not text:
                continue
            path = folder / name
            path.write_text(text, encoding="utf-8")
            roster = parse_roster(path)
            assert not roster.errors, roster.errors
            await apply_roster(self.svc.db, roster, now=self.svc.now(), tz=self.svc.tz)

    async def invite_code(self, number: str) -> str:
        matches = [p for p, _, _ in await select_people(self.svc.db) if p.number == number]
        assert len(matches) == 1, f"expected one person numbered {number}, got {len(matches)}"
        [(_, code)] = await issue_invites(
            self.svc.db, matches, now=self.svc.now(), ttl_days=self.config.invites.ttl_days
        )
        return code

    async def onboard(
        self, number: str, *, user_id: int, language_code: str = "zh-hans", name: str = "Test"
    ) -> FakeUser:
        """Bind a roster person to a fresh fake Telegram user through a real invite link."""
        code = await self.invite_code(number)
        user = self.api.user(user_id, name, language_code=language_code)
        mark = self.api.mark()
        await user.send_text(f"/start {code}")
        await self.api.wait_for(
            lambda call: call.method == "setMyCommands" and _scope_chat(call.params) == user_id,
            since=mark,
        )
        return user

    async def tick(self) -> None:
        """Run every repeating job once, at the fake clock's current time."""
        assert self.app is not None and self.app.job_queue is not None
        for job in self.app.job_queue.jobs():
            await job.run(self.app)
        self.svc.wake_outbox()

    async def delivered(self, timeout: float = 10.0) -> None:
        """Wait until the outbox has no row that is due now."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            due = await outbox.due_count(self.svc.db, self.svc.now())
            if due == 0:
                return
            if loop.time() > deadline:
                raise AssertionError(f"{due} outbox rows still due after {timeout} s")
            self.svc.wake_outbox()
            await asyncio.sleep(0.02)


_template: Path | None = None


async def _migrated_template() -> Path:
    """A database file the real migrations ran on, made once per test process.

    Every test that starts the bot starts it on a copy: the migrations commit one by one with
    synchronous=FULL, and their fsyncs cost a fresh database more than the rest of a start.
    The bot still opens the copy through Database.open, which finds nothing to migrate;
    test_storage covers the migrations themselves."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="classcare-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "classcare.db"
        db = await Database.open(path)
        await db.close()
        _template = path
    return _template


def _copy_if_new(template: Path, database: Path) -> None:
    """Start a test's first run of the bot on a copy of the template; a restart keeps its data."""
    if not database.exists():
        shutil.copyfile(template, database)
        database.chmod(0o600)


def _scope_chat(params: dict[str, Any]) -> int | None:
    scope = params.get("scope")
    if isinstance(scope, dict):
        chat_id = scope.get("chat_id")
        return int(chat_id) if chat_id is not None else None
    return None
