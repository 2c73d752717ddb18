"""`classcare return open --date D --school S [--school S2] [--class C] [--ending]`: the bureau
opens a return to school (返校复学) for several schools at once; `classcare return report --out
FILE` writes the readiness report."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot import returns
from bot.core.clock import SystemClock
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.returns import store
from bot.storage.db import Database


def add_return_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `return open` and `return report` to the classcare command line."""
    group = sub.add_parser("return", parents=[common], help="returns to school (返校复学)")
    actions = group.add_subparsers(title="return commands", metavar="ACTION", required=True)
    text = (
        "open a return for a date: everyone isolated in the schools (or a class, or those whose "
        "planned end has come) gets the return declaration"
    )
    action = actions.add_parser("open", parents=[common], help=text, description=text)
    action.add_argument("--date", required=True, help="the return date, YYYY-MM-DD")
    action.add_argument("--school", action="append", required=True, help="repeatable")
    action.add_argument("--class", dest="class_name", help="only this class (one school)")
    action.add_argument("--ending", action="store_true", help="only those due to end by then")
    action.set_defaults(command=_open)
    text = "write the readiness report (declarations, clearances, who gave them) to XLSX"
    report = actions.add_parser("report", parents=[common], help=text, description=text)
    report.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
    report.add_argument("--lang", choices=("zh-CN", "en"), help="default: [general] language")
    report.set_defaults(command=_report)


def _open(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_run(args, config))


def _report(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_write_report(args, config))


async def _write_report(args: argparse.Namespace, config: Config) -> int:
    db = await Database.open(
        config.general.database,
        synchronous=config.storage.synchronous,
        busy_timeout_ms=config.storage.busy_timeout_ms,
    )
    try:
        svc = Services(config, db, SystemClock(), Catalog.for_config(config))
        content, rows = await returns.readiness_report(
            svc, None, args.lang or config.general.language
        )
    finally:
        await db.close()
    args.out.write_bytes(content)
    print(f"wrote {args.out}: {rows} returning people")
    return 0


async def _run(args: argparse.Namespace, config: Config) -> int:
    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        print(f"--date must be YYYY-MM-DD, got {args.date!r}", file=sys.stderr)
        return 1
    db = await Database.open(
        config.general.database,
        synchronous=config.storage.synchronous,
        busy_timeout_ms=config.storage.busy_timeout_ms,
    )
    try:
        # The running bot's delivery worker sends the declarations this enqueues.
        svc = Services(config, db, SystemClock(), Catalog.for_config(config))
        names = list(dict.fromkeys(args.school))
        ids = await store.schools_named(db, names)
        unknown = [n for n in names if n not in ids]
        if unknown:
            print(f"no school named {', '.join(map(repr, unknown))}", file=sys.stderr)
            return 1
        class_id = None
        if args.class_name:
            if len(ids) != 1:
                print("--class needs exactly one --school", file=sys.stderr)
                return 1
            class_id = await store.class_named(db, next(iter(ids.values())), args.class_name)
            if class_id is None:
                print(f"no class named {args.class_name!r}", file=sys.stderr)
                return 1
        opened = await returns.open_return(
            svc,
            return_date=day,
            school_ids=sorted(ids.values()),
            class_id=class_id,
            ending=args.ending,
            opened_by=None,
            now=svc.now(),
        )
        print(
            f"return {opened.return_id} on {day.isoformat()}: {opened.people} people, "
            f"{opened.asked} declarations queued"
        )
        return 0
    finally:
        await db.close()
