"""People who leave or lose their phone: deactivate or unbind them, withdraw what still waited
for them, and hand their open alerts to whoever holds their role now."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosqlite

from bot.alerts import reroute
from bot.core.services import Services
from bot.delivery import outbox
from bot.people.roster import ParsedRoster
from bot.people.store import roster as roster_store
from bot.people.store.roster import ImportSummary
from bot.storage import audit, people
from bot.storage.records import Person

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Departure:
    """What leaving did: messages withdrawn and alerts handed on."""

    withdrawn: int
    rerouted: int


async def leave_in(
    tx: aiosqlite.Connection, person: Person, *, deactivate: bool, actor_id: int | None, now: int
) -> int:
    """Deactivate or unbind inside the caller's transaction and withdraw every message not yet
    sent to them; returns how many were withdrawn. Alerts move after the commit (reroute)."""
    if deactivate:
        await people.deactivate(tx, person.id, now)
    else:
        await people.unbind(tx, person.id, now)
    withdrawn = await outbox.withdraw_for_person(tx, person.id, person.chat_id)
    action = "person_deactivated" if deactivate else "person_unbound"
    await audit.record(tx, actor_id=actor_id, action=action, now=now, student_id=person.id)
    return withdrawn


async def leave(
    services: Services, person: Person, *, deactivate: bool, actor_id: int | None = None
) -> Departure:
    """Deactivate (the person left) or unbind (their account must go) one person."""
    async with services.db.transaction() as tx:
        withdrawn = await leave_in(
            tx, person, deactivate=deactivate, actor_id=actor_id, now=services.now()
        )
    log.info("person %d %s", person.id, "deactivated" if deactivate else "unbound")
    return Departure(withdrawn, await reroute.reroute_from(services, person))


class RosterChanged(Exception):
    """The people a pruning import would remove changed after they were listed."""


async def to_prune(services: Services, roster: ParsedRoster) -> list[Person]:
    """Who a complete file leaves out, to list before anyone is deactivated."""
    return await people.people_by_ids(
        services.db, await roster_store.missing_from(services.db, roster)
    )


async def import_pruning(
    services: Services, roster: ParsedRoster, confirmed: list[Person]
) -> tuple[ImportSummary, Departure]:
    """Import a complete file and deactivate everyone it leaves out, in one transaction; the
    operator confirmed exactly `confirmed`, so a different list rolls everything back."""
    now = services.now()
    withdrawn = 0
    async with services.db.transaction() as tx:
        missing = await roster_store.missing_from(tx, roster)
        if sorted(missing) != sorted(p.id for p in confirmed):
            raise RosterChanged("the people missing from the file changed; list them again")
        summary = await roster_store.apply_roster_in(tx, roster, now=now, tz=services.tz)
        for person in confirmed:
            withdrawn += await leave_in(tx, person, deactivate=True, actor_id=None, now=now)
    rerouted = 0
    for person in confirmed:
        rerouted += await reroute.reroute_from(services, person)
    return summary, Departure(withdrawn, rerouted)
