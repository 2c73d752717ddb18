"""Screening what students type for crisis language: the caring reply with hotlines (or a
gentle offer to talk) for the student, and a crisis alert for the counselor."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from bot.alerts import rules
from bot.alerts.raising import apply_signal, digest
from bot.core.keyboard import Button, Keyboard, callback
from bot.core.services import Services
from bot.delivery import outbox
from bot.delivery.outbox import Lane, enqueue
from bot.safeguarding import screen as crisis
from bot.storage import people
from bot.storage.records import Person

log = logging.getLogger(__name__)

# The message itself is kept (for a "Not a concern" label to feed the screen's review) up to
# this many characters; the matched words come already cut by the screen.
MESSAGE_KEPT = 1000


@dataclass(frozen=True)
class Screened:
    """A crisis hit in a student's text: its tier, and whether the student got an answer (the
    hotlines, or the offer to talk), so no hint needs to follow it."""

    tier: str
    answered: bool


async def screen_student_text(
    services: Services, student: Person, text: str, source: str, *, forwarded: bool = False
) -> Screened | None:
    """Screen anything a student typed for crisis language; returns the hit, or None.

    Urgent: the student gets the hotlines at once and the counselor and class teacher an urgent
    card. Concern: the counselor gets a card to read today (a warning, so it waits out quiet
    hours), and the student no hotlines, only, if configured, a gentle offer to talk. A
    forwarded message is someone else's words: a hit in it is a report about that person."""
    if not student.is_student or not text:
        return None
    return await _screen(services, student, text, source, forwarded=forwarded, staff=False)


async def screen_staff_note(
    services: Services, person: Person, text: str, source: str
) -> Screened | None:
    """Screen the check-in note of an isolated staff member (their own words, to the school
    doctor); returns the hit, or None. Their alert goes where all their alerts go: the school
    doctor and the school admin. An urgent hit gets them the hotlines, worded for an adult and
    without the button to a counselor, whose conversations are for students."""
    if not person.is_staff or not text:
        return None
    return await _screen(services, person, text, source, forwarded=False, staff=True)


async def _screen(
    services: Services, student: Person, text: str, source: str, *, forwarded: bool, staff: bool
) -> Screened | None:
    hit = crisis.screen_text(text)
    if hit is None:
        return None
    if forwarded:
        hit = dataclasses.replace(hit, about="other")
    info = await people.student_info(services.db, student.id)
    if info is None:
        return None
    now = services.now()
    # Message ids count per chat: the student is part of what makes the signal unique.
    ref = f"{source}:{student.id}:{now}:{digest(text)}"
    urgent = hit.tier == "urgent"
    language = student.language or services.config.general.language
    answer: tuple[str, Keyboard | None] | None = None
    if staff:
        if urgent:
            key = (
                "alerts.crisis.reply_staff"
                if hit.about == "self"
                else "alerts.crisis.reply_staff_other"
            )
            answer = services.catalog.t(language, key, hotlines=hotlines(services, language)), None
    elif urgent:
        answer = crisis_reply(services, language, about=hit.about)
    elif services.config.crisis.concern_offer_talk:
        answer = concern_offer(services, language, about=hit.about)
    answered = False
    async with services.db.transaction() as tx:
        if student.chat_id is not None and answer is not None:
            answered = True
            text_out, keyboard = answer
            await enqueue(
                tx,
                outbox.message(
                    f"crisis:{student.id}:{ref}",
                    Lane.URGENT if urgent else Lane.ALERT,
                    student.chat_id,
                    text_out,
                    keyboard=keyboard,
                    person_id=student.id,
                ),
                now=now,
            )
        await apply_signal(
            tx,
            services,
            info,
            # A report about a friend is the reporter's alert: the counselor reaches the
            # friend through them, and the card says whose wish it was.
            rules.crisis_signal(
                hit.category if hit.about == "self" else f"{hit.category}_other",
                hit.tier,
                hit.span,
            ),
            source=f"crisis:{ref}",
            seen_at=now,
            now=now,
            extra={
                "source": source.split(":")[0],
                "language": hit.language,
                "message": text[:MESSAGE_KEPT],
            },
        )
    # The id lets an operator find the alert; what kind of crisis is health data, not for logs.
    log.warning("crisis language from %s %d", "staff" if staff else "student", student.id)
    services.wake_outbox()
    return Screened(hit.tier, answered)


def hotlines(services: Services, language: str) -> str:
    """The configured hotlines, one a line, named in the language."""
    return "\n".join(
        services.catalog.t(
            language,
            "alerts.crisis.hotline",
            number=h.number,
            name=h.name_zh_cn if language == "zh-CN" else h.name_en,
        )
        for h in services.config.crisis.hotlines
    )


def crisis_reply(services: Services, language: str, about: str = "self") -> tuple[str, Keyboard]:
    """The caring reply with the configured hotlines and a button to reach a counselor now;
    to a student worried about a friend, thanks and what to do if the friend is in danger."""
    catalog = services.catalog
    key = "alerts.crisis.reply" if about == "self" else "alerts.crisis.reply_other"
    text = catalog.t(language, key, hotlines=hotlines(services, language))
    return text, _talk_now(services, language)


def concern_offer(services: Services, language: str, about: str = "self") -> tuple[str, Keyboard]:
    """A gentle offer to talk to a counselor, with no hotlines: what a concern gets."""
    catalog = services.catalog
    key = "alerts.concern.offer" if about == "self" else "alerts.concern.offer_other"
    return catalog.t(language, key), _talk_now(services, language)


def _talk_now(services: Services, language: str) -> Keyboard:
    """The button that opens a conversation with a counselor at once (handlers/contact.py)."""
    label = services.catalog.t(language, "alerts.crisis.talk_now")
    return Keyboard.of([Button(label, callback("ct", "counselor"))])
