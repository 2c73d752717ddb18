"""The command menu each role sees (setMyCommands scoped to the person's chat)."""

from __future__ import annotations

# Commands per role, in menu order; descriptions come from the catalog key menu.<command>.
MENUS: dict[str, tuple[str, ...]] = {
    "student": ("checkin", "talk", "help", "language"),
    "guardian": ("checkin", "child", "help", "language"),
    "teacher": (
        "today",
        "isolate",
        "release",
        "answerer",
        "contacts",
        "msg",
        "called",
        "student",
        "ledger",
        "notice",
        "notices",
        "missed",
        "help",
        "language",
    ),
    "doctor": ("today", "readiness", "student", "ledger", "missed", "help", "language"),
    "counselor": ("today", "student", "msg", "ledger", "missed", "help", "language"),
    "admin": (
        "today",
        "isolate",
        "release",
        "answerer",
        "student",
        "ledger",
        "notice",
        "notices",
        "stats",
        "audit",
        "return",
        "readiness",
        "missed",
        "help",
        "language",
    ),
    "unbound": ("start", "help", "language"),
}


def menu_for(role: str) -> tuple[str, ...]:
    return MENUS.get(role, MENUS["unbound"])
