"""The readiness report: everyone in a return with their declaration, clearance, who gave it
and when, as a table for its own XLSX workbook or a sheet of the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import xlsx
from bot.core.access import Viewer
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.returns import store
from bot.returns.readiness import school_scope
from bot.storage.db import Database

REPORT_COLUMNS = (
    "date",
    "school",
    "class",
    "number",
    "name",
    "role",
    "status",
    "answers",
    "photo",
    "flag",
    "declared_at",
    "decided_by",
    "decided_at",
    "hold_reason",
    "released_at",
)
REPORT_WIDTHS = {"school": 14, "class": 12, "answers": 30, "flag": 26, "hold_reason": 20}
# Flagged and held people stand out as abnormal cells do in the ledger.
REPORT_FILLS = {"warning": "FFEB9C", "urgent": "FFC7CE"}


@dataclass(frozen=True)
class Table:
    """The readiness report as rows of cells, for its own workbook or a ledger sheet."""

    title: str
    headers: list[str]
    widths: list[float]
    rows: list[tuple[list[object], dict[int, str]]]
    people: frozenset[int]


async def report_table(
    db: Database,
    catalog: Catalog,
    config: Config,
    school_ids: frozenset[int] | None,
    language: str,
    *,
    date_from: str = "",
    date_to: str = "9999",
) -> Table:
    """Everyone in a return of the schools (every school for None), with the return date in
    date_from..date_to: declaration, clearance, who gave it and when."""
    found = await store.report_rows(db, school_ids, date_from, date_to)
    t = catalog.t
    returns = config.returns
    asked = returns.questions_en if language == "en" else returns.questions_zh_cn
    tz = config.general.tz
    rows: list[tuple[list[object], dict[int, str]]] = []
    for r in found:
        fills = {}
        if r.status in ("flagged", "held"):
            level = "warning" if r.status == "flagged" else "urgent"
            fills[REPORT_COLUMNS.index("status")] = level
        no = [q for q, a in zip(asked, r.answers, strict=False) if a == "n"]
        answers = None
        if r.declared_at:
            answers = t(language, "returns.report.all_well") if not no else "；".join(no)
        role = "student" if r.role == "student" else "staff"
        cells: list[object] = [
            r.return_date,
            r.school_name,
            r.class_name,
            r.number,
            r.name,
            t(language, f"returns.report.role.{role}"),
            t(language, f"returns.report.status.{r.status}"),
            answers,
            t(language, "returns.report.yes") if r.has_photo else None,
            t(language, f"returns.flag.{r.flag}") if r.flag else None,
            _stamp(tz, r.declared_at),
            r.decided_by,
            _stamp(tz, r.decided_at),
            r.hold_reason,
            _stamp(tz, r.released_at),
        ]
        rows.append((cells, fills))
    return Table(
        t(language, "returns.report.sheet"),
        [t(language, f"returns.report.col.{c}") for c in REPORT_COLUMNS],
        [REPORT_WIDTHS.get(c, 11) for c in REPORT_COLUMNS],
        rows,
        frozenset(r.person_id for r in found),
    )


async def readiness_report(
    svc: Services, viewer: Viewer | None, language: str
) -> tuple[bytes, int]:
    """The readiness report of the viewer's schools (every school for the command line) as
    XLSX bytes, audited as an export; returns (content, rows)."""
    scope = school_scope(viewer) if viewer is not None else None
    table = await report_table(svc.db, svc.catalog, svc.config, scope, language)
    book = xlsx.Book(REPORT_FILLS)
    sheet = book.sheet(table.title, table.widths, table.headers)
    for cells, fills in table.rows:
        sheet.append(cells, fills)
    book.close()
    now = svc.now()
    async with svc.db.transaction() as tx:
        await store.audit(
            tx,
            at=now,
            actor_id=viewer.person.id if viewer is not None else None,
            action="return.export",
            person_id=viewer.person.id if viewer is not None else None,
            scope=("all" if scope is None else "school:" + ",".join(map(str, sorted(scope))))
            + f" rows:{len(table.rows)}",
        )
    return book.content(), len(table.rows)


def _stamp(tz: ZoneInfo, at: int | None) -> str | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %H:%M")
