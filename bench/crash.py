"""Crash script: kill -9 the bot process at a random moment of a round, restart, check, repeat.

Run from the repository root: `.venv/bin/python -m bench.crash [--trials 20]` (about 20 s a
trial). Each trial uses a fresh database and fake Bot API; the CI runs one trial of the same
code as tests/reliability/test_crash.py.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from pathlib import Path

from tests.fakeapi import FakeBotAPI
from tests.reliability.test_crash import STUDENTS, crash_trial


async def main(trials: int, seed: int) -> int:
    rng = random.Random(seed)
    print(
        "| trial | prompted | duplicates | rows in flight at kill | rounds | check-ins | unsent"
        " | integrity | ok |"
    )
    print("|" + "---|" * 9)
    passed = 0
    for trial in range(1, trials + 1):
        api = FakeBotAPI()
        await api.start()
        try:
            with tempfile.TemporaryDirectory(prefix="crash-") as folder:
                result = await crash_trial(Path(folder), api, rng)
        finally:
            await api.stop()
        ok = (
            result["students"] == STUDENTS
            and result["duplicates"] <= result["in_flight_at_kill"]
            and result["rounds"] == 1
            and result["checkins"] == STUDENTS
            and result["unsent"] == 0
            and result["integrity_ok"] == 1
        )
        passed += ok
        print(
            f"| {trial} | {result['students']}/{STUDENTS} | {result['duplicates']} |"
            f" {result['in_flight_at_kill']} | {result['rounds']} | {result['checkins']} |"
            f" {result['unsent']} | {'ok' if result['integrity_ok'] else 'BAD'} |"
            f" {'yes' if ok else 'NO'} |",
            flush=True,
        )
    print(f"\n{passed} of {trials} trials passed")
    return 0 if passed == trials else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.trials, args.seed)))
