"""What every dashboard page shares: the layout, the catalog, tables, the viewer's scope and the
audit of a view. The pages (bot/dashboard/views/) are server-rendered HTML, each within the
viewer's scope and audited like the chat view it mirrors; every value is escaped and no page
carries a script of its own."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.access import Viewer
from bot.core.clock import from_epoch
from bot.core.services import Services
from bot.reports.ledger import scope_for
from bot.storage import audit
from bot.storage.records import Scope

# A page is read, not scrolled for ever: longer lists are counted, not named.
MAX_ROWS = 200
TREND_DAYS = 14
CONTACT_DAYS = 14

esc = html.escape


@dataclass(frozen=True)
class Page:
    title: str
    body: str


class Texts:
    """The catalog in one language, for the dashboard's keys and the chat's."""

    def __init__(self, svc: Services, language: str) -> None:
        self.catalog = svc.catalog
        self.language = language

    def __call__(self, key: str, **params: object) -> str:
        return esc(self.catalog.t(self.language, key, **params))


def language_of(svc: Services, viewer: Viewer) -> str:
    return viewer.person.language or svc.catalog.default


def layout(t: Texts, page: Page, viewer: Viewer, csrf: str, notice: str = "") -> str:
    """A whole document: the navigation of the viewer's role, a flash line, the page."""
    links = [("today", "/today"), ("alerts", "/alerts"), ("trends", "/trends")]
    links.append(("ledger", "/ledger"))
    if viewer.role in ("teacher", "admin"):
        links.append(("notices", "/notices"))
    nav = "".join(f'<a href="{href}">{t(f"dashboard.nav.{name}")}</a>' for name, href in links)
    flash = f'<p class="flash" role="status">{notice}</p>' if notice else ""
    return (
        f'<!doctype html><html lang="{esc(t.language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(page.title)}</title>"
        '<link rel="stylesheet" href="/static/app.css"></head><body>'
        f"<header><nav>{nav}</nav>"
        f'<form method="post" action="/logout" class="inline">{csrf_field(csrf)}'
        f'<button class="link">{t("dashboard.nav.logout")}</button></form>'
        f'<span class="who">{esc(viewer.person.name)}</span></header>'
        f"<main><h1>{esc(page.title)}</h1>{flash}{page.body}</main></body></html>"
    )


def bare(language: str, title: str, body: str, *, script: bool = False) -> str:
    """A page outside a session: the launch page, a login link, a refusal."""
    tag = '<script src="/static/app.js"></script>' if script else ""
    return (
        f'<!doctype html><html lang="{esc(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{esc(title)}</title><link rel="stylesheet" href="/static/app.css"></head>'
        f"<body><main>{body}</main>{tag}</body></html>"
    )


def csrf_field(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{esc(csrf)}">'


def table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table of already-escaped cells."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table class="{cls}"><tr>{th}</tr>{body}</table></div>'


def clock_text(svc: Services, seconds: int) -> str:
    return from_epoch(seconds).astimezone(svc.tz).strftime("%H:%M")


def age_text(t: Texts, seconds: int) -> str:
    minutes = max(0, seconds // 60)
    if minutes < 60:
        return t("dashboard.age.minutes", count=minutes)
    if minutes < 48 * 60:
        return t("dashboard.age.hours", count=minutes // 60)
    return t("dashboard.age.days", count=minutes // 1440)


# --- scope ----------------------------------------------------------------------------------


def narrowed(viewer: Viewer, school_id: int | None) -> Scope | None:
    """The viewer's scope, or one school of it when they chose one they cover (else None)."""
    base = scope_for(viewer)
    if base is None or school_id is None:
        return base
    if base.class_ids is not None:
        return None
    if base.school_ids is not None and school_id not in base.school_ids:
        return None
    return Scope(school_ids=frozenset({school_id}))


def many_schools(viewer: Viewer) -> bool:
    return viewer.is_bureau_admin or (viewer.role == "counselor" and len(viewer.school_ids) > 1)


async def audit_view(
    svc: Services, viewer: Viewer, action: str, scope: str, student_ids: Iterable[int]
) -> None:
    async with svc.db.transaction() as tx:
        await audit.record_view(
            tx,
            actor_id=viewer.person.id,
            action=action,
            now=svc.now(),
            student_ids=sorted(set(student_ids)),
            scope=f"web {scope}",
        )
