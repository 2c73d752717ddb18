"""Today: per slot answered / not yet / missed, the flagged and why, and remind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from bot.alerts.rules import Thresholds
from bot.checkins import schedule
from bot.checkins.rounds import day_rounds
from bot.core.access import Viewer
from bot.core.services import Services
from bot.dashboard import store
from bot.dashboard.pages import (
    MAX_ROWS,
    Page,
    Texts,
    audit_view,
    csrf_field,
    esc,
    many_schools,
    narrowed,
    table,
)
from bot.reports import glance, today
from bot.reports.ledger import scope_text
from bot.storage.records import Scope


async def today_page(
    svc: Services, viewer: Viewer, t: Texts, csrf: str, school_id: int | None
) -> Page | None:
    """Per slot answered, in progress, not yet and missed; the schools (for a county); the
    flagged students and why; the remind button while a round is open. As /today, audited."""
    scope = narrowed(viewer, school_id)
    if scope is None:
        return None
    if school_id is None and many_schools(viewer):
        return await _county_today(svc, viewer, t, scope)
    now = svc.now()
    plan = await today.plan_of_school(
        svc, school_id if school_id is not None else viewer.person.school_id
    )
    summary = await today.summarize(svc, scope, now, by_school=False, plan=plan)
    if viewer.role == "doctor":
        summary = glance.health_only(summary)
    clock = today.clock_labels(svc, summary)
    parts = [f'<p class="lead">{t("today.isolated", count=summary.isolated)}</p>']
    parts.append(_slots_table(svc, t, summary.slots, clock))
    remind = summary.remindable
    if remind is not None and remind.round_id is not None and viewer.role != "doctor":
        count = remind.waiting + remind.in_progress
        target = f"?school={school_id}" if school_id is not None else ""
        parts.append(
            f'<form method="post" action="/today/remind{target}">{csrf_field(csrf)}'
            f'<input type="hidden" name="round" value="{remind.round_id}">'
            f'<button id="remind">{t("today.remind_button", count=count)}</button></form>'
        )
    shown = summary.flagged[:MAX_ROWS]
    if summary.flagged:
        parts.append(f"<h2>{t('today.flagged', count=len(summary.flagged))}</h2>")
        sep = glance.separator(t.language)
        rows = [
            (
                f'<a href="/students/{f.student.id}">{esc(f.student.name)}</a>',
                esc(f.student.number),
                esc(f.student.class_name),
                f'<span class="level-{f.level}">'
                + esc(sep.join(glance.reason_text(svc.catalog, t.language, r) for r in f.reasons))
                + "</span>",
            )
            for f in shown
        ]
        head = [
            t("dashboard.col.name"),
            t("dashboard.col.number"),
            t("dashboard.col.class"),
            t("dashboard.today.why"),
        ]
        parts.append(table(head, rows, "flagged"))
        if len(summary.flagged) > len(shown):
            parts.append(f"<p>{t('today.more', count=len(summary.flagged) - len(shown))}</p>")
    else:
        parts.append(f'<p class="ok">{t("today.no_flags")}</p>')
    if summary.contacts and summary.not_contacted:
        names = glance.separator(t.language).join(s.name for s in summary.not_contacted[:MAX_ROWS])
        parts.append(
            f"<p>{t('today.not_contacted', count=len(summary.not_contacted), names=names)}</p>"
        )
    day = date.fromisoformat(summary.local_date)
    await audit_view(
        svc, viewer, "today", scope_text(scope, day, day), (f.student.id for f in shown)
    )
    return Page(_today_title(svc, t, day), "".join(parts))


def _today_title(svc: Services, t: Texts, day: date) -> str:
    title = svc.catalog.t(t.language, "today.title", date=svc.catalog.day(t.language, day))
    return title.removeprefix("📋 ")


def _slots_table(
    svc: Services, t: Texts, slots: Sequence[glance.SlotLine], clock: dict[int, str]
) -> str:
    """One row per slot; with several timetables (schools with plans of their own) the plan
    each row is of comes first."""
    several = len({line.plan for line in slots}) > 1
    plan_cells = [
        [esc(line.plan or t("dashboard.today.plan_county"))] if several else [] for line in slots
    ]
    rows = [
        (
            *cells,
            esc(schedule.slot_name(svc.catalog, t.language, line.slot)),
            esc(clock[line.starts_at]),
            t(f"dashboard.slot_state.{line.state}"),
            str(line.answered),
            str(line.in_progress),
            str(line.waiting),
            str(line.missed),
        )
        for line, cells in zip(slots, plan_cells, strict=True)
    ]
    head = [
        *([t("dashboard.today.plan")] if several else []),
        t("dashboard.today.slot"),
        t("dashboard.today.time"),
        t("dashboard.today.state"),
        t("dashboard.today.answered"),
        t("dashboard.today.in_progress"),
        t("dashboard.today.waiting"),
        t("dashboard.today.missed"),
    ]
    return f"<h2>{t('dashboard.today.round')}</h2>" + table(head, rows, "slots")


async def _county_today(svc: Services, viewer: Viewer, t: Texts, scope: Scope) -> Page:
    """Several schools at a glance, counted in SQL: the round and each school's isolated and
    flagged students. Names come one school at a time, after choosing it."""
    now = svc.now()
    day = today.local_day(svc, now)
    thresholds = Thresholds.from_config(svc.config.alerts)
    rounds = await day_rounds(svc.db, day.isoformat(), None)
    totals = await store.round_totals(svc.db, day.isoformat(), scope)
    schools = await store.school_totals(
        svc.db,
        day.isoformat(),
        scope,
        now=now,
        fever_c=thresholds.fever_warning_c,
        low_mood_max=thresholds.low_mood_max,
    )
    # Every timetable its schools follow (一校一策), as the chat's /today over several schools.
    plans = schedule.plans_in_view(
        svc.config, (s.name for s in schools), (r.plan for r in rounds if r.id in totals)
    )
    slots = [
        replace(line, **vars(totals[line.round_id]))
        if line.round_id is not None and line.round_id in totals
        else line
        for plan in plans
        for line in glance.slot_lines(
            schedule.slot_times(svc.config.checkins_for(plan or None), day, svc.tz),
            [r for r in rounds if r.plan == plan],
            [],
            now,
            plan,
        )
    ]
    isolated = sum(s.isolated for s in schools)
    clock = {m: schedule.clock_time(m, svc.tz) for s in slots for m in (s.starts_at, s.closes_at)}
    rows = [
        (
            f'<a href="/today?school={s.school_id}">{esc(s.name)}</a>',
            str(s.isolated),
            f'<span class="{"warn" if s.flagged else ""}">{s.flagged}</span>',
        )
        for s in schools
    ]
    head = [
        t("dashboard.today.school"),
        t("dashboard.today.isolated"),
        t("dashboard.today.flagged"),
    ]
    body = (
        f'<p class="lead">{t("today.isolated", count=isolated)}</p>'
        + _slots_table(svc, t, slots, clock)
        + f"<h2>{t('dashboard.today.schools')}</h2>"
        + table(head, rows, "schools")
    )
    await audit_view(svc, viewer, "today", scope_text(scope, day, day), ())
    return Page(_today_title(svc, t, day), body)
