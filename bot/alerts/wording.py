"""An alert's facts in words: codes through the catalog, numbers with one decimal, times in
the school's timezone."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.core.clock import from_epoch
from bot.core.i18n import Catalog
from bot.core.services import Services

log = logging.getLogger(__name__)


def _local(services: Services, seconds: int) -> datetime:
    return from_epoch(seconds).astimezone(services.tz)


def clock_text(services: Services, seconds: int) -> str:
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
            params[name] = word(catalog, language, name, value)
    return params


_CODE_PREFIX = {
    "symptoms": "checkin.symptom",
    "category": "alerts.crisis_category",
    "source": "alerts.source",
}


def word(catalog: Catalog, language: str, name: str, value: Any) -> str:
    shown = f"{value:.1f}" if isinstance(value, float) else str(value)
    prefix = _CODE_PREFIX.get(name)
    return catalog.t_or(language, f"{prefix}.{value}", shown) if prefix else shown


def _joined(catalog: Catalog, language: str, name: str, values: Any) -> str:
    if name in _CODE_PREFIX:
        separator = catalog.t(language, "checkin.list_separator")
        return separator.join(word(catalog, language, name, v) for v in values)
    return " → ".join(word(catalog, language, name, v) for v in values)
