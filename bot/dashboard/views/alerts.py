"""Open alerts: severity, age, who took it, escalation step, and the card's actions."""

from __future__ import annotations

from bot.alerts import rules
from bot.core.access import Viewer
from bot.core.services import Services
from bot.dashboard import store
from bot.dashboard.pages import (
    MAX_ROWS,
    Page,
    Texts,
    age_text,
    audit_view,
    csrf_field,
    esc,
)
from bot.reports import today
from bot.reports.ledger import scope_for, scope_text


def _alert_for_role(viewer: Viewer, row: store.AlertRow) -> bool:
    """What the chat routes to the role; admins see all in scope, as escalations reach them."""
    if viewer.role == "admin":
        return True
    try:
        routes = rules.route(rules.AlertKind(row.kind), rules.Level(row.level))
    except ValueError:
        return False
    return viewer.role in {getattr(r, "value", r) for r in routes}


async def alerts_page(svc: Services, viewer: Viewer, t: Texts, csrf: str) -> Page:
    """Open alerts: severity, age, who took it, escalation step, and the card's actions."""
    scope = scope_for(viewer)
    found = [] if scope is None else await store.open_alerts(svc.db, scope, limit=MAX_ROWS * 5)
    rows = [a for a in found if _alert_for_role(viewer, a)][:MAX_ROWS]
    now = svc.now()
    if not rows:
        body = f'<p class="ok">{t("dashboard.alerts.none")}</p>'
    else:
        cards = []
        for a in rows:
            owner = (
                t("dashboard.alerts.taken_by", name=a.owner)
                if a.owner
                else t("dashboard.alerts.nobody_yet")
            )
            actions = []
            if a.state == "open":
                actions.append(
                    f'<form method="post" action="/alerts/{a.id}/ack">{csrf_field(csrf)}'
                    f'<button class="ack">{t("alerts.button.ack")}</button></form>'
                )
            actions.append(
                f'<form method="post" action="/alerts/{a.id}/resolve">{csrf_field(csrf)}'
                f'<input name="note" maxlength="200" placeholder="{t("dashboard.alerts.note")}">'
                f'<button class="done">{t("alerts.button.done")}</button></form>'
            )
            step = t(f"dashboard.alerts.step.{min(a.escalation_step, 2)}")
            cards.append(
                f'<section class="alert level-{esc(a.level)}" id="alert-{a.id}">'
                f"<p><b>{t(f'alerts.level.{a.level}')}</b> · {t(f'alerts.kind.{a.kind}')}"
                f" · {t('dashboard.alerts.age', age=age_text(t, now - a.opened_at))}</p>"
                f'<p><a href="/students/{a.student_id}">{esc(a.name)}</a>'
                f" {esc(a.number)} · {esc(a.class_name)} · {esc(a.school_name)}</p>"
                f'<p class="owner">{owner} · {step}'
                f"</p>{''.join(actions)}</section>"
            )
        body = "".join(cards)
    if scope is not None:
        await audit_view(
            svc,
            viewer,
            "dashboard_alerts",
            scope_text(scope, today.local_day(svc, now), today.local_day(svc, now)),
            (a.student_id for a in rows),
        )
    return Page(t("dashboard.alerts.title", count=len(rows)), body)
