"""`classcare liaison assign|unassign B02 --school S [--school S2]`: bureau liaisons (包联)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.core.clock import SystemClock, epoch
from bot.core.config import Config
from bot.people.store import liaisons
from bot.storage import people
from bot.storage.db import Database


def add_liaison_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `liaison assign` and `liaison unassign` to the classcare command line."""
    group = sub.add_parser(
        "liaison", parents=[common], help="assign bureau officers to schools (包联)"
    )
    actions = group.add_subparsers(title="liaison commands", metavar="ACTION", required=True)
    for name, text in (
        (
            "assign",
            "the bureau officer supervises these schools: their escalations reach the officer "
            "before the bureau at large, and the officer's /today, /stats and daily report "
            "cover these schools only",
        ),
        ("unassign", "the officer no longer supervises these schools"),
    ):
        action = actions.add_parser(name, parents=[common], help=text, description=text)
        action.add_argument("id", help="the bureau officer's staff number")
        action.add_argument(
            "--school", action="append", required=True, help="a school name (repeatable)"
        )
        action.set_defaults(command=_assign if name == "assign" else _unassign)


def _assign(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_act(args, config, assign=True))


def _unassign(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_act(args, config, assign=False))


async def _act(args: argparse.Namespace, config: Config, *, assign: bool) -> int:
    db = await Database.open(
        config.general.database,
        synchronous=config.storage.synchronous,
        busy_timeout_ms=config.storage.busy_timeout_ms,
    )
    try:
        found = [f for f in await people.find_by_number(db, args.id) if not f.deactivated]
        officer = next((f.person for f in found if f.person.role == "admin"), None)
        if officer is None or officer.school_id is not None:
            print(
                f"{args.id!r} is not an active bureau administrator (a staff row with role "
                "admin and no school)",
                file=sys.stderr,
            )
            return 1
        names = list(dict.fromkeys(args.school))
        ids = await liaisons.school_ids_named(db, names)
        unknown = [n for n in names if n not in ids]
        if unknown:
            print(f"no school named {', '.join(map(repr, unknown))}", file=sys.stderr)
            return 1
        now = epoch(SystemClock().now())
        async with db.transaction() as tx:
            if assign:
                changed = await liaisons.assign(tx, officer.id, list(ids.values()), now=now)
            else:
                changed = await liaisons.unassign(tx, officer.id, list(ids.values()))
            verb = "assign" if assign else "unassign"
            await liaisons.audit(
                tx, at=now, person_id=officer.id, scope=f"{verb}:" + ",".join(names)
            )
        schools = await liaisons.schools_of(db, officer.id)
        print(
            f"{officer.number} {officer.name}: {changed} school(s) "
            f"{'assigned' if assign else 'unassigned'}; supervises "
            + (", ".join(schools) if schools else "no school (the whole county)")
        )
        return 0
    finally:
        await db.close()
