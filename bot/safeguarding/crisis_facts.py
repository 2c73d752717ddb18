"""A crisis alert's facts: the student's own words kept apart from a report about a friend,
and how a card quotes them."""

from __future__ import annotations

import re
from typing import Any

from bot.alerts.wording import word
from bot.core.i18n import Catalog
from bot.safeguarding import screen as crisis

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
        category=word(catalog, language, "category", category),
        source=word(catalog, language, "source", said.get("source", "text")),
    )


def crisis_lines(
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
