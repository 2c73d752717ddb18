"""`classcare ledger export`: write the ledger (台账) of a school, a class or the whole bureau
to an XLSX file from the command line. The export is audited with no actor and its scope."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot.core.clock import SystemClock, epoch
from bot.core.config import LANGUAGES, Config
from bot.core.i18n import Catalog
from bot.reports import ledger
from bot.reports.store import ledger as store
from bot.storage.db import Database
from bot.storage.records import Scope


def add_ledger_commands(
    sub: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
) -> None:
    """Add `ledger export` to the classcare command line."""
    led = sub.add_parser("ledger", parents=[common], help="the daily health ledger (台账)")
    led_sub = led.add_subparsers(title="ledger commands", metavar="ACTION", required=True)
    export = led_sub.add_parser(
        "export",
        parents=[common],
        help="write the ledger as XLSX: a summary sheet and one sheet per day",
    )
    export.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")
    export.add_argument("--school", help="only this school (default: every school)")
    export.add_argument("--class", dest="class_name", help="only this class")
    export.add_argument("--out", type=Path, required=True, help="XLSX file to write")
    export.add_argument(
        "--lang", choices=LANGUAGES, help="language of the headers (default: the config's)"
    )
    export.set_defaults(command=_export)


def _export(args: argparse.Namespace, config: Config) -> int:
    try:
        date_from = date.fromisoformat(args.date_from)
        date_to = date.fromisoformat(args.date_to)
    except ValueError:
        print("--from and --to must be dates like 2026-11-30", file=sys.stderr)
        return 2
    if date_to < date_from or (date_to - date_from).days + 1 > ledger.MAX_DAYS_CLI:
        print(
            f"--to must not be before --from, and at most {ledger.MAX_DAYS_CLI} days apart",
            file=sys.stderr,
        )
        return 2
    if not args.out.parent.is_dir():
        print(f"--out: no folder {str(args.out.parent)!r} to write the file in", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, config, date_from, date_to))


async def _run(args: argparse.Namespace, config: Config, date_from: date, date_to: date) -> int:
    db = await Database.open(
        config.general.database,
        synchronous=config.storage.synchronous,
        busy_timeout_ms=config.storage.busy_timeout_ms,
    )
    try:
        scope = await _scope(db, args.school, args.class_name)
        if scope is None:
            return 1
        language = args.lang or config.general.language
        # An operator at the command line exports what an administrator would: no screen
        # scores (counselors only) and no note text (the class teacher's and counselor's).
        request = ledger.Request(
            scope=scope,
            date_from=date_from,
            date_to=date_to,
            language=language,
            counselor=False,
            note_text=False,
            actor_id=None,
            now=epoch(SystemClock().now()),
            staff=args.class_name is None,
        )
        totals = await ledger.export_ledger_file(
            db, Catalog.for_config(config), config, request, path=args.out
        )
    finally:
        await db.close()
    print(
        f"wrote {args.out}: {totals.rows} check-ins of {totals.students} students, "
        f"{totals.abnormal} abnormal"
    )
    return 0


async def _scope(db: Database, school: str | None, class_name: str | None) -> Scope | None:
    school_ids = None
    if school:
        school_ids = await store.school_ids_named(db, school)
        if not school_ids:
            print(f"no school named {school!r}", file=sys.stderr)
            return None
    class_ids = None
    if class_name:
        class_ids = await store.class_ids_named(db, class_name, school_ids)
        if not class_ids:
            print(f"no class named {class_name!r}", file=sys.stderr)
            return None
    return Scope(class_ids=class_ids, school_ids=school_ids)
