"""What staff do with a card: take it, resolve it, handle it by a call, write its 处置情况
line, or label a crisis alert "not a concern"."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosqlite

from bot.alerts import rules
from bot.alerts.cards import refresh_cards
from bot.alerts.raising import value_of
from bot.alerts.screens import render_card
from bot.alerts.store import alerts as alert_store
from bot.alerts.store import handling as handling_store
from bot.alerts.store.alerts import Alert
from bot.core.access import Viewer, covers_student
from bot.core.keyboard import Keyboard
from bot.core.services import Services
from bot.safeguarding import review
from bot.storage import people
from bot.storage.records import Person

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Action:
    """What a button press on a card did, and the actor's card to redraw."""

    done: bool
    alert: Alert | None
    text: str = ""
    keyboard: Keyboard | None = None


async def may_act(services: Services, viewer: Viewer, alert: Alert) -> bool:
    """Staff covering the student now may act on the alert; holding a card from before the
    student moved class (or school) is not enough."""
    if not viewer.is_staff:
        return False
    student = await people.person_by_id(services.db, alert.student_id)
    return student is not None and covers_student(viewer, student)


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


# How long the next text of a staff member who resolved an alert is taken as its 处置情况 line.
RESOLUTION_MINUTES = 10
RESOLUTION_LIMIT = 200


async def call_offers(services: Services, viewer: Viewer, student: Person) -> list[Alert]:
    """The student's unresolved alerts a call by this staff member may have handled: those
    routed to their role or shown to them on a card."""
    if not viewer.is_staff or not covers_student(viewer, student):
        return []
    offers = []
    for alert in await alert_store.open_alerts_for_student(services.db, student.id):
        routes = rules.route(rules.AlertKind(alert.kind), rules.Level(alert.level))
        held = {c.person_id for c in await alert_store.cards(services.db, alert.id)}
        if viewer.person.role in {value_of(a) for a in routes} or viewer.person.id in held:
            offers.append(alert)
    return offers


async def handle_by_call(services: Services, alert_id: int, actor: Person) -> str:
    """Record the actor's last logged call to the student as what handled the alert, which
    stops its escalation. Returns what came of it: resolved, acknowledged, noted (someone has
    it already), gone (resolved already), no_call (no call logged since the alert opened)."""
    now = services.now()
    alert = await alert_store.alert_by_id(services.db, alert_id)
    info = await people.student_info(services.db, alert.student_id) if alert else None
    if alert is None or info is None or alert.state == "resolved":
        return "gone"
    call_id = await handling_store.latest_call(
        services.db, actor.id, alert.student_id, alert.opened_at
    )
    if call_id is None:
        return "no_call"
    async with services.db.transaction() as tx:
        current = await alert_store.alert_by_id(tx, alert_id)
        if current is None or current.state == "resolved":
            return "gone"
        await handling_store.set_handled_call(tx, alert_id, call_id, now)
        await alert_store.add_event(tx, alert_id, now, actor.id, "handled:call")
        if current.kind in rules.SETTLED_BY_CALL:
            await alert_store.resolve(tx, alert_id, actor.id, now)
            await alert_store.add_event(tx, alert_id, now, actor.id, "resolved")
            await handling_store.ask_resolution(tx, actor.id, alert_id, now)
            outcome = "resolved"
        elif await alert_store.acknowledge(tx, alert_id, actor.id, now):
            await alert_store.add_event(tx, alert_id, now, actor.id, "acknowledged")
            outcome = "acknowledged"
        else:
            outcome = "noted"
        fresh = await alert_store.alert_by_id(tx, alert_id)
        assert fresh is not None
        await refresh_cards(tx, services, fresh, info, now=now)
    log.info("alert %d handled by a call of person %d: %s", alert_id, actor.id, outcome)
    services.wake_outbox()
    return outcome


async def resolution_waiting(services: Services, person: Person) -> int | None:
    """The alert whose 处置情况 line the person's next text is, if one waits for it."""
    since = services.now() - RESOLUTION_MINUTES * 60
    return await handling_store.waiting_resolution(services.db, person.id, since)


async def record_resolution(services: Services, person: Person, alert_id: int, text: str) -> bool:
    """Store the 处置情况 line (one line) with the alert and show it on every card; False
    when it is too long, and the question still waits."""
    line = " ".join(text.split())
    if len(line) > RESOLUTION_LIMIT:
        return False
    now = services.now()
    alert = await alert_store.alert_by_id(services.db, alert_id)
    info = await people.student_info(services.db, alert.student_id) if alert else None
    async with services.db.transaction() as tx:
        await handling_store.drop_resolution_prompt(tx, person.id)
        if (
            info is None
            or not line
            or not await handling_store.set_resolution(tx, alert_id, line, person.id, now)
        ):
            return True
        await alert_store.add_event(tx, alert_id, now, person.id, "resolution")
        fresh = await alert_store.alert_by_id(tx, alert_id)
        assert fresh is not None
        await refresh_cards(tx, services, fresh, info, now=now)
    services.wake_outbox()
    return True


async def skip_resolution(services: Services, person: Person, alert_id: int) -> None:
    """Stop waiting for the person's 处置情况 line for this alert."""
    async with services.db.transaction() as tx:
        await handling_store.drop_resolution_prompt(tx, person.id, alert_id)


NOT_CONCERN = "labelled:not_concern"


async def label_not_concern(services: Services, alert_id: int, actor: Person) -> Action:
    """Label a crisis alert "not a concern": stored with the alert, the alert resolved, the
    message kept as an example for the screen's review, and every card redrawn."""
    return await _act(services, alert_id, actor, NOT_CONCERN)


async def _act(
    services: Services, alert_id: int, actor: Person, event: str, *, from_chat: bool = True
) -> Action:
    """Take, resolve or label the alert as the actor, record it, and redraw the other cards;
    the actor's own card comes back to be redrawn by the handler."""
    now = services.now()
    alert = await alert_store.alert_by_id(services.db, alert_id)
    if alert is None or (event == NOT_CONCERN and alert.kind != "crisis"):
        return Action(False, alert)
    info = await people.student_info(services.db, alert.student_id)
    if info is None:
        return Action(False, alert)
    async with services.db.transaction() as tx:
        if event == "acknowledged":
            done = await alert_store.acknowledge(tx, alert_id, actor.id, now)
        elif event == "resolved":
            done = await alert_store.resolve(tx, alert_id, actor.id, now)
        else:
            done = await _label_not_concern(tx, alert, actor, now)
        fresh = await alert_store.alert_by_id(tx, alert_id)
        assert fresh is not None
        if done:
            await alert_store.add_event(tx, alert_id, now, actor.id, event)
            if event == "resolved":
                await handling_store.ask_resolution(tx, actor.id, alert_id, now)
            skip = actor.id if from_chat else None
            await refresh_cards(tx, services, fresh, info, now=now, skip_person=skip)
    if done:
        log.info("alert %d %s by person %d", alert_id, event, actor.id)
        services.wake_outbox()
    text, keyboard = await render_card(services, fresh, info, actor)
    return Action(done, fresh, text, keyboard)


async def _label_not_concern(
    tx: aiosqlite.Connection, alert: Alert, actor: Person, now: int
) -> bool:
    """Label and resolve the alert, and keep each message it holds as a review example;
    False when someone labelled it first."""
    if not await alert_store.label(tx, alert.id, "not_concern", actor.id, now):
        return False
    await alert_store.resolve(tx, alert.id, actor.id, now)
    # Read inside the transaction: a message merged since the press is kept as well.
    current = await alert_store.alert_by_id(tx, alert.id)
    assert current is not None
    await review.keep_not_concern(
        tx,
        current.facts,
        student_id=alert.student_id,
        alert_id=alert.id,
        labelled_by=actor.id,
        now=now,
    )
    return True
