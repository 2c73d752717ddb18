"""The house rules a reviewer would otherwise have to check: SQL lives only in store modules."""

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
    for store in ("bot/alerts/store.py", "bot/delivery/outbox.py", "bot/storage/people.py"):
        assert len(_sql_literals(ROOT / store)) > 5, store
