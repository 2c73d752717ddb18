"""The dashboard's pages as server-rendered HTML, each within the viewer's scope and audited
like the chat view it mirrors. Every value is escaped; no page carries a script of its own."""

from __future__ import annotations

import base64
import html
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.alerts import rules
from bot.alerts.rules import Thresholds
from bot.checkins import schedule
from bot.core.access import Viewer
from bot.core.clock import from_epoch
from bot.core.services import Services
from bot.dashboard import store
from bot.notices import receipts
from bot.reports import glance, today
from bot.reports import student as student_report
from bot.reports.ledger import day_bounds, scope_for, scope_text
from bot.reports.store import ledger as ledger_store
from bot.reports.store import stats as stats_store
from bot.reports.store import today as today_store
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


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table of already-escaped cells."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table class="{cls}"><tr>{th}</tr>{body}</table></div>'


def _clock(svc: Services, seconds: int) -> str:
    return from_epoch(seconds).astimezone(svc.tz).strftime("%H:%M")


def _age(t: Texts, seconds: int) -> str:
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


def _many_schools(viewer: Viewer) -> bool:
    return viewer.is_bureau_admin or (viewer.role == "counselor" and len(viewer.school_ids) > 1)


async def _audit_view(
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


# --- today ----------------------------------------------------------------------------------


async def today_page(
    svc: Services, viewer: Viewer, t: Texts, csrf: str, school_id: int | None
) -> Page | None:
    """Per slot answered, in progress, not yet and missed; the schools (for a county); the
    flagged students and why; the remind button while a round is open. As /today, audited."""
    scope = narrowed(viewer, school_id)
    if scope is None:
        return None
    if school_id is None and _many_schools(viewer):
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
        parts.append(_table(head, rows, "flagged"))
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
    await _audit_view(
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
    return f"<h2>{t('dashboard.today.round')}</h2>" + _table(head, rows, "slots")


async def _county_today(svc: Services, viewer: Viewer, t: Texts, scope: Scope) -> Page:
    """Several schools at a glance, counted in SQL: the round and each school's isolated and
    flagged students. Names come one school at a time, after choosing it."""
    now = svc.now()
    day = today.local_day(svc, now)
    thresholds = Thresholds.from_config(svc.config.alerts)
    rounds = await today_store.rounds_on(svc.db, day.isoformat(), None)
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
        + _table(head, rows, "schools")
    )
    await _audit_view(svc, viewer, "today", scope_text(scope, day, day), ())
    return Page(_today_title(svc, t, day), body)


# --- open alerts ----------------------------------------------------------------------------


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
                f" · {t('dashboard.alerts.age', age=_age(t, now - a.opened_at))}</p>"
                f'<p><a href="/students/{a.student_id}">{esc(a.name)}</a>'
                f" {esc(a.number)} · {esc(a.class_name)} · {esc(a.school_name)}</p>"
                f'<p class="owner">{owner} · {step}'
                f"</p>{''.join(actions)}</section>"
            )
        body = "".join(cards)
    if scope is not None:
        await _audit_view(
            svc,
            viewer,
            "dashboard_alerts",
            scope_text(scope, today.local_day(svc, now), today.local_day(svc, now)),
            (a.student_id for a in rows),
        )
    return Page(t("dashboard.alerts.title", count=len(rows)), body)


# --- a student ------------------------------------------------------------------------------


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
    now = svc.now()
    contacts = await ledger_store.contacts(
        svc.db,
        start_at=now - CONTACT_DAYS * 86400,
        end_at=now + 1,
        scope=Scope(student_id=student_id),
    )
    parts.append(f"<h2>{t('dashboard.student.contacts', days=CONTACT_DAYS)}</h2>")
    if contacts:
        rows = [
            (
                esc(svc.catalog.day(t.language, from_epoch(c.at).astimezone(svc.tz).date()))
                + " "
                + _clock(svc, c.at),
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
        parts.append(_table(head, rows, "contacts"))
    else:
        parts.append(f"<p>{t('dashboard.student.no_contacts')}</p>")
    return Page(lines[0], "".join(parts))


# --- trends ---------------------------------------------------------------------------------


async def _closed_days(
    svc: Services, scope: Scope, first: date, last: date, thresholds: Thresholds
) -> list[store.DayTrend]:
    """Per school and closed day, from the day totals, counting any day not counted yet."""
    span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    counted = await store.rolled_up_days(svc.db, first.isoformat(), last.isoformat())
    for day in span:
        if day.isoformat() not in counted:
            async with svc.db.transaction() as tx:
                await store.roll_up_day(
                    tx,
                    day.isoformat(),
                    fever_c=thresholds.fever_warning_c,
                    low_mood_max=thresholds.low_mood_max,
                )
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
        async with svc.db.transaction() as tx:
            await store.roll_up_day(
                tx,
                day.isoformat(),
                fever_c=thresholds.fever_warning_c,
                low_mood_max=thresholds.low_mood_max,
            )
        done += 1
    return done


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
    by_school = school_id is None and _many_schools(viewer)
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
    opened = await stats_store.alerts_opened(svc.db, scope, since)
    acks: dict[str, list[int]] = defaultdict(list)
    for a in opened:
        if a.acknowledged_at is not None:
            day = from_epoch(a.opened_at).astimezone(svc.tz).date().isoformat()
            acks[day].append(a.acknowledged_at - a.opened_at)
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
        waits = acks.get(d.local_date) if not by_school else None
        row.append(
            t("dashboard.age.minutes", count=round(statistics.median(waits) / 60))
            if waits
            else "–"
        )
        rows.append(row)
    body = _table(head, rows, "trends") if rows else f"<p>{t('dashboard.trends.none')}</p>"
    if by_school and opened:
        waits = [a.acknowledged_at - a.opened_at for a in opened if a.acknowledged_at]
        if waits:
            median = round(statistics.median(waits) / 60)
            body += f"<p>{t('dashboard.trends.ack_all', minutes=median)}</p>"
    await _audit_view(svc, viewer, "dashboard_trends", scope_text(scope, first, last), ())
    return Page(t("dashboard.trends.title", days=TREND_DAYS), body)


# --- ledger and notices ---------------------------------------------------------------------


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
