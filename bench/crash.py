"""Crash script: kill -9 the bot process partway through a round (or a notice's
delivery), restart, check, repeat.

Run from the repository root: `.venv/bin/python -m bench.crash [--trials 20] [--mode notice]`
(about 20 s a round trial, 10 s a notice trial). Each trial uses a fresh database and fake Bot
API; the CI runs one trial of each mode with the same code, in tests/reliability/test_crash.py.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.fakeapi import FakeBotAPI
from tests.reliability.test_crash import STUDENTS, crash_trial, notice_ok, notice_trial

Trial = Callable[[Path, FakeBotAPI, random.Random], Awaitable[dict[str, int]]]


def round_ok(result: dict[str, int]) -> bool:
    return (
        result["students"] == STUDENTS
        and result["duplicates"] <= result["in_flight_at_kill"]
        and result["rounds"] == 1
        and result["checkins"] == STUDENTS
        and result["unsent"] == 0
        and result["integrity_ok"] == 1
    )


# Per mode: the trial, whether it passed, and the table's columns (result key, heading).
MODES: dict[str, tuple[Trial, Callable[[dict[str, int]], bool], tuple[tuple[str, str], ...]]] = {
    "round": (
        crash_trial,
        round_ok,
        (
            ("students", "prompted"),
            ("duplicates", "duplicates"),
            ("in_flight_at_kill", "rows in flight at kill"),
            ("rounds", "rounds"),
            ("checkins", "check-ins"),
            ("unsent", "unsent"),
        ),
    ),
    "notice": (
        notice_trial,
        notice_ok,
        (
            ("sent_at_kill", "copies at kill"),
            ("students", "students reached"),
            ("duplicates", "duplicates"),
            ("in_flight_at_kill", "rows in flight at kill"),
            ("not_final", "rows not final"),
        ),
    ),
}


async def main(mode: str, trials: int, seed: int) -> int:
    """Run the trials of one mode, printing a row per trial; 0 if all passed."""
    trial, passed_if, columns = MODES[mode]
    rng = random.Random(seed)
    print("| trial | " + " | ".join(h for _, h in columns) + " | integrity | ok |")
    print("|" + "---|" * (len(columns) + 3))
    passed = 0
    for number in range(1, trials + 1):
        api = FakeBotAPI()
        await api.start()
        try:
            with tempfile.TemporaryDirectory(prefix="crash-") as folder:
                result = await trial(Path(folder), api, rng)
        finally:
            await api.stop()
        ok = passed_if(result)
        passed += ok
        cells = [
            f"{result[c]}/{STUDENTS}" if c == "students" else str(result[c]) for c, _ in columns
        ]
        integrity = "ok" if result["integrity_ok"] else "BAD"
        print(
            f"| {number} | {' | '.join(cells)} | {integrity} | {'yes' if ok else 'NO'} |",
            flush=True,
        )
    print(f"\n{passed} of {trials} trials passed")
    return 0 if passed == trials else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mode", choices=("round", "notice"), default="round")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.mode, args.trials, args.seed)))
