"""`classcare isolation start|end`: isolate or release a student or staff member from the
command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.core.clock import SystemClock
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.isolation import periods as isolation
from bot.isolation import store
from bot.isolation.periods import KINDS, Result
from bot.storage.db import Database


def add_isolation_commands(
    sub: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
) -> None:
    """Add `isolation start` and `isolation end` to the classcare command line."""
    iso = sub.add_parser(
        "isolation", parents=[common], help="start or end a student's or staff member's isolation"
    )
    iso_sub = iso.add_subparsers(title="isolation commands", metavar="ACTION", required=True)
    start = iso_sub.add_parser(
        "start",
        parents=[common],
        help="start isolation now; the next check-in slot includes them",
    )
    start.add_argument("student", help="student or staff number (or exact name)")
    start.add_argument("--school", help="school name, if the number exists in several schools")
    start.add_argument("--kind", choices=KINDS, default="home", help="default: home")
    start.set_defaults(command=_start)
    end = iso_sub.add_parser(
        "end",
        parents=[common],
        help="end isolation now: check-ins stop and they get the return message",
    )
    end.add_argument("student", help="student or staff number (or exact name)")
    end.add_argument("--school", help="school name, if the number exists in several schools")
    end.set_defaults(command=_end)


def _start(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_act(args, config, starting=True))


def _end(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_act(args, config, starting=False))


async def _act(args: argparse.Namespace, config: Config, *, starting: bool) -> int:
    db = await Database.open(
        config.general.database,
        synchronous=config.storage.synchronous,
        busy_timeout_ms=config.storage.busy_timeout_ms,
    )
    try:
        # The running bot's delivery worker sends what this enqueues.
        svc = Services(config, db, SystemClock(), Catalog.for_config(config))
        matches = await store.find_people(db, args.student, school=args.school)
        if not matches:
            print(f"nobody numbered or named {args.student!r}", file=sys.stderr)
            return 1
        if len(matches) > 1:
            print(f"{args.student!r} matches several people; add --school:", file=sys.stderr)
            for person, class_name in matches:
                print(f"  {person.number} {person.name} ({class_name})", file=sys.stderr)
            return 1
        student, class_name = matches[0]
        who = f"{student.number} {student.name} ({class_name})"
        if starting:
            outcome = await isolation.start_isolation(
                svc, student, args.kind, actor_id=None, now=svc.now()
            )
            if outcome.result is Result.ALREADY:
                print(f"{who} is already in isolation", file=sys.stderr)
                return 1
            print(f"{who}: {args.kind} isolation started")
        else:
            outcome = await isolation.end_isolation(svc, student, actor_id=None, now=svc.now())
            if outcome.result is Result.NOT_ISOLATED:
                print(f"{who} is not in isolation", file=sys.stderr)
                return 1
            told = "return message queued" if outcome.told else "no linked account, not told"
            print(f"{who}: isolation ended ({told})")
        return 0
    finally:
        await db.close()
