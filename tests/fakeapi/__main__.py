"""Run the fake Bot API in its own process, so a benchmark's bot does not share its CPU.

Prints `ready PORT` once listening; see tests/fakeapi/control.py for the control endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from tests.fakeapi.server import FakeBotAPI


async def serve(args: argparse.Namespace) -> None:
    api = FakeBotAPI(
        enforce_limits=args.enforce_limits,
        global_rate=args.global_rate,
        per_chat_rate=args.per_chat_rate,
        group_per_minute=args.group_per_minute,
    )
    # Calls are counted, not kept: a long benchmark would otherwise fill memory.
    api.record_calls = False
    api.world.max_messages_per_chat = args.keep_messages
    for user_id in range(args.first_user, args.first_user + args.users):
        api.user(user_id, started=True)
    await api.start(args.port)
    print(f"ready {api.port}", flush=True)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    try:
        await stopped.wait()
    finally:
        await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="fake Telegram Bot API for benchmarks")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--enforce-limits", action="store_true")
    parser.add_argument("--global-rate", type=float, default=30.0)
    parser.add_argument("--per-chat-rate", type=float, default=1.0)
    parser.add_argument("--group-per-minute", type=int, default=20)
    parser.add_argument("--first-user", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=0, help="users who have started the bot")
    parser.add_argument(
        "--keep-messages", type=int, default=20, help="latest bot messages kept per chat"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
