"""`classcare people deactivate|unbind ID`: someone left, or their Telegram account must go."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.core.clock import SystemClock
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.people import departures
from bot.storage import people
from bot.storage.db import Database

REACTIVATE_HINT = "importing them again (classcare roster import) makes them active again"


def add_people_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `people deactivate` and `people unbind` to the classcare command line."""
    group = sub.add_parser("people", parents=[common], help="people who left or changed phones")
    actions = group.add_subparsers(title="people commands", metavar="ACTION", required=True)
    for name, text in (
        (
            "deactivate",
            "the person left: their account stops working, their classes and schools are "
            "taken away, their open alerts go to whoever holds their role now",
        ),
        (
            "unbind",
            "forget the person's Telegram account (a lost or shared phone); they stay on the "
            "roster and can be sent a new invite link",
        ),
    ):
        action = actions.add_parser(name, parents=[common], help=text, description=text)
        action.add_argument("id", help="the person's roster number (student or staff number)")
        action.add_argument("--school", help="school name, if the number exists in several")
        action.set_defaults(command=_deactivate if name == "deactivate" else _unbind)


def _deactivate(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_act(args, config, deactivate=True))


def _unbind(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_act(args, config, deactivate=False))


async def _act(args: argparse.Namespace, config: Config, *, deactivate: bool) -> int:
    db = await Database.open(
        config.general.database,
        synchronous=config.storage.synchronous,
        busy_timeout_ms=config.storage.busy_timeout_ms,
    )
    try:
        # The running bot's delivery worker sends the alert cards this enqueues.
        svc = Services(config, db, SystemClock(), Catalog.load(config.general.language))
        found = await people.find_by_number(db, args.id, args.school)
        if not found:
            where = f" in {args.school}" if args.school else ""
            print(f"no person has the roster number {args.id!r}{where}", file=sys.stderr)
            return 1
        if len(found) > 1:
            print(f"{args.id!r} is the number of several people; add --school:", file=sys.stderr)
            for item in found:
                print(f"  {item.person.number} {item.person.name} ({item.school_name})")
            return 1
        listed = found[0]
        person = listed.person
        who = f"{person.number} {person.name} ({person.role}, {listed.school_name or 'bureau'})"
        if listed.deactivated:
            print(f"{who} is already deactivated; {REACTIVATE_HINT}", file=sys.stderr)
            return 0 if deactivate else 1
        if not deactivate and person.telegram_user_id is None:
            print(f"{who} has no linked Telegram account; nothing to unbind")
            return 0
        done = await departures.leave(svc, person, deactivate=deactivate)
        what = "deactivated" if deactivate else "unbound"
        print(
            f"{who}: {what}; their Telegram account can do nothing here any more,"
            f" {done.withdrawn} unsent message(s) withdrawn,"
            f" {done.rerouted} open alert(s) handed on"
        )
        if deactivate:
            print(REACTIVATE_HINT)
        else:
            print("send them a new link with: classcare invites (they have none bound now)")
        return 0
    finally:
        await db.close()
