"""SQL for the dashboard: sessions, login links, used launches, open alerts and trends."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import Database
from bot.storage.records import Scope


@dataclass(frozen=True)
class Session:
    person_id: int
    telegram_user_id: int
    csrf: str
    expires_at: int


async def claim_launch(
    tx: aiosqlite.Connection, init_hash: str, expires_at: int, now: int
) -> bool:
    """Record a launch as used; False if it was used before (a replay)."""
    await tx.execute("DELETE FROM dashboard_launches WHERE expires_at < ?", (now,))
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO dashboard_launches (init_hash, expires_at) VALUES (?, ?)",
        (init_hash, expires_at),
    )
    return cursor.rowcount == 1


async def add_session(
    tx: aiosqlite.Connection,
    token_hash: str,
    *,
    person_id: int,
    telegram_user_id: int,
    csrf: str,
    now: int,
    expires_at: int,
) -> None:
    await tx.execute("DELETE FROM dashboard_sessions WHERE expires_at < ?", (now,))
    await tx.execute(
        "INSERT INTO dashboard_sessions"
        " (token_hash, person_id, telegram_user_id, csrf, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, person_id, telegram_user_id, csrf, now, expires_at),
    )


async def session(db: Database, token_hash: str, now: int) -> Session | None:
    row = await db.fetchone(
        "SELECT person_id, telegram_user_id, csrf, expires_at FROM dashboard_sessions"
        " WHERE token_hash = ? AND expires_at > ?",
        (token_hash, now),
    )
    if row is None:
        return None
    return Session(row["person_id"], row["telegram_user_id"], row["csrf"], row["expires_at"])


async def end_session(tx: aiosqlite.Connection, token_hash: str) -> None:
    await tx.execute("DELETE FROM dashboard_sessions WHERE token_hash = ?", (token_hash,))


async def add_login(
    tx: aiosqlite.Connection,
    token_hash: str,
    *,
    person_id: int,
    telegram_user_id: int,
    now: int,
    expires_at: int,
) -> None:
    await tx.execute("DELETE FROM dashboard_logins WHERE expires_at < ?", (now,))
    await tx.execute(
        "INSERT INTO dashboard_logins"
        " (token_hash, person_id, telegram_user_id, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (token_hash, person_id, telegram_user_id, now, expires_at),
    )


async def use_login(tx: aiosqlite.Connection, token_hash: str, now: int) -> tuple[int, int] | None:
    """Spend a login link: (person id, Telegram account) if it was unused and in time."""
    cursor = await tx.execute(
        "UPDATE dashboard_logins SET used_at = ?"
        " WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?"
        " RETURNING person_id, telegram_user_id",
        (now, token_hash, now),
    )
    row = await cursor.fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


async def login_pending(db: Database, token_hash: str, now: int) -> bool:
    found = await db.scalar(
        "SELECT 1 FROM dashboard_logins WHERE token_hash = ? AND used_at IS NULL"
        " AND expires_at > ?",
        (token_hash, now),
    )
    return found is not None


async def alert_student(db: Database, alert_id: int) -> int | None:
    """The student an alert is about (None when there is no such alert)."""
    found = await db.scalar("SELECT student_id FROM alerts WHERE id = ?", (alert_id,))
    return None if found is None else int(found)


@dataclass(frozen=True)
class AlertRow:
    """An unresolved alert about a student in scope, with who took it."""

    id: int
    student_id: int
    number: str
    name: str
    class_name: str
    school_name: str
    kind: str
    level: str
    state: str
    opened_at: int
    escalation_step: int
    owner: str | None


async def open_alerts(db: Database, scope: Scope, *, limit: int) -> list[AlertRow]:
    """Unresolved alerts in the scope, most serious and oldest first."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "SELECT a.id, a.student_id, p.number, p.name, cl.name AS class_name,"
        " s.name AS school_name, a.kind, a.level, a.state, a.opened_at, a.escalation_step,"
        " o.name AS owner FROM alerts a JOIN people p ON p.id = a.student_id"
        " JOIN classes cl ON cl.id = p.class_id JOIN schools s ON s.id = p.school_id"
        " LEFT JOIN people o ON o.id = a.owner_id"
        f" WHERE a.state != 'resolved' AND {condition}"
        " ORDER BY CASE a.level WHEN 'urgent' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,"
        " a.opened_at LIMIT ?",
        [*params, limit],
    )
    return [AlertRow(*tuple(r)) for r in rows]


@dataclass(frozen=True)
class DayTrend:
    """One local day of a school (or the whole scope when school is empty)."""

    local_date: str
    school: str
    expected: int
    answered: int
    fevers: int
    low_moods: int


async def day_trends(
    db: Database,
    scope: Scope,
    date_from: str,
    date_to: str,
    *,
    by_school: bool,
    fever_c: float,
    low_mood_max: int,
) -> list[DayTrend]:
    """Per day (and school): check-ins due and answered, fevers and low moods, from the
    rounds' own rows (one indexed pass over the range, never the whole history)."""
    condition, params = scope.where("p")
    school = "s.name" if by_school else "''"
    join = " JOIN schools s ON s.id = p.school_id" if by_school else ""
    rows = await db.fetchall(
        f"SELECT r.local_date, {school} AS school, COUNT(*) AS expected,"
        " SUM(c.status = 'answered') AS answered,"
        " SUM(c.temperature_c >= :fever) AS fevers,"
        " SUM(c.mood IS NOT NULL AND c.mood <= :low) AS low_moods"
        # The rounds of the range first, then their check-ins by index: never the other way.
        " FROM rounds r CROSS JOIN checkins c ON c.round_id = r.id"
        f" JOIN people p ON p.id = c.student_id{join}"
        " WHERE r.local_date BETWEEN :date_from AND :date_to"
        " AND c.status NOT IN ('not_sent', 'cancelled')"
        f" AND {_named(condition, params)} GROUP BY r.local_date, school"
        " ORDER BY r.local_date, school",
        {"fever": fever_c, "low": low_mood_max, "date_from": date_from, "date_to": date_to}
        | {f"s{i}": v for i, v in enumerate(params)},
    )
    return [DayTrend(*tuple(r)) for r in rows]


def _named(condition: str, params: list[int]) -> str:
    """Scope.where's '?' placeholders as :s0, :s1 ... so they mix with named ones."""
    parts = condition.split("?")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += f":s{i}{part}"
    return out


@dataclass(frozen=True)
class RoundTotals:
    answered: int
    in_progress: int
    waiting: int
    missed: int


async def round_totals(db: Database, local_date: str, scope: Scope) -> dict[int, RoundTotals]:
    """Per round of the day: answered, in progress, not started and missed, counted in SQL
    (a county's day is 120,000 check-ins: no row of it comes to Python)."""
    condition, params = scope.where("p")
    # A whole county needs no one's school or class: no look-up of 60,000 people.
    people = "" if condition == "1" else " JOIN people p ON p.id = c.student_id"
    rows = await db.fetchall(
        # Grouped, not summed: counting index entries is what SQLite does fastest.
        "SELECT r.id, c.status, c.answered_at IS NOT NULL, c.started_at IS NOT NULL, COUNT(*)"
        f" FROM rounds r CROSS JOIN checkins c ON c.round_id = r.id{people}"
        f" WHERE r.local_date = ? AND c.status != 'cancelled' AND {condition}"
        " GROUP BY r.id, c.status, 3, 4",
        [local_date, *params],
    )
    counts: dict[int, list[int]] = {}
    for round_id, status, answered, started, n in rows:
        slot = counts.setdefault(round_id, [0, 0, 0, 0])
        # Submitted and reopened with Edit counts as answered, as in /today.
        if status == "answered" or (status == "open" and answered):
            slot[0] += n
        elif status == "open":
            slot[1 if started else 2] += n
        elif status == "missed":
            slot[3] += n
    return {round_id: RoundTotals(*c) for round_id, c in counts.items()}


@dataclass(frozen=True)
class SchoolTotals:
    school_id: int
    name: str
    isolated: int
    flagged: int


async def school_totals(
    db: Database,
    local_date: str,
    scope: Scope,
    *,
    now: int,
    fever_c: float,
    low_mood_max: int,
) -> list[SchoolTotals]:
    """Per school: students isolated now, and how many of them /today would flag (a fever,
    symptoms, low mood or a miss today, or an open alert)."""
    condition, params = scope.where("p")
    rows = await db.fetchall(
        "WITH flagged AS ("
        " SELECT c.student_id FROM rounds r CROSS JOIN checkins c ON c.round_id = r.id"
        " WHERE r.local_date = :day AND c.status != 'cancelled' AND (c.temperature_c >= :fever"
        " OR c.symptoms != '' OR c.mood <= :low OR c.status = 'missed')"
        " UNION SELECT student_id FROM alerts WHERE state != 'resolved')"
        " SELECT s.id, s.name, COUNT(*), COUNT(f.student_id)"
        " FROM isolations i JOIN people p ON p.id = i.student_id"
        " JOIN schools s ON s.id = p.school_id"
        " LEFT JOIN flagged f ON f.student_id = p.id"
        " WHERE i.started_at <= :now AND (i.ended_at IS NULL OR i.ended_at > :now)"
        f" AND i.purged_at IS NULL AND {_named(condition, params)}"
        " GROUP BY s.id ORDER BY s.name",
        {"day": local_date, "fever": fever_c, "low": low_mood_max, "now": now}
        | {f"s{i}": v for i, v in enumerate(params)},
    )
    return [SchoolTotals(*tuple(r)) for r in rows]


async def rolled_up_days(db: Database, date_from: str, date_to: str) -> set[str]:
    rows = await db.fetchall(
        "SELECT DISTINCT local_date FROM dashboard_day_totals WHERE local_date BETWEEN ? AND ?",
        (date_from, date_to),
    )
    return {r[0] for r in rows}


async def day_closed(db: Database, local_date: str, now: int) -> bool:
    """Whether every round of the day has closed by `now`, so its counts are final."""
    found = await db.scalar(
        "SELECT 1 FROM rounds WHERE local_date = ? AND closed_at IS NULL AND closes_at > ?",
        (local_date, now),
    )
    return found is None


async def roll_up_day(
    tx: aiosqlite.Connection, local_date: str, *, fever_c: float, low_mood_max: int
) -> None:
    """Count a closed day's check-ins per school into dashboard_day_totals."""
    await tx.execute(
        "INSERT OR REPLACE INTO dashboard_day_totals"
        " (local_date, school_id, expected, answered, fevers, low_moods)"
        " SELECT r.local_date, p.school_id, COUNT(*), SUM(c.status = 'answered'),"
        " SUM(c.temperature_c >= ?), SUM(c.mood IS NOT NULL AND c.mood <= ?)"
        " FROM rounds r CROSS JOIN checkins c ON c.round_id = r.id"
        " JOIN people p ON p.id = c.student_id"
        " WHERE r.local_date = ? AND c.status NOT IN ('not_sent', 'cancelled')"
        " GROUP BY p.school_id",
        (fever_c, low_mood_max, local_date),
    )


async def rolled_up_trends(
    db: Database, school_ids: frozenset[int] | None, date_from: str, date_to: str
) -> list[DayTrend]:
    """The closed days' per-school counts of the range, for all schools or the given ones."""
    where, params = "1", list[int]()
    if school_ids is not None:
        where = f"t.school_id IN ({','.join('?' * len(school_ids))})" if school_ids else "0"
        params = sorted(school_ids)
    rows = await db.fetchall(
        "SELECT t.local_date, s.name, t.expected, t.answered, t.fevers, t.low_moods"
        " FROM dashboard_day_totals t JOIN schools s ON s.id = t.school_id"
        f" WHERE t.local_date BETWEEN ? AND ? AND {where} ORDER BY t.local_date, s.name",
        [date_from, date_to, *params],
    )
    return [DayTrend(*tuple(r)) for r in rows]
