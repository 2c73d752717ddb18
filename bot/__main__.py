"""The `classcare` command line: run the bot and do administrative work on its database."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.cli_isolation import add_isolation_commands
from bot.cli_ledger import add_ledger_commands
from bot.cli_notice import add_notice_commands
from bot.clock import SystemClock, epoch
from bot.config import Config, ConfigError, bot_token, load_config
from bot.storage.db import Database

DEFAULT_CONFIG = "config.toml"
INVITE_COLUMNS = ("number", "name", "role", "school", "class", "link")
NO_USERNAME = (
    "the bot's username is needed for the links: set [telegram] bot_username in the config,"
    " or BOT_TOKEN with network access to Telegram"
)

Command = Callable[[argparse.Namespace, Config], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    try:
        config = load_config(args.config)
        return int(args.command(args, config))
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        metavar="PATH",
        help=f"settings file (default: {DEFAULT_CONFIG})",
    )
    parser = argparse.ArgumentParser(
        prog="classcare",
        parents=[common],
        description="ClassCare: daily health and wellbeing contact for students in isolation.",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="run the bot (polling, or webhook if set)")
    run.set_defaults(command=_run)

    roster = sub.add_parser("roster", parents=[common], help="roster files")
    roster_sub = roster.add_subparsers(title="roster commands", metavar="ACTION", required=True)
    imp = roster_sub.add_parser(
        "import", parents=[common], help="import a students or staff file (CSV or XLSX)"
    )
    imp.add_argument("file", type=Path, help="CSV (UTF-8 or GBK) or XLSX file")
    imp.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    imp.set_defaults(command=_roster_import)

    inv = sub.add_parser(
        "invites", parents=[common], help="write one single-use invite link per person to a CSV"
    )
    inv.add_argument("--school", help="only people of this school")
    inv.add_argument("--class", dest="class_name", help="only students and teachers of this class")
    inv.add_argument(
        "--role",
        choices=("student", "teacher", "doctor", "counselor", "admin"),
        help="only people with this role",
    )
    inv.add_argument("--out", type=Path, help="CSV file to write (default: standard output)")
    inv.add_argument(
        "--unbound-only", action="store_true", help="skip people who already linked an account"
    )
    inv.set_defaults(command=_invites)

    add_isolation_commands(sub, common)
    add_ledger_commands(sub, common)
    add_notice_commands(sub, common)
    return parser


def _run(args: argparse.Namespace, config: Config) -> int:
    from bot.app import build_application
    from bot.logs import configure_logging

    token = bot_token()
    configure_logging(config.general.log_level, token, config.general.tz)
    application = build_application(config, token=token)
    telegram = config.telegram
    if telegram.webhook_url:
        import os

        application.run_webhook(
            listen=telegram.webhook_listen,
            port=telegram.webhook_port,
            webhook_url=telegram.webhook_url,
            secret_token=os.environ.get("WEBHOOK_SECRET") or None,
        )
    else:
        application.run_polling(timeout=telegram.poll_timeout_seconds)
    return 0


def _with_db(config: Config, work: Callable[[Database], Coroutine[Any, Any, int]]) -> int:
    async def go() -> int:
        db = await Database.open(
            config.general.database,
            synchronous=config.storage.synchronous,
            busy_timeout_ms=config.storage.busy_timeout_ms,
        )
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(go())


def _roster_import(args: argparse.Namespace, config: Config) -> int:
    from bot.roster import parse_roster
    from bot.storage.roster import apply_roster

    roster = parse_roster(args.file)
    if roster.errors:
        print(f"{args.file}: rejected, nothing imported. Fix these lines:", file=sys.stderr)
        for error in roster.errors:
            column = f" [{error.column}]" if error.column else ""
            print(f"  line {error.line}{column}: {error.reason}", file=sys.stderr)
        return 1
    count = len(roster.students) + len(roster.staff)
    if args.dry_run:
        print(f"{args.file}: {count} {roster.kind} rows are valid (dry run, nothing imported)")
        return 0

    async def work(db: Database) -> int:
        summary = await apply_roster(
            db, roster, now=epoch(SystemClock().now()), tz=config.general.tz
        )
        print(f"{args.file}: imported {count} {roster.kind} rows: {summary}")
        return 0

    return _with_db(config, work)


def _invites(args: argparse.Namespace, config: Config) -> int:
    from bot.i18n import Catalog
    from bot.onboarding import invite_link, issue_invites
    from bot.storage.people import select_people, staff_places

    username = config.telegram.bot_username or _ask_username(config)
    if not username:
        return 1
    # The sheet goes to the school: its headers and roles in the school's language.
    catalog, language = Catalog.load(), config.general.language
    header = [catalog.t(language, f"invites.column.{c}") for c in INVITE_COLUMNS]

    async def work(db: Database) -> int:
        rows = await select_people(
            db, school=args.school, class_name=args.class_name, role=args.role
        )
        if args.unbound_only:
            rows = [r for r in rows if r[0].telegram_user_id is None]
        if not rows:
            print("no people match these filters; import a roster first", file=sys.stderr)
            return 1
        names = {person.id: (school, klass) for person, school, klass in rows}
        places = await staff_places(db, [p.id for p, _, _ in rows if not p.is_student])
        issued = await issue_invites(
            db,
            [r[0] for r in rows],
            now=epoch(SystemClock().now()),
            ttl_days=config.invites.ttl_days,
        )
        out = args.out.open("w", newline="", encoding="utf-8-sig") if args.out else sys.stdout
        try:
            writer = csv.writer(out)
            writer.writerow(header)
            separator = catalog.t(language, "invites.separator")
            for person, code in issued:
                school, klass = names[person.id]
                classes, schools = places.get(person.id, ([], []))
                writer.writerow(
                    [
                        person.number,
                        person.name,
                        catalog.t(language, f"roles.{person.role}"),
                        separator.join(schools) or school,
                        separator.join(classes) or klass,
                        invite_link(username, code),
                    ]
                )
        finally:
            if args.out:
                out.close()
        if args.out:
            print(
                f"wrote {len(issued)} invite links to {args.out}; older links of these people "
                f"no longer work; links expire in {config.invites.ttl_days} days"
            )
        return 0

    return _with_db(config, work)


def _ask_username(config: Config) -> str:
    """Ask Telegram (getMe) for the bot's username when the config does not name it; "" after
    saying in one line why it could not."""
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        token = bot_token()
    except ConfigError:
        print(f"invites: {NO_USERNAME} (BOT_TOKEN is not set)", file=sys.stderr)
        return ""

    async def ask() -> str:
        bot = Bot(
            token,
            base_url=config.telegram.base_url or "https://api.telegram.org/bot",
            base_file_url=config.telegram.base_file_url or "https://api.telegram.org/file/bot",
        )
        async with bot:
            return bot.username

    try:
        return asyncio.run(ask())
    except TelegramError as error:
        # Network errors and a rejected token alike; the message never carries the token.
        reason = type(error).__name__
        print(f"invites: {NO_USERNAME} (Telegram could not be reached: {reason})", file=sys.stderr)
        return ""


if __name__ == "__main__":
    sys.exit(main())
