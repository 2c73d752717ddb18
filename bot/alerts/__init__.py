"""Alerts: raise or merge them from the rules' signals, route their cards to the right adults,
take ownership, resolve, escalate when nobody acts, and hold non-urgent cards in quiet hours."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.alerts import quiet, rules, store
from bot.checkins import store as checkins_store
from bot.checkins.schedule import slot_name
from bot.core.access import Viewer, covers_student, may_see_screen_scores
from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.core.services import Services
from bot.delivery import outbox
from bot.delivery.outbox import Lane, Outgoing, enqueue
from bot.people.viewer import viewer
from bot.safeguarding import screen as crisis
from bot.safeguarding import store as review_store
from bot.storage import audit, people
from bot.storage.records import Person, StudentInfo

log = logging.getLogger(__name__)

LEVELS = ("info", "warning", "urgent")
# Escalation steps after the routed recipients: who is added, as alert_cards.reason.
STEPS = {1: "school_admin", 2: "bureau_admin"}
HISTORY_ROWS = 6

Markup = dict[str, Any]


@dataclass(frozen=True)
class Action:
    """What a button press on a card did, and the actor's card to redraw."""

    done: bool
    alert: store.Alert | None
    text: str = ""
    markup: Markup | None = None


# --- evaluating what students answered, said or failed to do ------------------------------


def thresholds(services: Services) -> rules.Thresholds:
    return rules.Thresholds.from_config(services.config.alerts)


async def evaluate_checkin(services: Services, checkin_id: int) -> None:
    """Run the rules over a settled check-in and the student's history, raise or update the
    alerts, and mark it evaluated, all in one transaction; a second evaluation changes nothing."""
    db = services.db
    checkin = await checkins_store.checkin_by_id(db, checkin_id)
    if checkin is None or checkin.status not in ("answered", "missed"):
        return
    info = await people.student_info(db, checkin.student_id)
    history = await checkins_store.checkin_history(db, checkin.student_id, limit=30)
    current = checkins_store.facts(checkin)
    # Only what came before: a late evaluation must not treat later check-ins as history.
    when = (current.local_date, current.slot_index)
    earlier = [h for h in history if (h.local_date, h.slot_index) < when]
    if checkin.status == "missed":
        signals = rules.evaluate_missed(current, earlier, thresholds(services))
    else:
        signals = rules.evaluate_checkin(current, earlier, thresholds(services))
    now = services.now()
    seen_at = checkin.answered_at or now
    async with db.transaction() as tx:
        if info is not None:
            for signal in signals:
                await _apply(
                    tx, services, info, signal, source=f"ci:{checkin_id}", seen_at=seen_at, now=now
                )
            if checkin.status == "answered":
                await _corrections(tx, services, info, checkin, signals, now)
        await checkins_store.mark_evaluated(tx, checkin_id, now)
    if signals:
        log.info("check-in %d raised %d signal(s)", checkin_id, len(signals))
        services.wake_outbox()


async def evaluate_answers(services: Services, checkin_id: int) -> list[rules.Signal]:
    """Raise or update alerts from the answers of a check-in still being filled in, the moment
    they are stored; submitting later finds the same signals already applied. Returns them."""
    db = services.db
    checkin = await checkins_store.checkin_by_id(db, checkin_id)
    if checkin is None or checkin.status != "open":
        return []
    info = await people.student_info(db, checkin.student_id)
    if info is None:
        return []
    current = dataclasses.replace(
        checkins_store.facts(checkin), screen=rules.partial_screen(checkin.screen)
    )
    signals = rules.evaluate_answers(current, thresholds(services))
    now = services.now()
    async with db.transaction() as tx:
        for signal in signals:
            await _apply(
                tx, services, info, signal, source=f"ci:{checkin_id}", seen_at=now, now=now
            )
        await _corrections(tx, services, info, checkin, signals, now)
    if signals:
        services.wake_outbox()
    return signals


async def _corrections(
    tx: aiosqlite.Connection,
    services: Services,
    info: StudentInfo,
    checkin: checkins_store.Checkin,
    signals: list[rules.Signal],
    now: int,
) -> None:
    """A fever or symptom alert this check-in raised, answered again below the line: the cards
    say what it is now, so the owner can resolve it with one tap instead of guessing."""
    raised = {_value(s.kind) for s in signals}
    corrected: dict[str, str] = {}
    if checkin.temperature_status == "not_measured":
        corrected["fever"] = "not_measured"
    elif checkin.temperature_status == "measured" and checkin.temperature_c is not None:
        corrected["fever"] = f"{checkin.temperature_c:.1f} °C"
    if checkin.symptoms == ():
        corrected["symptoms"] = "no_symptoms"
    for kind, value in corrected.items():
        if kind in raised:
            continue
        existing = await store.open_alert(tx, info.person.id, kind)
        if existing is None or existing.facts.get("corrected") == value:
            continue
        if not await store.source_applied(tx, existing.id, f"{kind}:ci:{checkin.id}:"):
            continue
        await store.set_facts(tx, existing.id, {**existing.facts, "corrected": value}, now)
        await store.add_event(tx, existing.id, now, None, "corrected")
        fresh = await store.alert_by_id(tx, existing.id)
        assert fresh is not None
        await _refresh_cards(tx, services, fresh, info, now=now)


async def evaluate_pending(services: Services, limit: int = 200) -> int:
    """Evaluate settled check-ins that a crash or a closing round left unevaluated."""
    ids = await checkins_store.pending_evaluations(services.db, limit)
    for checkin_id in ids:
        await evaluate_checkin(services, checkin_id)
    return len(ids)


async def on_unreachable(services: Services, person_id: int) -> None:
    """The bot cannot reach this person: for a student, tell the class teacher."""
    info = await people.student_info(services.db, person_id)
    if info is None:
        return
    now = services.now()
    since = info.person.unreachable_at or now
    async with services.db.transaction() as tx:
        await _apply(
            tx,
            services,
            info,
            rules.unreachable_signal(),
            source=f"unreachable:{since}",
            seen_at=since,
            now=now,
        )
    services.wake_outbox()


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
    ref = f"{source}:{student.id}:{now}:{_digest(text)}"
    urgent = hit.tier == "urgent"
    language = student.language or services.config.general.language
    answer: dict[str, Any] | None = None
    if urgent:
        answer = crisis_reply(services, language, about=hit.about)
    elif services.config.crisis.concern_offer_talk:
        answer = concern_offer(services, language, about=hit.about)
    answered = False
    async with services.db.transaction() as tx:
        if student.chat_id is not None and answer is not None:
            answered = True
            await enqueue(
                tx,
                Outgoing(
                    dedup_key=f"crisis:{student.id}:{ref}",
                    lane=Lane.URGENT if urgent else Lane.ALERT,
                    chat_id=student.chat_id,
                    method="sendMessage",
                    payload=answer,
                    person_id=student.id,
                ),
                now=now,
            )
        await _apply(
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
    log.warning("crisis language from student %d", student.id)
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


def crisis_reply(services: Services, language: str, about: str = "self") -> dict[str, Any]:
    """The caring reply with the configured hotlines and a button to reach a counselor now;
    to a student worried about a friend, thanks and what to do if the friend is in danger."""
    catalog = services.catalog
    key = "alerts.crisis.reply" if about == "self" else "alerts.crisis.reply_other"
    text = catalog.t(language, key, hotlines=hotlines(services, language))
    button = {
        "text": catalog.t(language, "alerts.crisis.talk_now"),
        "callback_data": "ct:counselor",
    }
    return {"text": text, "reply_markup": {"inline_keyboard": [[button]]}}


def concern_offer(services: Services, language: str, about: str = "self") -> dict[str, Any]:
    """A gentle offer to talk to a counselor, with no hotlines: what a concern gets."""
    catalog = services.catalog
    key = "alerts.concern.offer" if about == "self" else "alerts.concern.offer_other"
    button = {
        "text": catalog.t(language, "alerts.crisis.talk_now"),
        "callback_data": "ct:counselor",
    }
    return {"text": catalog.t(language, key), "reply_markup": {"inline_keyboard": [[button]]}}


# --- raising and merging -------------------------------------------------------------------


def _signal_parts(signal: rules.Signal) -> tuple[str, str, dict[str, Any]]:
    return _value(signal.kind), _value(signal.level), dict(signal.facts)


def _value(item: Any) -> str:
    return str(getattr(item, "value", item))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _higher(a: str, b: str) -> str:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


CRISIS_PART = ("category", "span", "source", "language", "message")


def crisis_parts(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A crisis alert's facts as the student's own words ("self") and a report about someone
    else ("other"), either of which may be missing."""
    parts: dict[str, dict[str, Any]] = {}
    said = {name: facts[name] for name in CRISIS_PART if name in facts}
    if said.get("category"):
        # Alerts raised before the two were kept apart hold a report at the top level.
        parts["other" if str(said["category"]).endswith("_other") else "self"] = said
    if isinstance(facts.get("other"), dict):
        parts["other"] = dict(facts["other"])
    return parts


def merge_crisis_facts(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Fold a crisis hit into an alert's facts: the student's own words at the top level, a
    report about a friend under "other"; neither replaces the other, and a concern does not
    replace urgent words of the same kind."""
    parts = crisis_parts(old)
    for about, said in crisis_parts(new).items():
        kept = parts.get(about)
        if kept is None or not (_concern(said) and not _concern(kept)):
            parts[about] = said
    facts = dict(parts.get("self", {}))
    if "other" in parts:
        facts["other"] = parts["other"]
    return facts


def _concern(said: dict[str, Any]) -> bool:
    return crisis.tier_of(str(said.get("category", "")).removesuffix("_other")) == "concern"


def _ack_seconds(services: Services, level: str) -> int | None:
    settings = services.config.alerts
    if level == "urgent":
        return settings.ack_urgent_minutes * 60
    if level == "warning":
        return settings.ack_warning_minutes * 60
    return None


def _ack_deadline(services: Services, level: str, now: int) -> int | None:
    """When an alert of this level raised (or escalated) now is overdue, or None if never."""
    ack = _ack_seconds(services, level)
    if ack is None:
        return None
    settings = services.config.alerts
    when = quiet.ack_deadline(
        from_epoch(now), ack, level, settings.quiet_start, settings.quiet_end, services.tz
    )
    return int(when.timestamp())


def _deliver_at(services: Services, level: str, now: int) -> int:
    settings = services.config.alerts
    when = quiet.deliver_at(
        from_epoch(now), level, settings.quiet_start, settings.quiet_end, services.tz
    )
    return int(when.timestamp())


async def _apply(
    tx: aiosqlite.Connection,
    services: Services,
    info: StudentInfo,
    signal: rules.Signal,
    *,
    source: str,
    seen_at: int,
    now: int,
    extra: dict[str, Any] | None = None,
) -> None:
    """Raise a new alert for the signal, or fold it into the open alert of its kind."""
    kind, level, facts = _signal_parts(signal)
    facts.update(extra or {})
    key = f"{kind}:{source}:{_digest(json.dumps(facts, sort_keys=True, default=str))}"
    existing = await store.open_alert(tx, info.person.id, kind)
    if await store.signal_seen(tx, key):
        if existing is not None and "corrected" in existing.facts:
            # Answered abnormal again after a correction: the card says so again.
            await store.set_facts(tx, existing.id, facts, now)
            fresh = await store.alert_by_id(tx, existing.id)
            assert fresh is not None
            await _refresh_cards(tx, services, fresh, info, now=now)
        return
    said = dict(facts)
    if kind == "crisis":
        facts = merge_crisis_facts(existing.facts if existing is not None else {}, facts)
    student_id = info.person.id
    again = False
    if existing is None:
        alert_id = await store.insert_alert(
            tx,
            student_id=student_id,
            kind=kind,
            level=level,
            seen_at=seen_at,
            facts=facts,
            next_escalation_at=_ack_deadline(services, level, now),
            now=now,
        )
        await store.add_event(tx, alert_id, now, None, f"raised:{level}")
        raised = True
    else:
        alert_id = existing.id
        new_level = _higher(existing.level, level)
        raised = new_level != existing.level
        next_at = existing.next_escalation_at
        # Past the last escalation step there is nobody further to tell.
        if existing.state == "open" and raised and existing.escalation_step < len(STEPS):
            candidate = _ack_deadline(services, new_level, now)
            if candidate is not None:
                next_at = candidate if next_at is None else min(next_at, candidate)
        # A later answer of the same check-in (a second symptom ticked) is not a new sighting.
        again = not await store.source_applied(tx, alert_id, f"{kind}:{source}:")
        await store.merge_signal(
            tx,
            alert_id,
            level=new_level,
            seen_at=seen_at,
            facts=facts,
            next_escalation_at=next_at,
            now=now,
            again=again,
        )
        await store.add_event(tx, alert_id, now, None, f"updated:{new_level}")
    await store.claim_signal(tx, key, alert_id, now)
    alert = await store.alert_by_id(tx, alert_id)
    assert alert is not None
    if existing is not None:
        # A higher level must make a sound: the cards are sent again rather than edited.
        await _refresh_cards(tx, services, alert, info, now=now, resend=raised)
        if kind == "crisis" and again and not raised:
            # An edit makes no sound, and a student who writes again may be worse.
            await _notify_again(tx, services, alert, info, said, level, now)
    routed = await _routed(services, alert)
    await _add_cards(tx, services, alert, info, routed, reason="routed", now=now)
    due = alert.next_escalation_at
    unreachable = not any(p.chat_id for p in routed)
    if unreachable and alert.escalation_step == 0 and due is not None and due > now:
        # Nobody it is for has linked Telegram: waiting for their answer only delays it.
        await store.escalate_now(tx, alert.id, now)


async def _routed(services: Services, alert: store.Alert) -> list[Person]:
    audiences = {
        _value(a) for a in rules.route(rules.AlertKind(alert.kind), rules.Level(alert.level))
    }
    staff = await people.staff_for_student(services.db, alert.student_id)
    return [p for p in staff if p.role in audiences]


async def _escalation_targets(services: Services, alert: store.Alert, step: int) -> list[Person]:
    staff = await people.staff_for_student(services.db, alert.student_id)
    admins = [p for p in staff if p.role == "admin"]
    if STEPS[step] == "school_admin":
        return [p for p in admins if p.school_id is not None]
    return [p for p in admins if p.school_id is None]


# --- cards ---------------------------------------------------------------------------------


def _lane(level: str) -> Lane:
    return Lane.URGENT if level == "urgent" else Lane.ALERT


async def _add_cards(
    tx: aiosqlite.Connection,
    services: Services,
    alert: store.Alert,
    info: StudentInfo,
    recipients: list[Person],
    *,
    reason: str,
    now: int,
) -> int:
    """Send a card to each recipient who has none yet; returns how many were added."""
    deliver = _deliver_at(services, alert.level, now)
    added = 0
    for person in recipients:
        if person.chat_id is None:
            continue
        if not await store.add_card(
            tx, alert.id, person.id, reason=reason, deliver_at=deliver, now=now
        ):
            continue
        await _send_card(tx, services, alert, info, person, deliver=deliver, now=now)
        added += 1
    return added


async def _send_card(
    tx: aiosqlite.Connection,
    services: Services,
    alert: store.Alert,
    info: StudentInfo,
    person: Person,
    *,
    deliver: int,
    now: int,
) -> None:
    assert person.chat_id is not None
    text, markup = await render_card(services, alert, info, person)
    outbox_id = await enqueue(
        tx,
        Outgoing(
            dedup_key=f"al:{alert.id}:{person.id}:send:{alert.revision}",
            lane=_lane(alert.level),
            chat_id=person.chat_id,
            method="sendMessage",
            payload={"text": text, "reply_markup": markup},
            person_id=person.id,
            not_before=deliver if deliver > now else 0,
        ),
        now=now,
    )
    if outbox_id is not None:
        await store.point_card(tx, alert.id, person.id, outbox_id, deliver)
        await _audit_card(tx, person, info, now)


async def _audit_card(
    tx: aiosqlite.Connection, person: Person, info: StudentInfo, now: int
) -> None:
    """A card shows the student's health data to its reader: recorded like any other view."""
    await audit.record(
        tx, actor_id=person.id, action="alert_card", now=now, student_id=info.person.id
    )


async def _refresh_cards(
    tx: aiosqlite.Connection,
    services: Services,
    alert: store.Alert,
    info: StudentInfo,
    *,
    now: int,
    resend: bool = False,
    skip_person: int | None = None,
) -> None:
    """Bring every recipient's card up to date: edit it, or send it anew when `resend`."""
    cards = await store.cards(tx, alert.id)
    recipients = {
        p.id: p for p in await people.people_by_ids(services.db, [c.person_id for c in cards])
    }
    for card in cards:
        person = recipients.get(card.person_id)
        if card.person_id == skip_person or person is None or person.chat_id is None:
            continue
        if not await _covers(services, person, info.person):
            # A teacher whose student moved to another class keeps the old card, nothing new.
            continue
        if resend or card.outbox_id is None:
            if card.outbox_id is not None:
                # A card still held for quiet hours would arrive after the louder one.
                await outbox.withdraw_unsent(tx, card.outbox_id)
            deliver = max(_deliver_at(services, alert.level, now), now)
            await _send_card(tx, services, alert, info, person, deliver=deliver, now=now)
            continue
        text, markup = await render_card(services, alert, info, person)
        # An edit must not overtake the card it edits while that card waits out quiet hours.
        not_before = card.deliver_at if card.deliver_at > now else 0
        edited = await enqueue(
            tx,
            Outgoing(
                dedup_key=f"al:{alert.id}:{person.id}:edit:{alert.revision}",
                lane=_lane(alert.level),
                chat_id=person.chat_id,
                method="editMessageText",
                payload={"edit_of": card.outbox_id, "text": text, "reply_markup": markup},
                person_id=person.id,
                not_before=not_before,
            ),
            now=now,
        )
        if edited is not None:
            await _audit_card(tx, person, info, now)


async def _notify_again(
    tx: aiosqlite.Connection,
    services: Services,
    alert: store.Alert,
    info: StudentInfo,
    said: dict[str, Any],
    level: str,
    now: int,
) -> None:
    """Tell of a new crisis message in a new message, as a reply to the card: the owner once
    someone took the alert, every recipient while nobody has."""
    cards = {c.person_id: c for c in await store.cards(tx, alert.id)}
    if alert.state == "acknowledged" and alert.owner_id is not None:
        ids = [alert.owner_id]
    else:
        ids = list(cards)
    deliver = _deliver_at(services, level, now)
    for person in await people.people_by_ids(services.db, ids):
        card = cards.get(person.id)
        if person.chat_id is None or not await _covers(services, person, info.person):
            continue
        if card is not None and card.deliver_at > now:
            # The card itself waits out quiet hours and will say it when it comes.
            continue
        payload: dict[str, Any] = {"text": _again_text(services, alert, info, person, said)}
        if card is not None and card.outbox_id is not None:
            payload["reply_of"] = card.outbox_id
        queued = await enqueue(
            tx,
            Outgoing(
                dedup_key=f"al:{alert.id}:{person.id}:again:{alert.revision}",
                lane=_lane(level),
                chat_id=person.chat_id,
                method="sendMessage",
                payload=payload,
                person_id=person.id,
                not_before=deliver if deliver > now else 0,
            ),
            now=now,
        )
        if queued is not None:
            await _audit_card(tx, person, info, now)


def _again_text(
    services: Services, alert: store.Alert, info: StudentInfo, viewer: Person, said: dict[str, Any]
) -> str:
    catalog = services.catalog
    language = viewer.language or services.config.general.language
    t = catalog.t
    lines = [
        t(language, f"alerts.level.{alert.level}") + " · " + t(language, "alerts.kind.crisis"),
        t(
            language,
            "alerts.again.lead",
            name=info.person.name,
            class_name=info.class_name,
            when=_clock_text(services, alert.seen_at),
        ),
    ]
    lines += _crisis_lines(catalog, language, said, whole=viewer.role == "counselor")
    lines.append(
        t(
            language,
            "alerts.card.repeated",
            count=alert.signals,
            since=_clock_text(services, alert.opened_at),
        )
    )
    return "\n".join(lines)


# How much of a student's message a crisis card quotes: the counselor reads the message, the
# class teacher (and an admin it reaches) the sentence that carried the warning sign.
QUOTE_WHOLE = 300
QUOTE_SENTENCE = 120
_SENTENCE = re.compile(r"[^。！？!?；;\n]*[。！？!?；;\n]?")


def quote_of(message: str, span: str, *, whole: bool) -> str:
    """What a card quotes of a student's message around the matched words `span`: the message,
    or only the sentence (or sentences) holding them; long text is cut around them with …"""
    text = message or span
    if not whole:
        text = _sentences_with(text, span)
    text = " ".join(text.split())
    limit = QUOTE_WHOLE if whole else QUOTE_SENTENCE
    if len(text) <= limit:
        return text
    at = max(text.find(" ".join(span.split())), 0)
    start = max(0, min(at - limit // 3, len(text) - limit))
    end = start + limit
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def _sentences_with(message: str, span: str) -> str:
    at = message.find(span) if span else -1
    if at < 0:
        return message
    end = at + len(span)
    pieces = [m for m in _SENTENCE.finditer(message) if m.end() > at and m.start() < end]
    if not pieces:
        return message
    return message[pieces[0].start() : pieces[-1].end()].strip()


def _crisis_what(catalog: Catalog, language: str, said: dict[str, Any]) -> str:
    category = str(said.get("category", ""))
    key = "alerts.seen.crisis_other" if category.endswith("_other") else "alerts.seen.crisis"
    return catalog.t(
        language,
        key,
        category=_word(catalog, language, "category", category),
        source=_word(catalog, language, "source", said.get("source", "text")),
    )


def _crisis_lines(
    catalog: Catalog, language: str, said: dict[str, Any], *, whole: bool
) -> list[str]:
    """What one crisis message was, and its words quoted."""
    lines = [_crisis_what(catalog, language, said)]
    span = str(said.get("span") or "")
    quote = quote_of(str(said.get("message") or ""), span, whole=whole)
    if quote:
        lines.append(catalog.t(language, "alerts.card.quote", quote=quote))
    if span and span != quote:
        lines.append(catalog.t(language, "alerts.card.matched", span=span))
    return lines


def _local(services: Services, seconds: int) -> datetime:
    return from_epoch(seconds).astimezone(services.tz)


def _clock_text(services: Services, seconds: int) -> str:
    return _local(services, seconds).strftime("%m-%d %H:%M")


def seen_text(
    catalog: Catalog, language: str, kind: str, facts: dict[str, Any], *, scores: bool
) -> str:
    """What was seen, in words; screen scores only for those who may see them."""
    if kind == "screen" and not scores:
        return catalog.t(language, "alerts.seen.wellbeing_flag")
    params = _seen_params(catalog, language, kind, facts)
    try:
        return catalog.t(language, f"alerts.seen.{kind}", **params)
    except KeyError:
        # Facts without a wording of their own (a rule added later): name the kind at least.
        log.warning("no wording for the facts of a %s alert", kind)
        return catalog.t(language, f"alerts.kind.{kind}")


def _seen_params(
    catalog: Catalog, language: str, kind: str, facts: dict[str, Any]
) -> dict[str, Any]:
    """Facts as words: codes through the catalog, numbers with one decimal."""
    params: dict[str, Any] = {}
    for name, value in facts.items():
        if isinstance(value, float):
            params[name] = f"{value:.1f}"
        elif isinstance(value, list | tuple):
            params[name] = _joined(catalog, language, name, value)
        else:
            params[name] = _word(catalog, language, name, value)
    return params


_CODE_PREFIX = {
    "symptoms": "checkin.symptom",
    "category": "alerts.crisis_category",
    "source": "alerts.source",
}


def _word(catalog: Catalog, language: str, name: str, value: Any) -> str:
    shown = f"{value:.1f}" if isinstance(value, float) else str(value)
    prefix = _CODE_PREFIX.get(name)
    return catalog.t_or(language, f"{prefix}.{value}", shown) if prefix else shown


def _joined(catalog: Catalog, language: str, name: str, values: Any) -> str:
    if name in _CODE_PREFIX:
        separator = catalog.t(language, "checkin.list_separator")
        return separator.join(_word(catalog, language, name, v) for v in values)
    return " → ".join(_word(catalog, language, name, v) for v in values)


async def render_card(
    services: Services, alert: store.Alert, info: StudentInfo, viewer: Person
) -> tuple[str, Markup]:
    """The card a staff member sees for an alert, in their language, with its buttons."""
    catalog = services.catalog
    language = viewer.language or services.config.general.language
    t = catalog.t
    lines = [
        t(language, f"alerts.level.{alert.level}")
        + " · "
        + t(language, f"alerts.kind.{alert.kind}"),
        t(
            language,
            "alerts.card.student",
            name=info.person.name,
            number=info.person.number,
            school=info.school_name,
            class_name=info.class_name,
        ),
    ]
    parts = crisis_parts(alert.facts) if alert.kind == "crisis" else {}
    if parts:
        # The words themselves, so whoever acts sees why; the class teacher as well as the
        # counselor, since an urgent crisis needs the student's own words to talk it through.
        for number, about in enumerate(a for a in ("self", "other") if a in parts):
            said = _crisis_lines(catalog, language, parts[about], whole=viewer.role == "counselor")
            what = said.pop(0)
            if number == 0:
                when = _clock_text(services, alert.seen_at)
                lines.append(t(language, "alerts.card.seen", what=what, when=when))
            else:
                lines.append(t(language, "alerts.card.also", what=what))
            lines += said
    else:
        lines.append(
            t(
                language,
                "alerts.card.seen",
                what=seen_text(
                    catalog, language, alert.kind, alert.facts, scores=viewer.role == "counselor"
                ),
                when=_clock_text(services, alert.seen_at),
            )
        )
    if alert.signals > 1:
        lines.append(
            t(
                language,
                "alerts.card.repeated",
                count=alert.signals,
                since=_clock_text(services, alert.opened_at),
            )
        )
    corrected = alert.facts.get("corrected")
    if corrected is not None:
        value = catalog.t_or(language, f"alerts.corrected.{corrected}", str(corrected))
        lines.append(t(language, "alerts.card.corrected", value=value))
    if alert.escalation_step:
        lines.append(t(language, f"alerts.card.escalated{alert.escalation_step}"))
    call = (
        await store.call_info(services.db, alert.handled_call_id)
        if alert.handled_call_id
        else None
    )
    if call is not None:
        caller = await people.person_by_id(services.db, call[0])
        name = caller.name if caller is not None else "?"
        lines.append(
            t(language, "alerts.card.call", name=name, when=_clock_text(services, call[1]))
        )
    if alert.label is not None and alert.labelled_by is not None:
        labeller = await people.person_by_id(services.db, alert.labelled_by)
        lines.append(
            t(
                language,
                f"alerts.card.label.{alert.label}",
                name=labeller.name if labeller is not None else "?",
                when=_clock_text(services, alert.labelled_at or alert.updated_at),
            )
        )
    elif alert.owner_id is not None:
        owner = await people.person_by_id(services.db, alert.owner_id)
        owner_name = owner.name if owner is not None else "?"
        if alert.state == "resolved":
            lines.append(
                t(
                    language,
                    "alerts.card.resolved",
                    name=owner_name,
                    when=_clock_text(services, alert.resolved_at or alert.updated_at),
                )
            )
        else:
            lines.append(
                t(
                    language,
                    "alerts.card.owner",
                    name=owner_name,
                    when=_clock_text(services, alert.acknowledged_at or alert.updated_at),
                )
            )
    if alert.resolution:
        lines.append(t(language, "alerts.card.resolution", text=alert.resolution))
    return "\n".join(lines), _card_buttons(catalog, language, alert)


def _card_buttons(catalog: Catalog, language: str, alert: store.Alert) -> Markup:
    def button(verb: str) -> dict[str, str]:
        return {
            "text": catalog.t(language, f"alerts.button.{verb}"),
            "callback_data": f"al:{alert.id}:{verb}",
        }

    first = []
    if alert.state == "open":
        first.append(button("ack"))
    if alert.state != "resolved":
        first.append(button("done"))
    rows = [first] if first else []
    rows.append([button("msg"), button("hist")])
    if alert.kind == "crisis" and alert.label is None:
        rows.append([button("nc")])
    return {"inline_keyboard": rows}


# --- what staff do with a card -------------------------------------------------------------


async def may_act(services: Services, viewer: Viewer, alert: store.Alert) -> bool:
    """Staff covering the student now may act on the alert; holding a card from before the
    student moved class (or school) is not enough."""
    if not viewer.is_staff:
        return False
    student = await people.person_by_id(services.db, alert.student_id)
    return student is not None and covers_student(viewer, student)


async def _covers(services: Services, person: Person, student: Person) -> bool:
    return covers_student(await viewer(services.db, person), student)


async def acknowledge(
    services: Services, alert_id: int, actor: Person, *, from_chat: bool = True
) -> Action:
    """Take the alert: the first "I'm on it" wins and every other card shows who took it. From
    the chat the actor's own card is edited by the press; from elsewhere it is redrawn too."""
    return await _act(services, alert_id, actor, "acknowledged", from_chat=from_chat)


async def resolve(
    services: Services, alert_id: int, actor: Person, *, from_chat: bool = True
) -> Action:
    """Close the alert; a new signal of its kind will then raise a fresh one. The actor is
    then asked for the 处置情况 line."""
    return await _act(services, alert_id, actor, "resolved", from_chat=from_chat)


# What a call that handled an alert means: reaching the family settles a missed or unreachable
# alert; for anything else (a fever, a crisis) it means "I'm on it".
SETTLED_BY_CALL = frozenset({"missed", "unreachable"})
# How long the next text of a staff member who resolved an alert is taken as its 处置情况 line.
RESOLUTION_MINUTES = 10
RESOLUTION_LIMIT = 200


async def call_offers(services: Services, viewer: Viewer, student: Person) -> list[store.Alert]:
    """The student's unresolved alerts a call by this staff member may have handled: those
    routed to their role or shown to them on a card."""
    if not viewer.is_staff or not covers_student(viewer, student):
        return []
    offers = []
    for alert in await store.open_alerts_for_student(services.db, student.id):
        routes = rules.route(rules.AlertKind(alert.kind), rules.Level(alert.level))
        held = {c.person_id for c in await store.cards(services.db, alert.id)}
        if viewer.person.role in {_value(a) for a in routes} or viewer.person.id in held:
            offers.append(alert)
    return offers


async def handle_by_call(services: Services, alert_id: int, actor: Person) -> str:
    """Record the actor's last logged call to the student as what handled the alert, which
    stops its escalation. Returns what came of it: resolved, acknowledged, noted (someone has
    it already), gone (resolved already), no_call (no call logged since the alert opened)."""
    now = services.now()
    alert = await store.alert_by_id(services.db, alert_id)
    info = await people.student_info(services.db, alert.student_id) if alert else None
    if alert is None or info is None or alert.state == "resolved":
        return "gone"
    call_id = await store.latest_call(services.db, actor.id, alert.student_id, alert.opened_at)
    if call_id is None:
        return "no_call"
    async with services.db.transaction() as tx:
        current = await store.alert_by_id(tx, alert_id)
        if current is None or current.state == "resolved":
            return "gone"
        await store.set_handled_call(tx, alert_id, call_id, now)
        await store.add_event(tx, alert_id, now, actor.id, "handled:call")
        if current.kind in SETTLED_BY_CALL:
            await store.resolve(tx, alert_id, actor.id, now)
            await store.add_event(tx, alert_id, now, actor.id, "resolved")
            await store.ask_resolution(tx, actor.id, alert_id, now)
            outcome = "resolved"
        elif await store.acknowledge(tx, alert_id, actor.id, now):
            await store.add_event(tx, alert_id, now, actor.id, "acknowledged")
            outcome = "acknowledged"
        else:
            outcome = "noted"
        fresh = await store.alert_by_id(tx, alert_id)
        assert fresh is not None
        await _refresh_cards(tx, services, fresh, info, now=now)
    log.info("alert %d handled by a call of person %d: %s", alert_id, actor.id, outcome)
    services.wake_outbox()
    return outcome


async def resolution_waiting(services: Services, person: Person) -> int | None:
    """The alert whose 处置情况 line the person's next text is, if one waits for it."""
    since = services.now() - RESOLUTION_MINUTES * 60
    return await store.waiting_resolution(services.db, person.id, since)


async def record_resolution(services: Services, person: Person, alert_id: int, text: str) -> bool:
    """Store the 处置情况 line (one line) with the alert and show it on every card; False
    when it is too long, and the question still waits."""
    line = " ".join(text.split())
    if len(line) > RESOLUTION_LIMIT:
        return False
    now = services.now()
    alert = await store.alert_by_id(services.db, alert_id)
    info = await people.student_info(services.db, alert.student_id) if alert else None
    async with services.db.transaction() as tx:
        await store.drop_resolution_prompt(tx, person.id)
        if (
            info is None
            or not line
            or not await store.set_resolution(tx, alert_id, line, person.id, now)
        ):
            return True
        await store.add_event(tx, alert_id, now, person.id, "resolution")
        fresh = await store.alert_by_id(tx, alert_id)
        assert fresh is not None
        await _refresh_cards(tx, services, fresh, info, now=now)
    services.wake_outbox()
    return True


async def skip_resolution(services: Services, person: Person, alert_id: int) -> None:
    """Stop waiting for the person's 处置情况 line for this alert."""
    async with services.db.transaction() as tx:
        await store.drop_resolution_prompt(tx, person.id, alert_id)


async def _act(
    services: Services, alert_id: int, actor: Person, event: str, *, from_chat: bool = True
) -> Action:
    now = services.now()
    alert = await store.alert_by_id(services.db, alert_id)
    if alert is None:
        return Action(False, None)
    info = await people.student_info(services.db, alert.student_id)
    if info is None:
        return Action(False, alert)
    async with services.db.transaction() as tx:
        if event == "acknowledged":
            done = await store.acknowledge(tx, alert_id, actor.id, now)
        else:
            done = await store.resolve(tx, alert_id, actor.id, now)
        fresh = await store.alert_by_id(tx, alert_id)
        assert fresh is not None
        if done:
            await store.add_event(tx, alert_id, now, actor.id, event)
            if event == "resolved":
                await store.ask_resolution(tx, actor.id, alert_id, now)
            skip = actor.id if from_chat else None
            await _refresh_cards(tx, services, fresh, info, now=now, skip_person=skip)
    if done:
        log.info("alert %d %s by person %d", alert_id, event, actor.id)
        services.wake_outbox()
    text, markup = await render_card(services, fresh, info, actor)
    return Action(done, fresh, text, markup)


async def label_not_concern(services: Services, alert_id: int, actor: Person) -> Action:
    """Label a crisis alert "not a concern": stored with the alert, the alert resolved, the
    message kept as an example for the screen's review, and every card redrawn."""
    now = services.now()
    alert = await store.alert_by_id(services.db, alert_id)
    if alert is None or alert.kind != "crisis":
        return Action(False, alert)
    info = await people.student_info(services.db, alert.student_id)
    if info is None:
        return Action(False, alert)
    async with services.db.transaction() as tx:
        done = await store.label(tx, alert_id, "not_concern", actor.id, now)
        if done:
            await store.resolve(tx, alert_id, actor.id, now)
            await store.add_event(tx, alert_id, now, actor.id, "labelled:not_concern")
            current = await store.alert_by_id(tx, alert_id)
            assert current is not None
            for said in crisis_parts(current.facts).values():
                text = str(said.get("message") or said.get("span") or "")
                if not text:
                    continue
                await review_store.add_example(
                    tx,
                    source="not_concern",
                    text=text,
                    label="none",
                    labelled_by=actor.id,
                    now=now,
                    student_id=alert.student_id,
                    alert_id=alert_id,
                )
            await _refresh_cards(tx, services, current, info, now=now, skip_person=actor.id)
        fresh = await store.alert_by_id(tx, alert_id)
        assert fresh is not None
    if done:
        log.info("alert %d labelled not a concern by person %d", alert_id, actor.id)
        services.wake_outbox()
    text, markup = await render_card(services, fresh, info, actor)
    return Action(done, fresh, text, markup)


# --- escalation ----------------------------------------------------------------------------


async def escalate_due(services: Services) -> int:
    """Add the next rank of admins to every open alert nobody took in time; returns how many
    alerts moved a step. Each step is recorded in alert_events."""
    now = services.now()
    moved = 0
    for alert_id in await store.due_escalations(services.db, now):
        if await _escalate(services, alert_id, now):
            moved += 1
    if moved:
        services.wake_outbox()
    return moved


async def _escalate(services: Services, alert_id: int, now: int) -> bool:
    alert = await store.alert_by_id(services.db, alert_id)
    if alert is None or alert.state != "open":
        return False
    info = await people.student_info(services.db, alert.student_id)
    if info is None:
        return False
    async with services.db.transaction() as tx:
        current = await store.alert_by_id(tx, alert_id)
        if current is None or current.state != "open" or current.escalation_step >= len(STEPS):
            if current is not None and current.state == "open":
                await store.set_escalation(tx, alert_id, current.escalation_step, None, now)
            return False
        step = current.escalation_step
        targets: list[Person] = []
        # A rank with nobody reachable is recorded and passed over at once.
        while not targets and step < len(STEPS):
            step += 1
            targets = [p for p in await _escalation_targets(services, current, step) if p.chat_id]
            last = step == len(STEPS)
            next_at = None if last else _ack_deadline(services, current.level, now)
            await store.set_escalation(tx, alert_id, step, next_at, now)
            await store.add_event(tx, alert_id, now, None, f"escalated:{step}")
        current = await store.alert_by_id(tx, alert_id)
        assert current is not None
        await _refresh_cards(tx, services, current, info, now=now)
        await _add_cards(tx, services, current, info, targets, reason=STEPS[step], now=now)
    log.info("alert %d escalated to step %d", alert_id, step)
    return True


# --- people who left ----------------------------------------------------------------------


async def reroute_from(services: Services, departed: Person) -> int:
    """Hand the unresolved alerts a departed (or unbound) person held to whoever is routed to
    them now; an alert with nobody of that role left goes to the admins at once. Returns how
    many alerts were handed on; each is recorded in alert_events."""
    now = services.now()
    moved = 0
    for alert_id in await store.unresolved_held_by(services.db, departed.id):
        alert = await store.alert_by_id(services.db, alert_id)
        info = await people.student_info(services.db, alert.student_id) if alert else None
        if alert is None or info is None:
            continue
        routed = [p for p in await _routed(services, alert) if p.chat_id and p.id != departed.id]
        async with services.db.transaction() as tx:
            # An alert its owner took cannot wait for someone who is gone.
            await store.reopen(
                tx, alert_id, departed.id, _ack_deadline(services, alert.level, now), now
            )
            await store.add_event(tx, alert_id, now, None, "rerouted")
            current = await store.alert_by_id(tx, alert_id)
            assert current is not None
            await _refresh_cards(tx, services, current, info, now=now)
            await _add_cards(tx, services, current, info, routed, reason="routed", now=now)
        heir = any(p.role == departed.role for p in routed)
        if not heir and current.state == "open" and current.escalation_step == 0:
            await _escalate(services, alert_id, now)
        moved += 1
    if moved:
        log.info("%d alert(s) of person %d handed on", moved, departed.id)
        services.wake_outbox()
    return moved


# --- history -------------------------------------------------------------------------------


async def history_text(services: Services, alert_id: int, viewer: Viewer) -> str | None:
    """The student's last few check-ins as a short table, as the viewer's role may see them.
    The view is audited. None if the alert is unknown."""
    alert = await store.alert_by_id(services.db, alert_id)
    if alert is None:
        return None
    info = await people.student_info(services.db, alert.student_id)
    if info is None:
        return None
    rows = (await checkins_store.checkin_history(services.db, alert.student_id))[-HISTORY_ROWS:]
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
