"""The receipts of a notice as an XLSX file."""

from __future__ import annotations

from bot.core.access import Viewer
from bot.core.services import Services
from bot.notices import workbook as noticexlsx
from bot.notices.store import reports as report_store
from bot.notices.store.notices import Notice
from bot.storage import audit


async def export(
    svc: Services, notice: Notice, viewer: Viewer | None, language: str
) -> tuple[str, bytes]:
    """The receipts as an XLSX file (name, bytes); the export is audited."""
    rows = await report_store.recipients(svc.db, notice.id)
    data = noticexlsx.receipts_workbook(svc.catalog, language, notice, rows, svc.tz)
    async with svc.db.transaction() as tx:
        await audit.record(
            tx,
            actor_id=viewer.person.id if viewer is not None else None,
            action="notice_receipts_export",
            now=svc.now(),
            scope=f"notice:{notice.id}",
            rows=len(rows),
        )
    return f"notice-{notice.id}-receipts.xlsx", data
