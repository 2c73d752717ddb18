"""The house rules a reviewer would otherwise have to check: SQL lives only in store modules,
and inline keyboards and their callback data are made only by bot.core.keyboard."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The statements as this code base writes them: upper-case keywords, one statement per literal.
SQL = re.compile(
    r"^\s*(SELECT\b.*\bFROM\b|INSERT( OR \w+)? INTO\b|UPDATE \w+ SET\b|DELETE FROM\b"
    r"|(CREATE|DROP|ALTER) (TABLE|INDEX|VIEW|TRIGGER)\b|WITH \w+ AS \()",
    re.S,
)
# The codec itself, and the one converter between a Keyboard and python-telegram-bot's markup.
KEYBOARD_HOMES = {("bot", "core", "keyboard.py"), ("handlers", "common.py")}
HAND_BUILT = {"InlineKeyboardButton", "InlineKeyboardMarkup"}
# The outbox is the delivery package's store, named for what every capability calls it.
NAMED_STORES = {("bot", "delivery", "outbox.py")}


def _is_store(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return (
        parts[:2] == ("bot", "storage")
        or "store" in parts
        or path.stem == "store"
        or parts in NAMED_STORES
    )


def _sql_literals(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value)
    ]


def test_sql_only_in_store_modules() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("bot", "handlers", "jobs")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not _is_store(path)
        for line in _sql_literals(path)
    ]
    assert found == []


def test_the_check_sees_sql(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text(
        'Q = "SELECT id FROM people"\nN = "Select a student from the list"\n'
        'U = (\n    "UPDATE outbox SET status = ?"\n)\nW = "with the planned end date"\n'
    )
    assert _sql_literals(sample) == [1, 4]


def test_the_check_sees_the_stores_sql() -> None:
    for store in ("bot/alerts/store/alerts.py", "bot/delivery/outbox.py", "bot/storage/people.py"):
        assert len(_sql_literals(ROOT / store)) > 5, store


def _hand_built_keyboards(path: Path, *, splits: bool = True) -> list[int]:
    """Lines that build a keyboard or callback data by hand: PTB's keyboard classes, a
    callback_data= argument, an "inline_keyboard" dict key, or (with `splits`) a split(":")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        named = (isinstance(node, ast.Name) and node.id in HAND_BUILT) or (
            isinstance(node, ast.alias) and node.name in HAND_BUILT
        )
        keyword = isinstance(node, ast.keyword) and node.arg == "callback_data"
        key = isinstance(node, ast.Constant) and node.value == "inline_keyboard"
        split = (
            splits
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "split"
            and [a.value for a in node.args if isinstance(a, ast.Constant)] == [":"]
        )
        if named or keyword or key or split:
            found.append(getattr(node, "lineno", 0))
    return found


def test_keyboards_and_callback_data_come_from_the_codec() -> None:
    # In bot/ a split(":") reads alert signal keys (fever:ci:<id>…), which are not callback
    # data; handlers and jobs have only callback data to split.
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("bot", "handlers", "jobs")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.relative_to(ROOT).parts not in KEYBOARD_HOMES
        for line in _hand_built_keyboards(path, splits=folder != "bot")
    ]
    assert found == []


def test_the_check_sees_a_hand_built_keyboard(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text(
        "from telegram import InlineKeyboardButton\n"
        'b = InlineKeyboardButton("x", callback_data="sv:1")\n'
        'm = {"inline_keyboard": []}\n'
        'parts = data.split(":")\n'
        "words = text.split()\n"
    )
    assert sorted(set(_hand_built_keyboards(sample))) == [1, 2, 3, 4]
