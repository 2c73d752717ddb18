"""Start-up benchmark: seconds from spawning the bot process to its first getUpdates call.

Run from the repository root: `.venv/bin/python -m bench.startup [--runs 5]`. Uses the
60,000-student database of bench.population (a fresh copy for every run) and the in-process
fake Bot API, which notes when the first getUpdates request arrives. Two ClassCare cases: no
check-in slot due (a slot six hours ahead) and a slot that began a minute ago, so a round is due
at start-up. Baseline in the same run: bench.baseline's bare python-telegram-bot Application.
Each figure is the median of `--runs` spawns.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import population
from tests.fakeapi import FakeBotAPI


class WatchedAPI(FakeBotAPI):
    """The fake Bot API, noting when the first getUpdates request arrives."""

    first_poll: float | None = None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.first_poll is None:
            self.first_poll = time.monotonic()
        return await super()._get_updates(params)


async def time_to_poll(api: WatchedAPI, *args: str) -> float:
    """Spawn `python -m ARGS`, wait for its first getUpdates, stop it; seconds to that poll."""
    api.first_poll = None
    started = time.monotonic()
    process = await population.spawn(*args)
    try:
        first = await api.until(
            lambda: api.first_poll, timeout=60, explain=lambda: "the bot never polled"
        )
    finally:
        await population.stop(process)
    return first - started


async def main(students: int, runs: int) -> None:
    api = WatchedAPI()
    await api.start()
    base_url = api.base_url
    times: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="startup-") as folder:
            built = await population.build(Path(folder) / "built", students)
            cases = (("ClassCare, no round due", 360), ("ClassCare, a round due at start", -1))
            for n in range(runs):
                label = "baseline: bare PTB Application"
                seconds = await time_to_poll(api, "bench.baseline", "--base-url", base_url)
                times.setdefault(label, []).append(seconds)
                for label, slot_in_minutes in cases:
                    run = Path(folder) / f"run{n}-{slot_in_minutes}"
                    population.fresh_copy(built, run)
                    config = population.write_config(
                        run, base_url, slot_in_minutes=slot_in_minutes
                    )
                    seconds = await time_to_poll(api, "bot", "run", "--config", str(config))
                    times.setdefault(label, []).append(seconds)
    finally:
        await api.stop()
    baseline = statistics.median(times["baseline: bare PTB Application"])
    print(
        f"| process ({students} students on roster) | median s to first getUpdates | runs s"
        " | ÷ baseline |"
    )
    print("|---|---|---|---|")
    for label, values in times.items():
        shown = " ".join(f"{v:.2f}" for v in values)
        middle = statistics.median(values)
        print(f"| {label} | {middle:.2f} | {shown} | {middle / baseline:.2f} |")
    print(f"\nMedian of {runs} spawns each, timed from process spawn. Target: < 2 s.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=population.STUDENTS)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.students, args.runs))
