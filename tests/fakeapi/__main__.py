"""Run the fake Bot API in its own process, so a benchmark's bot does not share its CPU."""

from __future__ import annotations

import argparse
import asyncio

from tests.fakeapi.server import FakeBotAPI


async def serve(args: argparse.Namespace) -> None:
    api = FakeBotAPI(enforce_limits=args.enforce_limits, global_rate=args.global_rate)
    # Calls are counted, not kept: a long benchmark would otherwise fill memory.
    api.record_calls = False
    for user_id in range(args.first_user, args.first_user + args.users):
        api.user(user_id).chat.started = True
    await api.start(args.port)
    print(f"ready {api.port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="fake Telegram Bot API for benchmarks")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--enforce-limits", action="store_true")
    parser.add_argument("--global-rate", type=float, default=30.0)
    parser.add_argument("--first-user", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=0, help="users who have started the bot")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
