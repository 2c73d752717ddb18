"""The admins' figures (/stats) and audit reading (/audit) shaped into text: counts, rates,
medians and lines, with no I/O."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.i18n import Catalog
from bot.reports.store.stats import AlertTimes, AuditLine, IsolatedCount, RoundCount, ScopeNames

# The figures look back over this many local days, today included.
DAYS = 7
KINDS = ("home", "centralized", "on_campus")
# Most pressing first: an admin reads the top of the message.
LEVELS = ("urgent", "warning", "info")
DELIVERY = ("unknown", "unreachable", "failed")


@dataclass(frozen=True)
class LevelFigures:
    level: str
    opened: int
    acknowledged: int
    resolved: int
    median_ack_minutes: float | None


def window(today: date) -> tuple[date, date]:
    """The first and last local day of the look-back, today last."""
    return today - timedelta(days=DAYS - 1), today


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values (where statistics.median raises)."""
    return statistics.median(values) if values else None


def percent(part: int, whole: int) -> int:
    """part of whole in whole percent, halves rounded up; 0 of nothing is 0."""
    if whole <= 0:
        return 0
    return (200 * part + whole) // (2 * whole)


def level_figures(alerts: Sequence[AlertTimes]) -> list[LevelFigures]:
    """Per level: alerts opened, how many were acknowledged and resolved, and the median
    minutes from opening to acknowledgement (a resolve counts as one)."""
    figures = []
    for level in LEVELS:
        mine = [a for a in alerts if a.level == level]
        waits = [
            (a.acknowledged_at - a.opened_at) / 60 for a in mine if a.acknowledged_at is not None
        ]
        figures.append(
            LevelFigures(
                level,
                len(mine),
                len(waits),
                sum(1 for a in mine if a.resolved_at is not None),
                median(waits),
            )
        )
    return figures


def minutes_text(minutes: float) -> str:
    """Whole minutes when whole, else one decimal: 12, 7.5."""
    rounded = round(minutes, 1)
    return f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"


def _kinds_text(catalog: Catalog, language: str, counts: dict[str, int]) -> str:
    ordered = [k for k in KINDS if k in counts] + sorted(k for k in counts if k not in KINDS)
    parts = [
        catalog.t(
            language,
            "adminviews.stats.kind",
            kind=catalog.t_or(language, f"isolation.kind.{k}", k),
            count=n,
        )
        for k, n in ((k, counts[k]) for k in ordered)
    ]
    return catalog.t(language, "adminviews.sep").join(parts)


def isolated_lines(
    catalog: Catalog, language: str, isolated: Sequence[IsolatedCount], *, by_school: bool
) -> list[str]:
    """The total now, by kind, and (for a bureau) by school."""
    t = catalog.t
    if not isolated:
        return [t(language, "adminviews.stats.no_isolated")]
    kinds: dict[str, int] = defaultdict(int)
    schools: dict[str, dict[str, int]] = defaultdict(dict)
    for row in isolated:
        kinds[row.kind] += row.students
        schools[row.school_name][row.kind] = row.students
    total = sum(kinds.values())
    lines = [
        t(language, "adminviews.stats.isolated", count=total),
        "  " + _kinds_text(catalog, language, kinds),
    ]
    if by_school:
        for school in sorted(schools):
            counts = schools[school]
            lines.append(
                "  "
                + t(
                    language,
                    "adminviews.stats.school",
                    school=school,
                    count=sum(counts.values()),
                    kinds=_kinds_text(catalog, language, counts),
                )
            )
    return lines


def round_lines(catalog: Catalog, language: str, rounds: Sequence[RoundCount]) -> list[str]:
    """One line per round: date, slot, answered/expected and the rate; newest last."""
    if not rounds:
        return ["  " + catalog.t(language, "adminviews.stats.no_rounds")]
    lines = []
    for r in rounds:
        key = "adminviews.stats.round" if r.closed else "adminviews.stats.round_open"
        lines.append(
            "  "
            + catalog.t(
                language,
                key,
                date=r.local_date[5:],
                slot=catalog.t_or(language, f"checkin.slot.{r.slot}", r.slot),
                answered=r.answered,
                expected=r.expected,
                percent=percent(r.answered, r.expected),
            )
        )
    return lines


def alert_lines(catalog: Catalog, language: str, alerts: Sequence[AlertTimes]) -> list[str]:
    lines = []
    for f in level_figures(alerts):
        level = catalog.t(language, f"alerts.level.{f.level}")
        counts = {"opened": f.opened, "acknowledged": f.acknowledged, "resolved": f.resolved}
        if f.median_ack_minutes is None:
            text = catalog.t(language, "adminviews.stats.alert", level=level, **counts)
        else:
            text = catalog.t(
                language,
                "adminviews.stats.alert_ack",
                level=level,
                median=minutes_text(f.median_ack_minutes),
                **counts,
            )
        lines.append("  " + text)
    return lines


def render_stats(
    catalog: Catalog,
    language: str,
    *,
    now_label: str,
    days: tuple[date, date],
    isolated: Sequence[IsolatedCount],
    rounds: Sequence[RoundCount],
    alerts: Sequence[AlertTimes],
    delivery: dict[str, int],
    by_school: bool,
) -> str:
    """The whole /stats message: isolated now, then the last days' rounds, alerts, delivery."""
    t = catalog.t
    first, last = days[0].isoformat(), days[1].isoformat()
    lines = [t(language, "adminviews.stats.title", now=now_label), ""]
    lines += isolated_lines(catalog, language, isolated, by_school=by_school)
    lines += ["", t(language, "adminviews.stats.rounds", first=first, last=last, days=DAYS)]
    lines += round_lines(catalog, language, rounds)
    lines += ["", t(language, "adminviews.stats.alerts", days=DAYS)]
    lines += alert_lines(catalog, language, alerts)
    lines += ["", t(language, "adminviews.stats.delivery", days=DAYS)]
    lines += [
        "  " + t(language, f"adminviews.stats.delivery_{status}", count=delivery.get(status, 0))
        for status in DELIVERY
    ]
    return "\n".join(lines)


def local_time(seconds: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(seconds, tz).strftime("%m-%d %H:%M")


def action_text(catalog: Catalog, language: str, action: str) -> str:
    """An audit code as words; a code the catalog does not know yet shows as itself."""
    kind, _, change = action.partition(":")
    if kind == "answerer" and change.count(":") == 1:
        # answerer:<from>:<to>, as bot/guardians/choice.py records an /answerer change.
        old, new = (
            catalog.t_or(language, f"adminviews.answerer.{value}", value)
            for value in change.split(":")
        )
        return catalog.t(language, "adminviews.action.answerer", old=old, new=new)
    return catalog.t_or(language, f"adminviews.action.{action}", action)


def scope_ids(lines: Sequence[AuditLine]) -> dict[str, set[int]]:
    """The ids the lines' scopes name, by kind ('school', 'class', 'notice', 'round')."""
    found: dict[str, set[int]] = defaultdict(set)
    for line in lines:
        for token in (line.scope or "").split():
            kind, _, ids = token.partition(":")
            if kind in ("school", "class", "notice", "round"):
                found[kind].update(int(i) for i in ids.split(",") if i.isdigit())
    return found


def scope_words(
    catalog: Catalog, language: str, scope: str, names: ScopeNames, *, with_school: bool
) -> str:
    """An audit scope ('class:3 2026-11-30..2026-12-13', 'notice:1') in words; no raw ids."""
    separator = catalog.t(language, "adminviews.sep")
    parts = []
    for token in scope.split():
        kind, _, value = token.partition(":")
        ids = [int(i) for i in value.split(",") if i.isdigit()]
        if kind == "school":
            parts.append(separator.join(names.schools.get(i, "?") for i in ids))
        elif kind == "class":
            labels = []
            for i in ids:
                school, name = names.classes.get(i, ("", "?"))
                labels.append(f"{school} {name}" if with_school and school else name)
            parts.append(separator.join(labels))
        elif kind == "notice":
            texts = [names.notices.get(i, "") for i in ids]
            parts += [
                catalog.t(language, "adminviews.audit.notice", text=_clip(text)) for text in texts
            ]
        elif kind == "round":
            for i in ids:
                day, slot = names.rounds.get(i, ("", ""))
                slot_name = catalog.t_or(language, f"checkin.slot.{slot}", slot)
                parts.append(f"{day[5:]} {slot_name}".strip())
        elif token == "all":
            parts.append(catalog.t(language, "adminviews.audit.all"))
        elif ".." in token:
            first, _, last = token.partition("..")
            if first == last:
                parts.append(first[5:])
            else:
                parts.append(catalog.t(language, "adminviews.audit.span", first=first[5:],
                                       last=last[5:]))  # fmt: skip
        elif len(token) == 10 and token[4] == "-":
            parts.append(token[5:])
    return " ".join(p for p in parts if p)


def _clip(text: str, limit: int = 16) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[:limit] + "…"


def audit_line(
    catalog: Catalog,
    language: str,
    line: AuditLine,
    tz: ZoneInfo,
    names: ScopeNames | None = None,
    *,
    with_school: bool = False,
) -> str:
    """When, who, what, and which student or scope; an export says how much it held."""
    who = line.actor_name or catalog.t(language, "adminviews.audit.system")
    common = {
        "time": local_time(line.at, tz),
        "actor": who,
        "action": action_text(catalog, language, line.action),
    }
    suffix = ""
    if line.students > 1 or line.rows is not None:
        count = catalog.t(language, "adminviews.audit.students", count=line.students)
        if line.rows is not None:
            count += catalog.t(language, "adminviews.sep") + catalog.t(
                language, "adminviews.audit.rows", count=line.rows
            )
        suffix = catalog.t(language, "adminviews.audit.count", count=count)
    if line.students == 1 and line.student_name is not None and line.rows is None:
        return catalog.t(
            language,
            "adminviews.audit.line_student",
            student=line.student_name,
            number=line.student_number or "",
            **common,
        )
    if line.scope:
        empty = ScopeNames({}, {}, {}, {})
        scope = scope_words(catalog, language, line.scope, names or empty, with_school=with_school)
        if scope:
            text = catalog.t(language, "adminviews.audit.line_scope", scope=scope, **common)
            return text + suffix
    return catalog.t(language, "adminviews.audit.line", **common) + suffix


def render_audit(
    catalog: Catalog,
    language: str,
    lines: Sequence[AuditLine],
    tz: ZoneInfo,
    *,
    title_key: str,
    none_key: str,
    scope_names: ScopeNames | None = None,
    with_school: bool = False,
    **names: str,
) -> str:
    """A title naming whose entries these are, then one line per entry, newest first."""
    if not lines:
        return catalog.t(language, none_key, **names)
    head = catalog.t(language, title_key, count=len(lines), **names)
    body = [
        audit_line(catalog, language, line, tz, scope_names, with_school=with_school)
        for line in lines
    ]
    return "\n".join([head, *body])
