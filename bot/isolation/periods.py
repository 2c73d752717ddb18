"""Start and end a student's isolation episode, with the messages that go with it."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from bot.checkins import schedule
from bot.checkins.rounds import stop_for_ended_isolation
from bot.core.services import Services
from bot.delivery.outbox import Lane, Outgoing, enqueue
from bot.isolation import store
from bot.isolation.store import DueRelease
from bot.storage import people
from bot.storage.records import Isolation, Person, Scope

log = logging.getLogger(__name__)

KINDS = ("home", "centralized", "on_campus")


class Result(enum.StrEnum):
    STARTED = "started"
    ALREADY = "already"
    ENDED = "ended"
    NOT_ISOLATED = "not_isolated"


@dataclass(frozen=True)
class Outcome:
    result: Result
    episode: Isolation | None
    # The next slot the student will be asked in (after a start).
    next_slot: schedule.SlotTimes | None = None
    # Whether a message to the student was enqueued.
    told: bool = False


async def start_isolation(
    svc: Services, student: Person, kind: str, *, actor_id: int | None, now: int
) -> Outcome:
    """Open an episode from now: the next slot that opens includes the student."""
    if kind not in KINDS:
        raise ValueError(f"unknown isolation kind {kind!r}")
    school = await _school_of(svc, student)
    nxt = schedule.next_slot(svc.config.checkins_for(school), svc.tz, now)
    told = False
    async with svc.db.transaction() as tx:
        current = await store.open_isolation(tx, student.id)
        if current is not None:
            return Outcome(Result.ALREADY, current)
        episode_id = await store.insert_isolation(
            tx,
            student_id=student.id,
            kind=kind,
            start_date=schedule.local_date(now, svc.tz),
            started_at=now,
            started_by=actor_id,
        )
        await store.audit(
            tx, at=now, actor_id=actor_id, action="isolation.start", student_id=student.id
        )
        if student.chat_id is not None:
            language = student.language or svc.config.general.language
            text = svc.catalog.t(
                language, "isolation.student_started", next=_when(svc, language, nxt, now)
            )
            told = (
                await enqueue(
                    tx,
                    Outgoing(
                        dedup_key=f"iso:{episode_id}:start",
                        lane=Lane.CHECKIN,
                        chat_id=student.chat_id,
                        method="sendMessage",
                        payload={"text": text},
                        person_id=student.id,
                    ),
                    now=now,
                )
                is not None
            )
        episode = await store.open_isolation(tx, student.id)
    svc.wake_outbox()
    log.info("isolation %d started for person %d", episode_id, student.id)
    return Outcome(Result.STARTED, episode, nxt, told)


async def end_isolation(
    svc: Services, student: Person, *, actor_id: int | None, now: int
) -> Outcome:
    """Close the open episode, stop its check-ins and send the return-to-school message."""
    told = False
    async with svc.db.transaction() as tx:
        current = await store.open_isolation(tx, student.id)
        if current is None:
            return Outcome(Result.NOT_ISOLATED, None)
        await store.end_isolation(
            tx,
            current.id,
            ended_at=now,
            end_date=schedule.local_date(now, svc.tz),
            ended_by=actor_id,
        )
        cancelled = await stop_for_ended_isolation(tx, current.id, now)
        await store.audit(
            tx, at=now, actor_id=actor_id, action="isolation.end", student_id=student.id
        )
        if student.chat_id is not None:
            told = (
                await enqueue(
                    tx,
                    Outgoing(
                        dedup_key=f"iso:{current.id}:end",
                        lane=Lane.CHECKIN,
                        chat_id=student.chat_id,
                        method="sendMessage",
                        payload={
                            "text": return_message(
                                svc, student.language, await _school_of(svc, student)
                            )
                        },
                        person_id=student.id,
                    ),
                    now=now,
                )
                is not None
            )
    svc.wake_outbox()
    log.info("isolation %d ended, %d open check-ins stopped", current.id, cancelled)
    return Outcome(Result.ENDED, current, None, told)


async def due_for_release(svc: Services, local_date: str, scope: Scope) -> list[DueRelease]:
    """The scope's students still isolated on or after their planned end date, earliest first:
    what /today offers to release and what auto-release ends."""
    return await store.due_releases(svc.db, local_date, scope)


async def release_due(svc: Services, now: int) -> int:
    """With [isolation] auto_release, end every isolation whose planned end date has come, as
    a teacher's /release would (check-ins stop, the return message goes out)."""
    if not svc.config.isolation.auto_release:
        return 0
    due = await due_for_release(svc, schedule.local_date(now, svc.tz), Scope())
    ended = 0
    for item in due:
        student = await people.person_by_id(svc.db, item.student_id)
        if student is None:
            continue
        outcome = await end_isolation(svc, student, actor_id=None, now=now)
        ended += outcome.result is Result.ENDED
    if ended:
        log.info("%d isolations ended on their planned end date", ended)
    return ended


def return_message(svc: Services, language: str | None, school: str | None = None) -> str:
    """The school's own return-to-school text for the language, else the county's, else the
    built-in one."""
    lang = language or svc.config.general.language
    isolation = svc.config.isolation
    plan = svc.config.plan(school)
    own = ""
    if plan is not None:
        own = plan.return_message_en if lang == "en" else plan.return_message_zh_cn
    configured = isolation.return_message_en if lang == "en" else isolation.return_message_zh_cn
    return own.strip() or configured.strip() or svc.catalog.t(lang, "isolation.return_default")


async def _school_of(svc: Services, person: Person) -> str | None:
    """The name of the person's school (None for bureau staff), for its own plan."""
    if not svc.config.schools:
        return None
    info = await people.student_info(svc.db, person.id)
    return info.school_name if info is not None and info.school_name else None


def next_text(svc: Services, language: str, slot: schedule.SlotTimes, now: int) -> str:
    return _when(svc, language, slot, now)


def _when(svc: Services, language: str, slot: schedule.SlotTimes, now: int) -> str:
    key = (
        "checkin.when.today"
        if schedule.same_day(slot.opens_at, now, svc.tz)
        else ("checkin.when.tomorrow")
    )
    return svc.catalog.t(language, key, time=schedule.clock_time(slot.opens_at, svc.tz))
