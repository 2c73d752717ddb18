"""A notice's receipts as an XLSX workbook: one row per recipient, a totals sheet first."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.clock import from_epoch
from bot.i18n import Catalog
from bot.storage.notices import Notice, Recipient

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
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
_UNCONFIRMED_FILL = PatternFill("solid", fgColor="FFF2CC")


def _text(sheet: object, value: str) -> WriteOnlyCell:
    """A cell that stays text even when it starts with '=' (no formula from typed text)."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


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

    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(t("notices.xlsx.sheet_summary"))
    summary.column_dimensions["A"].width = 22
    summary.column_dimensions["B"].width = 60
    states = Counter(state_of(r) for r in recipients)
    summary.append([t("notices.xlsx.notice"), f"#{notice.id}"])
    summary.append([t("notices.xlsx.created_at"), when(notice.created_at)])
    summary.append([t("notices.xlsx.text"), _text(summary, notice.text)])
    summary.append([t("notices.xlsx.targeted"), len(recipients)])
    for state in STATES:
        summary.append([t(f"notices.state.{state}"), states.get(state, 0)])
    if notice.needs_confirmation:
        confirmed = sum(1 for r in recipients if r.confirmed_at is not None)
        summary.append([t("notices.xlsx.confirmed"), confirmed])

    sheet = workbook.create_sheet(t("notices.xlsx.sheet_receipts"))
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for name, _ in COLUMNS:
        cell = WriteOnlyCell(sheet, value=t(f"notices.xlsx.col.{name}"))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header.append(cell)
    sheet.append(header)
    for r in recipients:
        confirmed = WriteOnlyCell(sheet, value=when(r.confirmed_at))
        if notice.needs_confirmation and r.confirmed_at is None:
            confirmed.fill = _UNCONFIRMED_FILL
        sheet.append(
            [
                _text(sheet, r.school),
                _text(sheet, r.class_name),
                _text(sheet, r.number),
                _text(sheet, r.name),
                t(f"roles.{r.role}"),
                t(f"notices.state.{state_of(r)}"),
                when(r.sent_at),
                confirmed,
                when(r.reminded_at),
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
