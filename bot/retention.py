"""The retention purge: health data of a minor is kept only so long after isolation ends."""

from __future__ import annotations

import logging

from bot.services import Services
from bot.storage import retention

log = logging.getLogger(__name__)


async def purge_due(svc: Services) -> int:
    """Purge every episode that ended more than the configured days ago, and the digests,
    reports and crisis review examples older than that; returns how many episodes."""
    now = svc.now()
    cutoff = now - svc.config.retention.days_after_isolation * 86400
    episodes = await retention.isolations_to_purge(svc.db, cutoff)
    for isolation_id in episodes:
        async with svc.db.transaction() as tx:
            checkins = await retention.purge_isolation(tx, isolation_id, now)
        log.info("purged isolation %d: %d check-ins blanked", isolation_id, checkins)
    async with svc.db.transaction() as tx:
        letters = await retention.blank_reports(tx, cutoff)
        examples = await retention.purge_examples(tx, cutoff)
    if letters:
        log.info("blanked %d digests and school reports", letters)
    if examples:
        log.info("deleted %d crisis review examples", examples)
    return len(episodes)
