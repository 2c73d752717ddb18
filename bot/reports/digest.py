"""The class teachers' digest after the day's last round closes, and each school's daily
report (a zero report when nothing is abnormal) at the configured time, both via the outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.checkins import schedule
from bot.checkins.rounds import day_rounds
from bot.checkins.schedule import slot_name
from bot.core.clock import epoch
from bot.core.services import Services
from bot.delivery.outbox import Lane, Outgoing, enqueue_many, ensure_batch
from bot.reports import glance, today
from bot.reports.store import today as store
from bot.reports.store.today import Recipient
from bot.storage import audit, people
from bot.storage.records import Scope

log = logging.getLogger(__name__)
# A digest is one Telegram message (4096 characters): notes are cut and capped to fit beside
# the class summary; /student shows each note whole.
NOTE_CUT = 200
NOTES_MAX = 2000


@dataclass(frozen=True)
class _Letter:
    recipient: Recipient
    text: str
    flagged: list[int]


async def send_due(svc: Services, now: int) -> int:
    """Queue whichever of today's digests and reports are due and not yet queued."""
    day = today.local_day(svc, now).isoformat()
    queued = 0
    # Each plan's teachers get theirs once that plan's last round of the day has closed.
    for plan, checkins_cfg in schedule.plans(svc.config):
        ref = f"{day}:{plan}" if plan else day
        if await store.batch_exists(svc.db, "digest", ref):
            continue
        if await _rounds_done(svc, day, plan, len(checkins_cfg.slots)):
            queued += await _queue(svc, "digest", ref, await _digests(svc, now, plan), now)
    report_time = svc.config.digest.school_report_time
    report_at = epoch(datetime.combine(today.local_day(svc, now), report_time, svc.tz))
    if now >= report_at and not await store.batch_exists(svc.db, "school_report", day):
        queued += await _queue(svc, "school_report", day, await _reports(svc, now), now)
    return queued


async def _rounds_done(svc: Services, day: str, plan: str, slots: int) -> bool:
    """Whether every slot of the plan's day has a round and all of them are closed."""
    rounds = await day_rounds(svc.db, day, plan)
    if len(rounds) < slots:
        return False
    return all(r.state == "not_sent" or r.closed_at is not None for r in rounds)


async def _digests(svc: Services, now: int, plan: str) -> list[_Letter]:
    """One digest per class teacher of the plan's schools with students in isolation today."""
    letters = []
    for r in await store.report_recipients(svc.db):
        if r.role != "teacher" or await today.plan_of_school(svc, r.school_id) != plan:
            continue
        class_ids = await people.teacher_class_ids(svc.db, r.person_id)
        summary = await today.summarize(
            svc, Scope(class_ids=class_ids), now, by_school=False, plan=plan
        )
        if not summary.isolated and not any(s.answered or s.missed for s in summary.slots):
            continue
        language = r.language or svc.catalog.default
        classes = glance.separator(language).join(await store.class_names(svc.db, class_ids))
        letter = _letter(svc, r, summary, "today.digest_title", classes, False)
        notes = await store.day_notes(svc.db, summary.local_date, Scope(class_ids=class_ids))
        if notes:
            # The notes were written to this teacher; reading them here is a view like /student.
            letter = _Letter(
                r,
                f"{letter.text}\n\n{_notes_text(svc, language, notes)}",
                sorted(set(letter.flagged) | {n.student_id for n in notes}),
            )
        letters.append(letter)
    return letters


def _notes_text(svc: Services, language: str, notes: list[store.DayNote]) -> str:
    """The day's notes to the class teacher, each cut short and all within NOTES_MAX."""
    t = svc.catalog.t
    lines = [t(language, "today.notes_title", count=len(notes))]
    used = 0
    for index, n in enumerate(notes):
        text = " ".join(n.note.split())
        if len(text) > NOTE_CUT:
            text = text[:NOTE_CUT] + "…"
        line = t(
            language,
            "today.note_line",
            name=n.name,
            slot=slot_name(svc.catalog, language, n.slot),
            note=text,
        )
        if used + len(line) > NOTES_MAX:
            lines.append(t(language, "today.notes_more", count=len(notes) - index))
            break
        lines.append(line)
        used += len(line)
    return "\n".join(lines)


async def _reports(svc: Services, now: int) -> list[_Letter]:
    """Each school's report to its doctors and school admins; the whole county's to bureau
    admins. Sent even when nothing happened: saying so is the point of a zero report."""
    recipients = [r for r in await store.report_recipients(svc.db) if r.role != "teacher"]
    letters = []
    for school_id, name in await store.school_ids(svc.db):
        readers = [r for r in recipients if r.school_id == school_id]
        if not readers:
            continue
        summary = await today.summarize(
            svc,
            Scope(school_ids=frozenset({school_id})),
            now,
            by_school=False,
            plan=await today.plan_of_school(svc, school_id),
        )
        letters += [_letter(svc, r, summary, "today.report_title", name, True) for r in readers]
    bureau = [r for r in recipients if r.role == "admin" and r.school_id is None]
    county: today.DaySummary | None = None
    for r in bureau:
        # A liaison (包联) reads the schools they supervise; the bureau at large the county.
        schools = await people.liaison_school_ids(svc.db, r.person_id)
        if schools:
            summary = await today.summarize(svc, Scope(school_ids=schools), now, by_school=True)
            scope = svc.catalog.t(r.language, "today.liaison", count=len(schools))
        else:
            if county is None:
                county = await today.summarize(svc, Scope(), now, by_school=True)
            summary, scope = county, svc.catalog.t(r.language, "today.bureau")
        letters.append(_letter(svc, r, summary, "today.report_title", scope, True))
    return letters


def _letter(
    svc: Services,
    recipient: Recipient,
    summary: glance.DaySummary,
    title_key: str,
    scope: str,
    zero_report: bool,
) -> _Letter:
    language = recipient.language or svc.catalog.default
    date = today.day_label(svc.catalog, language, summary.local_date)
    title = svc.catalog.t(language, title_key, scope=scope, date=date)
    text = glance.render(
        summary,
        svc.catalog,
        language,
        title=title,
        tz_clock=today.clock_labels(svc, summary),
        zero_report=zero_report,
    )
    return _Letter(recipient, text, sorted(f.student.id for f in summary.flagged))


async def _queue(svc: Services, kind: str, day: str, letters: list[_Letter], now: int) -> int:
    """Queue the letters with the batch that marks them done, in one transaction; the health
    data each one carries is recorded in the audit trail as shown to its reader."""
    items = [
        Outgoing(
            dedup_key=f"{kind}:{day}:{letter.recipient.person_id}",
            lane=Lane.BULK,
            chat_id=letter.recipient.chat_id,
            method="sendMessage",
            payload={"text": letter.text},
            person_id=letter.recipient.person_id,
        )
        for letter in letters
    ]
    async with svc.db.transaction() as tx:
        batch = await ensure_batch(tx, kind, day, now)
        queued = await enqueue_many(tx, items, now=now, batch_id=batch)
        for letter in letters:
            if letter.flagged:
                await audit.record_many(
                    tx,
                    actor_id=letter.recipient.person_id,
                    action=kind,
                    now=now,
                    student_ids=letter.flagged,
                    scope=day,
                )
    if queued:
        svc.wake_outbox()
    log.info("%s for %s: %d queued", kind, day, queued)
    return queued
