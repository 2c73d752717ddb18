"""/language: the languages a person can choose, as buttons (lang:<code>), and reading a choice."""

from __future__ import annotations

from bot.core.config import LANGUAGES
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback, parse

AREA = "lang"
# Each language named in itself, so a person who cannot read the current one finds their own.
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}


def choice_screen(catalog: Catalog, language: str) -> Screen:
    """The question in the person's language, with one button per language side by side."""
    buttons = [Button(LANGUAGE_NAMES[code], callback(AREA, code)) for code in LANGUAGES]
    return Screen(catalog.t(language, "language.choose"), Keyboard.of(buttons))


def chosen(data: str | None) -> str | None:
    """The language a lang: button names, or None when it names none we speak."""
    read = parse(data, AREA)
    if read is None or len(read) != 1:
        return None
    code = read.text(0)
    return code if code in LANGUAGES else None
