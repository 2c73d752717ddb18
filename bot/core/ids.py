"""Ids that arrive as text (button data, command arguments), which a forged client can fill
with anything."""

from __future__ import annotations

# SQLite's largest integer: a larger id would overflow the query, not merely match nothing.
MAX_ID = 2**63 - 1


def is_id(text: str) -> bool:
    """Whether the text is a database id: ASCII digits (str.isdigit also takes "²", which int()
    refuses) within SQLite's range."""
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID
