"""`classcare notice send|report`: queue a notice from a script; the running bot delivers it.

The database is the hand-off: the notice, its recipients and its outbox rows are written in one
transaction, and the running bot's delivery worker finds the rows on its next look (within a
second when idle).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.core.access import STAFF_ROLES
from bot.core.clock import SystemClock
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.notices import receipts, render, sending
from bot.notices.audience import SCOPE_KINDS, Audience, AudienceError
from bot.notices.store import audiences as audience_store
from bot.notices.store import notices as notice_store
from bot.notices.store import places as place_store
from bot.storage.db import Database

GUARDIANS = "guardians/"
AUDIENCE_HELP = (
    "all | students | isolated | staff | school:<school name> | class:<school name>/<class name>"
    f" | role:<{'|'.join(STAFF_ROLES)}>; guardians/<all|students|isolated|school:..|class:..>"
    " for those students' guardians (家长)"
)


def add_notice_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `notice send` and `notice report` to the classcare command line."""
    notice = sub.add_parser("notice", parents=[common], help="send notices and see receipts")
    notice_sub = notice.add_subparsers(title="notice commands", metavar="ACTION", required=True)
    send = notice_sub.add_parser(
        "send",
        parents=[common],
        help="queue a notice from the education bureau for the running bot to deliver",
    )
    send.add_argument("--audience", required=True, help=AUDIENCE_HELP)
    send.add_argument(
        "--text-file", required=True, type=Path, help="UTF-8 text file with the notice"
    )
    send.add_argument(
        "--confirm", action="store_true", help="ask every recipient to tap Got it (read receipt)"
    )
    send.add_argument("--dry-run", action="store_true", help="count recipients, queue nothing")
    send.set_defaults(command=send_notice)
    report = notice_sub.add_parser(
        "report", parents=[common], help="print where a notice's copies and receipts stand"
    )
    report.add_argument("notice_id", type=int)
    report.add_argument("--language", choices=("zh-CN", "en"), help="default: the configured one")
    report.set_defaults(command=print_report)


def send_notice(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_send(args, config))


def print_report(args: argparse.Namespace, config: Config) -> int:
    return asyncio.run(_report(args, config))


async def _services(config: Config) -> Services:
    db = await Database.open(
        config.general.database,
        synchronous=config.storage.synchronous,
        busy_timeout_ms=config.storage.busy_timeout_ms,
    )
    return Services(config, db, SystemClock(), Catalog.for_config(config))


async def _audience(db: Database, text: str) -> Audience | str:
    """The audience a command-line spec names, or why it names none."""
    if text.startswith(GUARDIANS):
        inner = await _audience(db, text.removeprefix(GUARDIANS))
        if isinstance(inner, str):
            return inner
        try:
            return inner.of_guardians(text)
        except AudienceError:
            return f"{text!r}: only students have guardians; use {AUDIENCE_HELP}"
    kind, _, arg = text.partition(":")
    if kind in SCOPE_KINDS and not arg:
        return Audience(kind)
    if kind == "role" and arg in STAFF_ROLES:
        return Audience("role", role=arg)
    if kind == "school" and arg:
        school_id = await place_store.school_by_name(db, arg)
        if school_id is None:
            return f"no school named {arg!r}"
        return Audience("school", school_id=school_id)
    if kind == "class" and "/" in arg:
        school, _, name = arg.partition("/")
        class_id = await place_store.class_by_name(db, school, name)
        if class_id is None:
            return f"no class {name!r} in school {school!r}"
        return Audience("class", class_id=class_id)
    return f"unknown audience {text!r}; use {AUDIENCE_HELP}"


async def _send(args: argparse.Namespace, config: Config) -> int:
    try:
        text = args.text_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.text_file}: cannot read the text ({exc})", file=sys.stderr)
        return 1
    svc = await _services(config)
    try:
        limit = render.text_limit(svc.catalog, None)
        if not text:
            print(f"{args.text_file}: the notice is empty", file=sys.stderr)
            return 1
        if len(text) > limit:
            print(
                f"{args.text_file}: the text has {len(text)} characters; a notice may have at"
                f" most {limit}",
                file=sys.stderr,
            )
            return 1
        audience = await _audience(svc.db, args.audience)
        if isinstance(audience, str):
            print(audience, file=sys.stderr)
            return 1
        if args.dry_run:
            counts = await audience_store.candidate_counts(
                svc.db, audience, scope_school=None, exclude_id=None
            )
            total = sum(counts.values())
            bound = sum(n for (_, has_account), n in counts.items() if has_account)
            print(f"{total} recipients, {bound} with a linked account (dry run, nothing queued)")
            return 0
        queued = await sending.queue_notice(svc, audience, text, needs_confirmation=args.confirm)
        print(
            f"notice #{queued.notice_id} queued: {queued.queued} copies for the running bot to"
            f" send; {queued.no_account} of {queued.targeted} recipients have no linked account."
            f" See `classcare notice report {queued.notice_id}`."
        )
        return 0
    finally:
        await svc.db.close()


async def _report(args: argparse.Namespace, config: Config) -> int:
    svc = await _services(config)
    try:
        notice = await notice_store.notice_by_id(svc.db, args.notice_id)
        if notice is None:
            print(f"no notice #{args.notice_id}", file=sys.stderr)
            return 1
        language = args.language or config.general.language
        print(await receipts.report_text(svc, language, notice))
        return 0
    finally:
        await svc.db.close()
