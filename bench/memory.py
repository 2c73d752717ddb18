"""Memory benchmark: peak RSS of the bot process during a check-in round for 60,000 students.

Run from the repository root: `.venv/bin/python -m bench.memory [--prompts 5000]`. Builds the
district of bench.population (roster imported with `python -m bot roster import`, every student
linked), starts the fake Bot API in its own process with its limits off, then runs the real bot
as `python -m bot run` with a slot that began a minute ago and delivery.rate_per_second raised,
so the round opens at once and prompts all 60,000 students. Once `--prompts` prompts are sent,
the bot's VmHWM (peak resident set) is read from /proc/<pid>/status. Baseline in the same run:
bench.baseline's bare python-telegram-bot Application polling the same fake API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sqlite3
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import population


async def start_fake_api(users: int) -> tuple[asyncio.subprocess.Process, str]:
    """`python -m tests.fakeapi` with `users` started chats; (process, base URL)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakeapi",
        "--first-user",
        str(population.FIRST_USER),
        "--users",
        str(users),
        "--keep-messages",
        "1",
        cwd=population.REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await process.stdout.readline()).decode().split()
    if line[:1] != ["ready"]:
        raise RuntimeError(f"the fake API did not start: {line}")
    return process, f"http://127.0.0.1:{line[1]}"


def stats(root: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{root}/_control/stats", timeout=5) as response:
        counters: dict[str, int] = json.load(response)
    return counters


def reset(root: str) -> None:
    request = urllib.request.Request(f"{root}/_control/reset", method="POST")
    with urllib.request.urlopen(request, timeout=5):
        pass


async def wait_for(root: str, key: str, count: int, timeout: float) -> float:
    """Wait until the fake API has counted `count` of `key`; returns the seconds it took."""
    started = time.monotonic()
    while stats(root).get(key, 0) < count:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"only {stats(root).get(key, 0)} {key} after {timeout} s")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def _guardian_prompts(run: Path) -> int:
    """Prompts the round queued for guardians' chats (read from the run's database)."""
    with sqlite3.connect(run / population.DATABASE) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM outbox o JOIN people p ON p.id = o.person_id"
            " WHERE o.dedup_key GLOB 'ci:*:prompt*' AND p.role = 'guardian'"
        ).fetchone()
    return int(row[0])


async def peak_kib(process: asyncio.subprocess.Process) -> int:
    """Read the process's peak RSS, then stop it as an operator would (SIGINT)."""
    try:
        return population.vm_hwm_kib(process.pid)
    finally:
        await population.stop(process)


async def main(students: int, prompts: int, rate: float, guardians: int) -> None:
    with tempfile.TemporaryDirectory(prefix="memory-") as folder:
        built = await population.build(Path(folder) / "built", students, guardians)
        # Every student and guardian has a chat: a guardian's prompts go to their own.
        api, root = await start_fake_api(students + guardians)
        try:
            base_url = f"{root}/bot"
            baseline = await population.spawn("bench.baseline", "--base-url", base_url)
            await wait_for(root, "getUpdates", 3, 60)
            baseline_kib = await peak_kib(baseline)
            reset(root)

            run = Path(folder) / "run"
            population.fresh_copy(built, run)
            config = population.write_config(run, base_url, rate_per_second=rate)
            bot = await population.spawn("bot", "run", "--config", str(config))
            seconds = await wait_for(root, "sendMessage", prompts, 900)
            sent = stats(root).get("sendMessage", 0)
            bot_kib = await peak_kib(bot)
            answered_by_guardian = _guardian_prompts(run)
        finally:
            api.send_signal(signal.SIGTERM)
            await api.wait()
    print(
        "| process | students on roster | of them answered by a guardian | prompts sent"
        " | peak RSS (VmHWM) MB | ÷ baseline |"
    )
    print("|---|---|---|---|---|---|")
    print(
        "| baseline: bare PTB Application, polling | 0 | 0 | 0 |"
        f" {baseline_kib / 1024:.1f} | 1.00 |"
    )
    print(
        f"| ClassCare `python -m bot run` during the round | {students} | {guardians} | {sent}"
        f" | {bot_kib / 1024:.1f} | {bot_kib / baseline_kib:.2f} |"
    )
    if guardians:
        print(f"\n{answered_by_guardian} of the queued prompts went to a guardian's chat.")
    print(
        f"\nThe round prompted {sent} students in {seconds:.1f} s from spawn with"
        f" delivery.rate_per_second = {rate:g}; the fake API enforced no limits."
        " Target: < 200 MB."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=population.STUDENTS)
    parser.add_argument("--prompts", type=int, default=5000, help="read the peak after these")
    parser.add_argument("--rate", type=float, default=1000.0, help="delivery.rate_per_second")
    parser.add_argument(
        "--guardians", type=int, default=0, help="children answered by a guardian (家长代答)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.students, args.prompts, args.rate, args.guardians))
