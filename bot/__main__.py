"""The `classcare` command line: run the bot and do administrative work on its database."""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.crisis import add_crisis_commands
from bot.cli.isolation import add_isolation_commands
from bot.cli.ledger import add_ledger_commands
from bot.cli.liaison import add_liaison_commands
from bot.cli.notice import add_notice_commands
from bot.cli.people import add_people_commands
from bot.cli.returns import add_return_commands
from bot.core.clock import SystemClock, epoch
from bot.core.config import (
    Config,
    ConfigError,
    bot_token,
    load_config,
    webhook_path,
    webhook_secret,
)
from bot.core.csvtext import spreadsheet_safe
from bot.core.logs import configure_logging
from bot.storage.db import Database

log = logging.getLogger("classcare")

if TYPE_CHECKING:
    from bot.people.roster import ParsedRoster, RowError

DEFAULT_CONFIG = "config.toml"
INVITE_COLUMNS = ("number", "name", "role", "school", "class", "link")
NO_USERNAME = (
    "the bot's username is needed for the links: set [telegram] bot_username in the config,"
    " or BOT_TOKEN with network access to Telegram"
)

Command = Callable[[argparse.Namespace, Config], int]


def main(argv: Sequence[str] | None = None) -> int:
    # Before anything is created: the database, its WAL, invite lists and exported ledgers hold
    # minors' data and live links, so only the bot's own user may read them.
    os.umask(0o077)
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    # Every failure from here on is logged through the redacting handler, never printed raw: a
    # traceback can carry the token (a URL in an HTTP error) or the text that caused it.
    configure_logging(
        config.general.log_level, os.environ.get("BOT_TOKEN", "").strip(), tz=config.general.tz
    )
    try:
        return int(args.command(args, config))
    except ConfigError as exc:
        log.error("config error: %s", exc)
        return 2
    except Exception as exc:
        log.error("classcare stopped on an error", exc_info=exc)
        return 1


def _parser() -> argparse.ArgumentParser:
    config_help = f"settings file (default: {DEFAULT_CONFIG})"
    parser = argparse.ArgumentParser(
        prog="classcare",
        description="ClassCare: daily health and wellbeing contact for students in isolation.",
    )
    parser.add_argument("--config", default=DEFAULT_CONFIG, metavar="PATH", help=config_help)
    # A subcommand's --config must not set a default of its own: argparse would let it overwrite
    # the value given before the subcommand (`classcare --config X roster import ...`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, metavar="PATH", help=config_help)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="run the bot (polling, or webhook if set)")
    run.set_defaults(command=_run)

    roster = sub.add_parser("roster", parents=[common], help="roster files")
    roster_sub = roster.add_subparsers(title="roster commands", metavar="ACTION", required=True)
    imp = roster_sub.add_parser(
        "import",
        parents=[common],
        help="import a students, staff or guardians file (CSV or XLSX; the headers say which)",
    )
    imp.add_argument("file", type=Path, help="CSV (UTF-8 or GBK) or XLSX file")
    imp.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    imp.add_argument(
        "--prune",
        action="store_true",
        help="the file is complete: deactivate everyone it leaves out (all staff for a staff "
        "file, the named schools' students for a students file); lists them and asks first",
    )
    imp.add_argument("--yes", action="store_true", help="with --prune: do not ask, go ahead")
    imp.set_defaults(command=_roster_import)

    inv = sub.add_parser(
        "invites", parents=[common], help="write one single-use invite link per person to a CSV"
    )
    inv.add_argument("--school", help="only people of this school")
    inv.add_argument("--class", dest="class_name", help="only students and teachers of this class")
    inv.add_argument(
        "--role",
        choices=("student", "guardian", "teacher", "doctor", "counselor", "admin"),
        help="only people with this role",
    )
    inv.add_argument("--out", type=Path, help="CSV file to write (default: standard output)")
    inv.add_argument(
        "--rebind",
        action="store_true",
        help="also issue links for people who already linked an account; redeeming one moves "
        "their profile to the new account (the old account and their teacher or admin are told)",
    )
    inv.add_argument(
        "--reissue",
        action="store_true",
        help="also replace links still valid and not yet opened (the old ones stop working)",
    )
    inv.add_argument(
        "--unbound-only",
        action="store_true",
        help="the default; kept so older scripts keep working",
    )
    inv.set_defaults(command=_invites)

    add_isolation_commands(sub, common)
    add_ledger_commands(sub, common)
    add_liaison_commands(sub, common)
    add_return_commands(sub, common)
    add_notice_commands(sub, common)
    add_crisis_commands(sub, common)
    add_people_commands(sub, common)
    return parser


def _run(args: argparse.Namespace, config: Config) -> int:
    from bot.app import build_application, webhook_options

    token = bot_token()
    telegram = config.telegram
    # Checked before anything starts: without a secret anyone could post updates as anyone.
    secret = webhook_secret() if telegram.webhook_url else ""
    if secret:
        configure_logging(
            config.general.log_level, token, secret, webhook_path(secret), tz=config.general.tz
        )
    application = build_application(config, token=token)
    # The loop stays open after a failed start so the HTTP client opened for getMe is closed:
    # python-telegram-bot shuts down only what initialized fully.
    try:
        if telegram.webhook_url:
            application.run_webhook(**webhook_options(telegram, secret), close_loop=False)
        else:
            application.run_polling(timeout=telegram.poll_timeout_seconds, close_loop=False)
    finally:
        loop = asyncio.get_event_loop()
        loop.run_until_complete(application.bot.request.shutdown())
        loop.close()
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
    from bot.guardians.links import GuardiansRejected
    from bot.people.roster import RowError, parse_roster
    from bot.people.store.roster import apply_roster

    roster = parse_roster(args.file)
    if roster.errors:
        return _rejected(args.file, roster.errors)
    count = roster.size
    if args.prune:
        return _with_db(config, lambda db: _import_pruning(args, config, db, roster))
    if args.dry_run:
        print(f"{args.file}: {count} {roster.kind} rows are valid (dry run, nothing imported)")
        return 0

    async def work(db: Database) -> int:
        try:
            summary = await apply_roster(
                db, roster, now=epoch(SystemClock().now()), tz=config.general.tz
            )
        except GuardiansRejected as rejected:
            return _rejected(args.file, [RowError(n, None, why) for n, why in rejected.problems])
        print(f"{args.file}: imported {count} {roster.kind} rows: {summary}")
        return 0

    return _with_db(config, work)


def _rejected(file: Path, errors: Sequence[RowError]) -> int:
    print(f"{file}: rejected, nothing imported. Fix these lines:", file=sys.stderr)
    for error in errors:
        column = f" [{error.column}]" if error.column else ""
        print(f"  line {error.line}{column}: {error.reason}", file=sys.stderr)
    return 1


async def _import_pruning(
    args: argparse.Namespace, config: Config, db: Database, roster: ParsedRoster
) -> int:
    """List who a complete file leaves out, ask, then import and deactivate them at once."""
    from bot.core.i18n import Catalog
    from bot.core.services import Services
    from bot.people import departures

    svc = Services(config, db, SystemClock(), Catalog.load(config.general.language))
    count = roster.size
    gone = await departures.to_prune(svc, roster)
    print(f"{args.file}: {count} {roster.kind} rows are valid.")
    if gone:
        print(f"{len(gone)} active people are not in this file and would be deactivated:")
        for person in gone:
            print(f"  {person.number} {person.name} ({person.role})")
    else:
        print("Everyone active is in this file; nobody would be deactivated.")
    if args.dry_run:
        print("dry run, nothing imported or deactivated")
        return 0
    if gone and not args.yes:
        if not sys.stdin.isatty():
            print("not confirmed: add --yes to import and deactivate them", file=sys.stderr)
            return 1
        question = f"Import and deactivate these {len(gone)} people? [y/N] "
        answer = await asyncio.to_thread(input, question)
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing imported or deactivated")
            return 1
    try:
        summary, done = await departures.import_pruning(svc, roster, gone)
    except departures.RosterChanged as exc:
        print(f"{args.file}: {exc}; nothing imported or deactivated", file=sys.stderr)
        return 1
    print(f"{args.file}: imported {count} {roster.kind} rows: {summary}")
    if gone:
        print(
            f"{len(gone)} people deactivated: their Telegram accounts can do nothing here any"
            f" more, {done.withdrawn} unsent message(s) withdrawn, {done.rerouted} open"
            " alert(s) handed on. Importing them again makes them active again."
        )
    return 0


def _invites(args: argparse.Namespace, config: Config) -> int:
    from bot.core.i18n import Catalog
    from bot.guardians.store import guardian_places
    from bot.people.onboarding import invite_link, issue_invites
    from bot.people.store.invites import holding_open_invites
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
        bound = sum(1 for r in rows if r[0].telegram_user_id is not None)
        if not args.rebind:
            # A fresh link for a bound person would move their profile to whoever opens it.
            rows = [r for r in rows if r[0].telegram_user_id is None]
        if bound and not args.rebind:
            print(
                f"{bound} already linked an account and got no new link"
                " (use --rebind to re-issue theirs)"
            )
        if not rows:
            print("no people match these filters; import a roster first", file=sys.stderr)
            return 1
        now = epoch(SystemClock().now())
        if not args.reissue and not args.rebind:
            # A link already handed out keeps working: running this again for the people who
            # joined the roster since must not break the links the others were given.
            held = await holding_open_invites(db, [r[0].id for r in rows], now)
            rows = [r for r in rows if r[0].id not in held]
            if held:
                print(
                    f"{len(held)} still hold a valid link and got no new one"
                    " (use --reissue to replace theirs)"
                )
            if not rows:
                print("nobody needs a new link; nothing written")
                return 0
        names = {person.id: (school, klass) for person, school, klass in rows}
        places = await staff_places(
            db, [p.id for p, _, _ in rows if p.role not in ("student", "guardian")]
        )
        places |= await guardian_places(db, [p.id for p, _, _ in rows if p.role == "guardian"])
        issued = await issue_invites(
            db,
            [r[0] for r in rows],
            now=now,
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
                cells = (
                    person.number,
                    person.name,
                    catalog.t(language, f"roles.{person.role}"),
                    separator.join(schools) or school,
                    separator.join(classes) or klass,
                )
                writer.writerow([*map(spreadsheet_safe, cells), invite_link(username, code)])
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
