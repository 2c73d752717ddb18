"""`classcare crisis review`: write the crisis screen's labelled examples (messages staff said
it missed, alerts they marked "Not a concern") to an XLSX file, with no names or student ids,
so the screen can be improved. The export is audited with no actor."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.core.clock import SystemClock, epoch
from bot.core.config import LANGUAGES, Config
from bot.core.i18n import Catalog
from bot.safeguarding import review as crisis_review
from bot.storage.db import Database


def add_crisis_commands(
    sub: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
) -> None:
    """Add `crisis review` to the classcare command line."""
    cri = sub.add_parser("crisis", parents=[common], help="the crisis screen")
    cri_sub = cri.add_subparsers(title="crisis commands", metavar="ACTION", required=True)
    review = cri_sub.add_parser(
        "review",
        parents=[common],
        help="write the labelled examples (missed, not a concern) as XLSX, without names",
    )
    review.add_argument("--out", type=Path, required=True, help="XLSX file to write")
    review.add_argument(
        "--lang", choices=LANGUAGES, help="language of the headers (default: the config's)"
    )
    review.set_defaults(command=_review)


def _review(args: argparse.Namespace, config: Config) -> int:
    if not args.out.parent.is_dir():
        print(f"--out: no folder {str(args.out.parent)!r} to write the file in", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, config))


async def _run(args: argparse.Namespace, config: Config) -> int:
    db = await Database.open(
        config.general.database,
        synchronous=config.storage.synchronous,
        busy_timeout_ms=config.storage.busy_timeout_ms,
    )
    try:
        rows = await crisis_review.export_review(
            db,
            Catalog.load(config.general.language),
            args.lang or config.general.language,
            config.general.tz,
            args.out,
            epoch(SystemClock().now()),
        )
    finally:
        await db.close()
    print(f"wrote {args.out}: {rows} labelled examples")
    return 0
