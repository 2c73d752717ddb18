"""A student's last check-ins as a short table, from an alert card's History button."""

from __future__ import annotations

from bot.alerts import rules
from bot.alerts.store import alerts as alert_store
from bot.checkins.evaluation import last_settled
from bot.checkins.schedule import slot_name
from bot.core.access import Viewer, may_see_screen_scores
from bot.core.services import Services
from bot.storage import audit, people

HISTORY_ROWS = 6


async def history_text(services: Services, alert_id: int, viewer: Viewer) -> str | None:
    """The student's last few check-ins as a short table, as the viewer's role may see them.
    The view is audited. None if the alert is unknown."""
    alert = await alert_store.alert_by_id(services.db, alert_id)
    if alert is None:
        return None
    info = await people.student_info(services.db, alert.student_id)
    if info is None:
        return None
    rows = await last_settled(services.db, alert.student_id, HISTORY_ROWS)
    language = viewer.person.language or services.config.general.language
    scores = may_see_screen_scores(viewer)
    catalog = services.catalog
    lines = [catalog.t(language, "alerts.history.title", name=info.person.name, count=len(rows))]
    lines += [_history_line(services, language, row, scores) for row in rows]
    if not rows:
        lines.append(catalog.t(language, "alerts.history.none"))
    async with services.db.transaction() as tx:
        await audit.record(
            tx,
            actor_id=viewer.person.id,
            action="alert_history",
            now=services.now(),
            student_id=alert.student_id,
        )
    return "\n".join(lines)


def _history_line(services: Services, language: str, row: rules.CheckinFacts, scores: bool) -> str:
    catalog = services.catalog
    slots = services.config.checkins.slots
    slot = slots[row.slot_index].name if row.slot_index < len(slots) else str(row.slot_index)
    when = f"{row.local_date.isoformat()[5:]} {slot_name(catalog, language, slot)}"
    if row.status != "answered":
        return catalog.t(language, f"alerts.history.{row.status}", when=when)
    temperature = "—" if row.temperature_c is None else f"{row.temperature_c:.1f}°C"
    separator = catalog.t(language, "checkin.list_separator")
    symptoms = (
        separator.join(catalog.t(language, f"checkin.symptom.{s}") for s in sorted(row.symptoms))
        if row.symptoms
        else catalog.t(language, "alerts.history.no_symptoms")
    )
    parts = [when, temperature, symptoms]
    if row.mood is not None:
        parts.append(catalog.t(language, "alerts.history.mood", mood=row.mood))
    if row.screen is not None:
        total = sum(row.screen)
        if scores:
            parts.append(catalog.t(language, "alerts.history.screen", total=total))
        elif _screen_flagged(services, row.screen):
            parts.append(catalog.t(language, "alerts.seen.wellbeing_flag"))
    return " · ".join(parts)


def _screen_flagged(services: Services, screen: tuple[int, int, int, int]) -> bool:
    settings = services.config.alerts
    anxiety, depression = screen[0] + screen[1], screen[2] + screen[3]
    return (
        max(anxiety, depression) >= settings.screen_subscale_warning
        or anxiety + depression >= settings.screen_total_urgent
    )
