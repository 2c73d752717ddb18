"""Flood benchmark: how long a crisis reply and a teacher's /today wait while one chat floods.

Run from the repository root: `.venv/bin/python -m bench.flood [--flood 500 --repeat 3]`. The
real ClassCare Application (as tests/harness.py builds it, default config: Telegram's 30/s and
1/s per chat) polls the in-process fake Bot API, its database in a real SQLite file. An unbound
account sends `--flood` texts at once (one forward of a hundred messages does that); right
after them a bound student writes a crisis sentence and the class teacher sends /today. Each
latency runs from the update being handed to the fake API to the fake API recording the bot's
answer (the hotline message; the /today view). Baseline in the same run and process: the same
two messages with no flood.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.core.clock import FakeClock
from tests.conftest import START
from tests.fakeapi import FakeBotAPI
from tests.harness import Harness, make_config
from tests.seed import STAFF_CSV, STUDENTS_CSV, USER_IDS

FLOODER_ID = 4343
TIMEOUT = 600.0


@dataclass
class Result:
    flood: int
    crisis_seconds: float
    today_seconds: float
    dropped: int
    told: int


async def run_once(folder: Path, flood: int) -> Result:
    api = FakeBotAPI()
    await api.start()
    clock = FakeClock(START)
    api.now = lambda: clock.now().timestamp()
    harness = Harness(make_config(folder, api), api, clock)
    await harness.start()
    try:
        await harness.seed(staff_csv=STAFF_CSV, students_csv=STUDENTS_CSV)
        student = await harness.onboard("S001", user_id=USER_IDS["S001"])
        teacher = await harness.onboard("T01", user_id=USER_IDS["T01"])
        flooder = api.user(FLOODER_ID, "Spam", language_code="zh-hans")
        title = harness.svc.catalog.raw("zh-CN", "today.title").split("{")[0]
        mark = api.mark()
        for n in range(flood):
            await flooder.send_text(f"转发的第 {n} 条消息")
        asked = time.monotonic()
        await student.send_text("我不想活了")
        await teacher.send_text("/today")
        crisis = await api.wait_for(
            lambda c: (
                c.method == "sendMessage"
                and c.chat_id == student.id
                and "12356" in str(c.params.get("text"))
            ),
            since=mark,
            timeout=TIMEOUT,
        )
        today = await api.wait_for(
            lambda c: (
                c.method == "sendMessage"
                and c.chat_id == teacher.id
                and title in str(c.params.get("text"))
            ),
            since=mark,
            timeout=TIMEOUT,
        )
        assert harness.app is not None
        dropped = int(getattr(harness.app.update_processor, "dropped", 0))
        not_bound = harness.svc.catalog.t("zh-CN", "common.not_bound")
        told = sum(1 for m in flooder.messages if m.get("text") == not_bound)
        return Result(flood, crisis.at - asked, today.at - asked, dropped, told)
    finally:
        await harness.stop()
        await api.stop()


async def main(flood: int, repeat: int) -> None:
    runs: dict[int, list[Result]] = {0: [], flood: []}
    with tempfile.TemporaryDirectory(prefix="flood-") as folder:
        for n in range(repeat):
            for size in runs:
                where = Path(folder) / f"run{n}-{size}"
                where.mkdir()
                runs[size].append(await run_once(where, size))
    base = statistics.median(r.crisis_seconds for r in runs[0])
    print(
        f"| run (median of {repeat}) | flood updates | dropped | told 'not bound' |"
        " crisis hotline reply s | teacher /today s | crisis ÷ no flood |"
    )
    print("|---|---|---|---|---|---|---|")
    for size, results in runs.items():
        crisis = statistics.median(r.crisis_seconds for r in results)
        today = statistics.median(r.today_seconds for r in results)
        middle = sorted(results, key=lambda r: r.crisis_seconds)[len(results) // 2]
        label = "baseline: no flood" if size == 0 else f"one unbound chat floods {size}"
        print(
            f"| {label} | {size} | {middle.dropped} | {middle.told} | {crisis:.2f} |"
            f" {today:.2f} | {crisis / base:.1f} |"
        )
    print("\nTarget: the crisis reply within 2 s of the sentence while the flood runs.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flood", type=int, default=500, help="updates the flooding chat sends")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median is shown")
    args = parser.parse_args()
    asyncio.run(main(args.flood, args.repeat))
