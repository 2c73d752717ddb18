"""Both catalogs are complete and agree on placeholders."""

from __future__ import annotations

import ast
import re
from datetime import date
from typing import get_args

from bot.core.config import Config
from bot.core.i18n import Catalog, language_from_telegram, placeholders
from bot.core.menus import MENUS
from bot.safeguarding.screen import Category
from tests.steps import REPO


def test_catalogs_have_the_same_keys() -> None:
    catalog = Catalog.load()
    zh, en = catalog.keys("zh-CN"), catalog.keys("en")
    assert zh - en == set(), f"missing in en: {sorted(zh - en)}"
    assert en - zh == set(), f"missing in zh-CN: {sorted(en - zh)}"


def constant_keys() -> dict[str, str]:
    """Every string literal in the code that names a catalog text, with where it stands.

    A literal counts when it starts with a catalog area ("alerts.", "common.", ...), whatever
    call it goes to (catalog.t, t_or, raw, a module's own t or _t, a label table). Not counted:
    prefixes a key is built on (f"{prefix}.{code}", checked by the catalog tests of each code),
    pieces of f-strings, and audit action names, which share the dotted shape."""
    areas = sorted(p.stem for p in (REPO / "bot/core/locales/zh-CN").glob("*.toml"))
    shape = re.compile(rf"^({'|'.join(areas)})(\.[a-z0-9_]+)+$")
    known = Catalog.for_config(Config()).keys("zh-CN")
    prefixes = {key.rsplit(".", n)[0] for key in known for n in range(1, key.count(".") + 1)}
    found: dict[str, str] = {}
    for folder in ("bot", "handlers", "jobs"):
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skipped = {
                id(part)
                for node in ast.walk(tree)
                if isinstance(node, ast.JoinedStr)
                for part in node.values
            } | {
                id(node.value)
                for node in ast.walk(tree)
                if isinstance(node, ast.keyword) and node.arg == "action"
            }
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in skipped
                    and shape.match(node.value)
                    and node.value not in prefixes
                ):
                    where = f"{path.relative_to(REPO)}:{node.lineno}"
                    found.setdefault(node.value, where)
    return found


def test_every_constant_key_in_the_code_is_in_both_catalogs() -> None:
    catalog = Catalog.for_config(Config())
    used = constant_keys()
    assert len(used) > 200, "the scan found too few keys to be reading the code"
    for language in ("zh-CN", "en"):
        missing = {key: where for key, where in used.items() if key not in catalog.keys(language)}
        assert not missing, f"keys missing in {language}: {missing}"


def test_placeholders_agree() -> None:
    catalog = Catalog.load()
    differing = [
        key
        for key in catalog.keys("zh-CN")
        if placeholders(catalog.raw("zh-CN", key)) != placeholders(catalog.raw("en", key))
    ]
    assert differing == []


def test_no_empty_texts() -> None:
    catalog = Catalog.load()
    empty = [
        (language, key)
        for language in catalog.languages
        for key in catalog.keys(language)
        if not catalog.raw(language, key).strip()
    ]
    assert empty == []


def test_every_menu_command_has_a_description() -> None:
    catalog = Catalog.load()
    commands = {command for menu in MENUS.values() for command in menu}
    for language in catalog.languages:
        assert {f"menu.{c}" for c in commands} <= catalog.keys(language)


def test_every_crisis_category_has_words_on_the_card() -> None:
    catalog = Catalog.load()
    codes = {f"alerts.crisis_category.{c}{about}" for c in get_args(Category)
             for about in ("", "_other")}  # fmt: skip
    for language in catalog.languages:
        prefixed = {k for k in catalog.keys(language) if k.startswith("alerts.crisis_category.")}
        assert prefixed == codes, language


def test_language_from_telegram() -> None:
    assert language_from_telegram("zh-hans") == "zh-CN"
    assert language_from_telegram("en-US") == "en"
    assert language_from_telegram("ru") == "zh-CN"
    assert language_from_telegram(None, "en") == "en"


def test_unknown_language_falls_back_to_default() -> None:
    catalog = Catalog.load()
    assert catalog.t("fr", "roles.teacher") == catalog.t("zh-CN", "roles.teacher")


def test_plural_forms_are_chosen_by_count() -> None:
    english = {"x.copies.one": "{count} copy", "x.copies.other": "{count} copies"}
    catalog = Catalog({"zh-CN": {"x.copies": "{count} 份"}, "en": english})
    assert catalog.t("en", "x.copies", count=1) == "1 copy"
    assert catalog.t("en", "x.copies", count=0) == "0 copies"
    assert catalog.t("en", "x.copies", count=2) == "2 copies"
    assert catalog.t("zh-CN", "x.copies", count=1) == "1 份"
    # A plural is one key, so both catalogs still agree on their keys.
    assert catalog.keys("en") == catalog.keys("zh-CN") == {"x.copies"}


def test_plural_forms_agree_on_placeholders_and_are_used() -> None:
    catalog = Catalog.load()
    plurals = catalog.plural_keys("en")
    assert "notices.withdraw.too_old" in plurals
    for key in plurals:
        assert placeholders(catalog.raw("en", key, "one")) <= placeholders(catalog.raw("en", key))
        assert "count" in placeholders(catalog.raw("en", key)), key


def test_dates_read_as_people_write_them() -> None:
    catalog = Catalog.load()
    day = date(2026, 12, 2)
    assert catalog.day("zh-CN", day) == "12月2日（周三）"
    assert catalog.day("en", day) == "Wed 2 Dec"


# Each action has one name: the label on its button, and the words every other text uses to
# point at that button. Quoted names in texts that talk about alert cards must be card labels.
CARD_BUTTONS = ("ack", "done", "msg", "hist")
CRISIS_BUTTONS = ("nc",)
CARD_WORDS = ("提醒卡片", "alert card")
QUOTED = re.compile(r"[“\"「](.+?)[”\"」]")


def test_one_name_per_button_meaning() -> None:
    catalog = Catalog.load()
    student = {"zh-CN": "学生", "en": "student"}
    for language in catalog.languages:
        labels = {catalog.t(language, f"alerts.button.{b}") for b in CARD_BUTTONS}
        message = catalog.t(language, "alerts.button.msg")
        # "Message student" on a card, "Message 张小明" where several students are listed.
        assert catalog.t(language, "contact.button.write", name=student[language]) == message
        for role in ("teacher", "doctor"):
            help_text = catalog.t(language, f"help.{role}")
            assert all(label in help_text for label in labels), (language, role)
        texts = [(key, catalog.raw(language, key)) for key in catalog.keys(language)]
        about_cards = [(k, text) for k, text in texts if any(w in text for w in CARD_WORDS)]
        assert about_cards
        on_cards = labels | {catalog.t(language, f"alerts.button.{b}") for b in CRISIS_BUTTONS}
        for key, text in about_cards:
            for quoted in QUOTED.findall(text):
                assert quoted in on_cards, (language, key, quoted)
        # /talk is called what the menu calls it, wherever a student is told about it.
        talk = catalog.t(language, "menu.talk")
        for key in ("help.student", "text.hint_student"):
            line = next(x for x in catalog.t(language, key).splitlines() if x.startswith("/talk"))
            assert line.removeprefix("/talk ").lower() == talk.lower(), (language, key)
