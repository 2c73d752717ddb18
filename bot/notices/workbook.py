"""A notice's receipts as an XLSX workbook: one row per recipient, a totals sheet first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.core import xlsx
from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.notices.render import for_guardians, guardian_name
from bot.notices.store.notices import Notice
from bot.notices.store.reports import Recipient

COLUMNS = (
    ("school", 18),
    ("class", 14),
    ("number", 10),
    ("name", 14),
    ("role", 12),
    ("delivery", 14),
    ("sent_at", 17),
    ("confirmed_at", 17),
    ("reminded_at", 17),
)
# Delivery states as the report names them; pending and sending both read "waiting".
STATES = ("sent", "waiting", "failed", "unreachable", "unknown", "cancelled", "no_account")
_HEADER_FILL = "DDDDDD"
_UNCONFIRMED_FILL = "FFF2CC"


def state_of(recipient: Recipient) -> str:
    if recipient.status is None:
        return "no_account"
    if recipient.status in ("pending", "sending"):
        return "waiting"
    return recipient.status


def receipts_workbook(
    catalog: Catalog,
    language: str,
    notice: Notice,
    recipients: Sequence[Recipient],
    tz: ZoneInfo,
) -> bytes:
    def t(key: str) -> str:
        return catalog.t(language, key)

    def when(seconds: int | None) -> str:
        if seconds is None:
            return ""
        return from_epoch(seconds).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    # A 家长回执 counts who read and agreed, in the words the guardians' button used.
    agree = for_guardians(notice.audience)
    book = xlsx.Book({"unconfirmed": _UNCONFIRMED_FILL}, header_fill=_HEADER_FILL)
    summary = book.sheet(t("notices.xlsx.sheet_summary"), [22, 60])
    states = Counter(state_of(r) for r in recipients)
    summary.append([t("notices.xlsx.notice"), f"#{notice.id}"])
    summary.append([t("notices.xlsx.created_at"), when(notice.created_at)])
    summary.append([t("notices.xlsx.text"), notice.text])
    summary.append([t("notices.xlsx.targeted"), len(recipients)])
    for state in STATES:
        summary.append([t(f"notices.state.{state}"), states.get(state, 0)])
    if notice.needs_confirmation:
        confirmed = sum(1 for r in recipients if r.confirmed_at is not None)
        summary.append(
            [t("notices.xlsx.agreed" if agree else "notices.xlsx.confirmed"), confirmed]
        )

    sheet = book.sheet(
        t("notices.xlsx.sheet_receipts"),
        [width for _, width in COLUMNS],
        [
            t(
                "notices.xlsx.col.agreed_at"
                if agree and name == "confirmed_at"
                else f"notices.xlsx.col.{name}"
            )
            for name, _ in COLUMNS
        ],
    )
    unconfirmed = {7: "unconfirmed"}
    for r in recipients:
        sheet.append(
            [
                r.school,
                r.class_name,
                r.number,
                guardian_name(catalog, language, r.name, r.children),
                t(f"roles.{r.role}"),
                t(f"notices.state.{state_of(r)}"),
                when(r.sent_at),
                when(r.confirmed_at),
                when(r.reminded_at),
            ],
            unconfirmed if notice.needs_confirmation and r.confirmed_at is None else None,
        )
    book.close()
    return book.content()
