"""The ledger's download page and the notices' receipts with their remind action."""

from __future__ import annotations

from datetime import timedelta

from bot.core.access import Viewer
from bot.core.services import Services
from bot.dashboard.pages import (
    Page,
    Texts,
    csrf_field,
    esc,
)
from bot.notices import receipts
from bot.reports import today


def ledger_page(svc: Services, t: Texts) -> Page:
    """A date range to download as the same workbook /ledger sends."""
    last = today.local_day(svc, svc.now())
    first = last - timedelta(days=6)
    body = (
        '<form method="get" action="/ledger.xlsx" class="range">'
        f"<label>{t('dashboard.ledger.from')}"
        f' <input type="date" name="from" value="{first}"></label>'
        f'<label>{t("dashboard.ledger.to")} <input type="date" name="to" value="{last}"></label>'
        f'<button id="download">{t("dashboard.ledger.download")}</button></form>'
        f"<p>{t('dashboard.ledger.hint')}</p>"
    )
    return Page(t("dashboard.ledger.title"), body)


async def notices_page(svc: Services, viewer: Viewer, t: Texts, csrf: str) -> Page:
    """Each recent notice's receipts with the unconfirmed, and the remind action."""
    found = await receipts.recent(svc, viewer)
    parts = []
    for notice in found:
        report = await receipts.report_text(svc, t.language, notice)
        remind = ""
        if notice.needs_confirmation and notice.withdrawn_at is None:
            remind = (
                f'<form method="post" action="/notices/{notice.id}/remind">{csrf_field(csrf)}'
                f"<button>{t('dashboard.notices.remind')}</button></form>"
            )
        parts.append(f'<section class="notice"><pre>{esc(report)}</pre>{remind}</section>')
    if not parts:
        parts.append(f"<p>{t('notices.list_empty')}</p>")
    return Page(t("dashboard.notices.title"), "".join(parts))
