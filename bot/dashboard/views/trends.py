"""Trends over the last 14 days: response rate, fevers, low mood, time to acknowledge."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

from bot.alerts.rules import Thresholds
from bot.core.access import Viewer
from bot.core.services import Services
from bot.dashboard import store
from bot.dashboard.pages import (
    TREND_DAYS,
    Page,
    Texts,
    audit_view,
    esc,
    many_schools,
    narrowed,
    table,
)
from bot.reports import adminviews, today
from bot.reports.ledger import day_bounds, scope_text
from bot.storage.records import Scope


async def _closed_days(
    svc: Services, scope: Scope, first: date, last: date, thresholds: Thresholds
) -> list[store.DayTrend]:
    """Per school and closed day, from the day totals, counting any day not counted yet."""
    span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    counted = await store.rolled_up_days(svc.db, first.isoformat(), last.isoformat())
    for day in span:
        if day.isoformat() not in counted:
            await _roll_up(svc, day, thresholds)
    return await store.rolled_up_trends(
        svc.db, scope.school_ids, first.isoformat(), last.isoformat()
    )


async def count_closed_days(svc: Services, now: int) -> int:
    """Count the trend window's closed days not counted yet, ahead of the first view of the
    day (the nightly job); returns how many were counted."""
    thresholds = Thresholds.from_config(svc.config.alerts)
    last = today.local_day(svc, now) - timedelta(days=1)
    first = last - timedelta(days=TREND_DAYS - 1)
    counted = await store.rolled_up_days(svc.db, first.isoformat(), last.isoformat())
    done = 0
    for day in (first + timedelta(days=n) for n in range(TREND_DAYS)):
        # A late slot's window may run past midnight: such a day waits for the next run.
        if day.isoformat() in counted or not await store.day_closed(svc.db, day.isoformat(), now):
            continue
        await _roll_up(svc, day, thresholds)
        done += 1
    return done


async def _roll_up(svc: Services, day: date, thresholds: Thresholds) -> None:
    """Count one day's totals per school, with the thresholds /today flags by."""
    async with svc.db.transaction() as tx:
        await store.roll_up_day(
            tx,
            day.isoformat(),
            fever_c=thresholds.fever_warning_c,
            low_mood_max=thresholds.low_mood_max,
        )


def _bar(value: float, cls: str) -> str:
    """A horizontal bar for a share 0..1, drawn as SVG (the CSP allows no inline style)."""
    width = max(0, min(100, round(value * 100)))
    return (
        f'<svg class="bar {cls}" viewBox="0 0 100 8" preserveAspectRatio="none"'
        ' aria-hidden="true">'
        f'<rect width="100" height="8" class="track"/><rect width="{width}" height="8"/></svg>'
    )


async def trends_page(
    svc: Services, viewer: Viewer, t: Texts, school_id: int | None
) -> Page | None:
    """The last 14 days: response rate, fevers, low moods and time to acknowledge, per school
    for whoever covers several."""
    scope = narrowed(viewer, school_id)
    if scope is None:
        return None
    now = svc.now()
    last = today.local_day(svc, now)
    by_school = school_id is None and many_schools(viewer)
    thresholds = Thresholds.from_config(svc.config.alerts)
    if by_school:
        # Several schools: the closed days, counted once per day and school (today is on the
        # today page), so a county's fortnight is not 1.7 million check-ins read per click.
        last -= timedelta(days=1)
        first = last - timedelta(days=TREND_DAYS - 1)
        days = await _closed_days(svc, scope, first, last, thresholds)
    else:
        first = last - timedelta(days=TREND_DAYS - 1)
        days = await store.day_trends(
            svc.db,
            scope,
            first.isoformat(),
            last.isoformat(),
            by_school=False,
            fever_c=thresholds.fever_warning_c,
            low_mood_max=thresholds.low_mood_max,
        )
    since, _ = day_bounds(first, first, svc.tz)
    acks = await adminviews.ack_waits(svc, scope, since)
    show_mood = viewer.role != "doctor"
    head = [t("dashboard.col.day")]
    if by_school:
        head.append(t("dashboard.today.school"))
    head += [t("dashboard.trends.response"), t("dashboard.trends.fevers")]
    if show_mood:
        head.append(t("dashboard.trends.low_mood"))
    head.append(t("dashboard.trends.ack"))
    rows = []
    for d in days:
        rate = d.answered / d.expected if d.expected else 0.0
        row = [esc(svc.catalog.day(t.language, date.fromisoformat(d.local_date)))]
        if by_school:
            row.append(esc(d.school))
        row += [
            f"{_bar(rate, 'rate')} {rate:.0%} ({d.answered}/{d.expected})",
            f'<span class="{"warn" if d.fevers else ""}">{d.fevers or 0}</span>',
        ]
        if show_mood:
            row.append(str(d.low_moods or 0))
        waits = acks.by_day.get(d.local_date) if not by_school else None
        row.append(
            t("dashboard.age.minutes", count=round(statistics.median(waits) / 60))
            if waits
            else "–"
        )
        rows.append(row)
    body = table(head, rows, "trends") if rows else f"<p>{t('dashboard.trends.none')}</p>"
    if by_school and acks.every:
        median = round(statistics.median(acks.every) / 60)
        body += f"<p>{t('dashboard.trends.ack_all', minutes=median)}</p>"
    await audit_view(svc, viewer, "dashboard_trends", scope_text(scope, first, last), ())
    return Page(t("dashboard.trends.title", days=TREND_DAYS), body)
