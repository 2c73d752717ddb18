"""Crash script: kill -9 the bot process at a random moment of a round (or of a notice's
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
from pathlib import Path

from tests.fakeapi import FakeBotAPI
from tests.reliability.test_crash import STUDENTS, crash_trial, notice_ok, notice_trial


async def notices(trials: int, seed: int) -> int:
    """The notice mode: one notice to every student, queued by `classcare notice send`."""
    rng = random.Random(seed)
    print(
        "| trial | copies at kill | students reached | duplicates | rows in flight at kill"
        " | rows not final | integrity | ok |"
    )
    print("|" + "---|" * 8)
    passed = 0
    for trial in range(1, trials + 1):
        api = FakeBotAPI()
        await api.start()
        try:
            with tempfile.TemporaryDirectory(prefix="crash-") as folder:
                result = await notice_trial(Path(folder), api, rng)
        finally:
            await api.stop()
        ok = notice_ok(result)
        passed += ok
        print(
            f"| {trial} | {result['sent_at_kill']} | {result['students']}/{STUDENTS} |"
            f" {result['duplicates']} | {result['in_flight_at_kill']} | {result['not_final']} |"
            f" {'ok' if result['integrity_ok'] else 'BAD'} | {'yes' if ok else 'NO'} |",
            flush=True,
        )
    print(f"\n{passed} of {trials} trials passed")
    return 0 if passed == trials else 1


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
    parser.add_argument("--mode", choices=("round", "notice"), default="round")
    args = parser.parse_args()
    run = notices if args.mode == "notice" else main
    raise SystemExit(asyncio.run(run(args.trials, args.seed)))
