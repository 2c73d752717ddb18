"""Message catalogs: bot/core/locales/<language>/<area>.toml, flattened to dotted keys."""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Any

from bot.core.config import LANGUAGES, Config

DEFAULT_LANGUAGE = "zh-CN"
# A text whose words depend on a number is a table of forms: `key.one` for a count of 1 and
# `key.other` for every other count ("1 copy" / "2 copies"). Chinese needs only one form.
PLURAL_FORMS = ("one", "other")


class Catalog:
    """Texts per language; `t` fills them in and picks a plural form by the `count` param."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]], default: str = DEFAULT_LANGUAGE):
        self._messages: dict[str, dict[str, str]] = {}
        self._one: dict[str, dict[str, str]] = {}
        for language, flat in messages.items():
            self._messages[language], self._one[language] = _plurals(flat)
        self.default = default

    @classmethod
    def load(cls, default: str = DEFAULT_LANGUAGE) -> Catalog:
        return cls(_read_locales(), default)

    @classmethod
    def for_config(cls, config: Config) -> Catalog:
        """The catalogs in the configured default language, with the slots' own labels."""
        messages = _read_locales()
        # A school's plan may name a slot of its own (晚检 at a boarding school).
        plans = (config.checkins.slots, *(plan.slots for plan in config.schools))
        for slot in (slot for slots in plans for slot in slots):
            for language, label in slot.labels().items():
                messages[language][f"checkin.slot.{slot.name}"] = label
        return cls(messages, config.general.language)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._messages)

    def keys(self, language: str) -> set[str]:
        return set(self._messages[language])

    def plural_keys(self, language: str) -> set[str]:
        return set(self._one[language])

    def raw(self, language: str, key: str, form: str = "other") -> str:
        if form == "one" and key in self._one[language]:
            return self._one[language][key]
        return self._messages[language][key]

    def t_or(self, language: str | None, key: str, fallback: str) -> str:
        """The text for key, or `fallback` for a key the catalog does not have (a code it does
        not name yet shows as itself)."""
        known = key in self._messages[self.default] or (
            language is not None and language in self._messages and key in self._messages[language]
        )
        return self.t(language, key) if known else fallback

    def t(self, language: str | None, key: str, /, **params: Any) -> str:
        """The text for key in language (default language if unknown), filled with params."""
        lang = language if language is not None and language in self._messages else self.default
        if key not in self._messages[lang]:
            lang = self.default
        template = self._messages[lang][key]
        if params.get("count") == 1:
            template = self._one[lang].get(key, template)
        return template.format(**params) if params else template

    def day(self, language: str | None, day: date) -> str:
        """A date as people write it: 12月2日（周三）, Wed 2 Dec."""
        return self.t(
            language,
            "common.date",
            month=self.t(language, f"common.month.{day.month}"),
            day=day.day,
            weekday=self.t(language, f"common.weekday.{day.weekday()}"),
        )


def _read_locales() -> dict[str, dict[str, str]]:
    """Every language's texts from its TOML files, flattened to dotted keys (a fresh copy: the
    catalog adds configured labels to it)."""
    return {language: dict(flat) for language, flat in _parsed_locales().items()}


@functools.cache
def _parsed_locales() -> dict[str, dict[str, str]]:
    # The files ship with the package and never change while it runs; parsing them took longer
    # than the rest of building the application.
    root = resources.files("bot.core") / "locales"
    messages: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        flat: dict[str, str] = {}
        for entry in sorted((root / language).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                _flatten(tomllib.loads(entry.read_text(encoding="utf-8")), "", flat)
        messages[language] = flat
    return messages


def _plurals(flat: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The texts with each plural table as one key holding its `other` form, and the `one`
    forms apart."""
    texts, one = dict(flat), {}
    for key in flat:
        base, _, form = key.rpartition(".")
        if form == "one" and f"{base}.other" in flat:
            one[base] = texts.pop(key)
            texts[base] = texts.pop(f"{base}.other")
    return texts, one


def _flatten(table: Mapping[str, Any], prefix: str, out: dict[str, str]) -> None:
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, dotted + ".", out)
        elif isinstance(value, str):
            if dotted in out:
                raise ValueError(f"catalog key {dotted} is defined twice")
            out[dotted] = value
        else:
            raise ValueError(f"catalog key {dotted} must be text")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def language_from_telegram(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Map Telegram's language_code (e.g. 'zh-hans', 'en-US') onto a catalog language."""
    if not code:
        return default
    code = code.lower()
    if code.startswith("zh"):
        return "zh-CN"
    if code.startswith("en"):
        return "en"
    return default
