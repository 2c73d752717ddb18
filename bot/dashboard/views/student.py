"""A student: the history chart and table of /student, contacts and calls."""

from __future__ import annotations

import base64

from bot.core.access import Viewer
from bot.core.clock import from_epoch
from bot.core.services import Services
from bot.dashboard.pages import (
    CONTACT_DAYS,
    MAX_ROWS,
    Page,
    Texts,
    clock_text,
    esc,
    table,
)
from bot.reports import student as student_report


async def student_page(svc: Services, viewer: Viewer, t: Texts, student_id: int) -> Page | None:
    """The same chart and table as /student (audited there), the contact log and calls."""
    view = await student_report.student_view(svc, viewer, student_id, t.language)
    if view is None:
        return None
    parts = []
    if view.chart is not None:
        data = base64.b64encode(view.chart).decode()
        parts.append(
            f'<img class="chart" alt="{t("dashboard.student.chart")}"'
            f' src="data:image/png;base64,{data}">'
        )
    lines = view.text.split("\n")
    parts.append('<ul class="history">' + "".join(f"<li>{esc(x)}</li>" for x in lines[1:]))
    parts.append("</ul>")
    contacts = await student_report.recent_contacts(svc, student_id, CONTACT_DAYS)
    parts.append(f"<h2>{t('dashboard.student.contacts', days=CONTACT_DAYS)}</h2>")
    if contacts:
        rows = [
            (
                esc(svc.catalog.day(t.language, from_epoch(c.at).astimezone(svc.tz).date()))
                + " "
                + clock_text(svc, c.at),
                t(f"dashboard.direction.{c.direction}"),
                esc(svc.catalog.t_or(t.language, f"dashboard.channel.{c.channel}", c.channel)),
                esc(c.staff_name),
            )
            for c in contacts[-MAX_ROWS:]
        ]
        head = [
            t("dashboard.col.when"),
            t("dashboard.col.what"),
            t("dashboard.col.channel"),
            t("dashboard.col.staff"),
        ]
        parts.append(table(head, rows, "contacts"))
    else:
        parts.append(f"<p>{t('dashboard.student.no_contacts')}</p>")
    return Page(lines[0], "".join(parts))
