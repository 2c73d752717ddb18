"""The running bot's shared services, kept in application.bot_data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.core.clock import Clock, epoch
from bot.core.config import Config
from bot.core.i18n import Catalog
from bot.core.throttle import OncePer
from bot.storage.db import Database

KEY = "classcare"

# Called with a check-in's id once its answers are stored, or once it is settled (submitted or
# missed): how check-ins reach the alert rules without importing them. bot.app wires it.
CheckinHook = Callable[["Services", int], Awaitable[object]]


if TYPE_CHECKING:
    from bot.delivery.worker import DeliveryWorker


@dataclass
class Services:
    config: Config
    db: Database
    clock: Clock
    catalog: Catalog
    bot_username: str = ""
    outbox: DeliveryWorker | None = None
    # "Who are you?" to an account with no binding: once a minute, however much it sends.
    unbound_replies: OncePer = field(default_factory=lambda: OncePer(60))
    # None where nothing listens (the CLI's one-off commands, which settle no check-in).
    on_checkin_answers: CheckinHook | None = None
    on_checkin_settled: CheckinHook | None = None

    @property
    def tz(self) -> ZoneInfo:
        return self.config.general.tz

    def now(self) -> int:
        return epoch(self.clock.now())

    def wake_outbox(self) -> None:
        """Tell the delivery worker that new rows were committed."""
        if self.outbox is not None:
            self.outbox.wake()


def get_services(bot_data: dict[Any, Any]) -> Services:
    services = bot_data.get(KEY)
    if not isinstance(services, Services):
        raise RuntimeError("ClassCare services are not started")
    return services
