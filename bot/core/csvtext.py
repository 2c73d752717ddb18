"""Text for CSV cells that spreadsheets open: a cell never runs as a formula."""

from __future__ import annotations

# Excel and LibreOffice read a cell starting with these as a formula (or, for tab and carriage
# return, strip them and read what follows); OWASP's CSV-injection advice.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """The text, with a leading single quote when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
