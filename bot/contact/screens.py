"""What /talk, /contacts and an opened conversation show: texts and ct: buttons.

Callback data: ct:teacher, ct:counselor (a student opens a conversation), ct:end (either side
ends it), ct:msg:<student id> (staff write to a student).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.contact.relay import SESSION_MINUTES, TARGETS
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.storage.records import Person

AREA = "ct"
# Buttons under /contacts; a longer list is a wall of buttons, and /msg reaches the rest.
WRITE_BUTTONS = 20


def write_button(catalog: Catalog, language: str, student_id: int, name: str) -> Button:
    """The button that lets staff write to a student: ct:msg:<student id>."""
    label = catalog.t(language, "contact.button.write", name=name)
    return Button(label, callback(AREA, "msg", student_id))


def _end(catalog: Catalog, language: str) -> Keyboard:
    return Keyboard.of([Button(catalog.t(language, "contact.button.end"), callback(AREA, "end"))])


def talk_offer(catalog: Catalog, language: str) -> Screen:
    """/talk: the people a student can write to, side by side."""
    buttons = [
        Button(catalog.t(language, f"contact.button.{target}"), callback(AREA, target))
        for target in TARGETS
    ]
    return Screen(catalog.t(language, "contact.offer"), Keyboard.of(buttons))


def student_prompt(
    catalog: Catalog, language: str, target: str, peers: Sequence[Person]
) -> Screen:
    """A student's conversation is open: whom their next messages reach, and how to end it."""
    names = catalog.t(language, "contact.list_separator").join(p.name for p in peers)
    text = catalog.t(language, f"contact.prompt.{target}", names=names)
    return Screen(text, _end(catalog, language))


def staff_prompt(catalog: Catalog, language: str, name: str) -> Screen:
    """A staff member's conversation is open: their next messages go to the student."""
    text = catalog.t(language, "contact.prompt.staff", name=name, minutes=SESSION_MINUTES)
    return Screen(text, _end(catalog, language))


def not_contacted(catalog: Catalog, language: str, students: Sequence[Person]) -> Screen:
    """/contacts: the students nobody has contacted today, with a write button for each."""
    lines = [catalog.t(language, "contact.not_contacted", count=len(students))]
    lines += [f"· {s.number} {s.name}" for s in students]
    lines.append(catalog.t(language, "contact.called.hint"))
    buttons = (write_button(catalog, language, s.id, s.name) for s in students[:WRITE_BUTTONS])
    return Screen("\n".join(lines), Keyboard.column(buttons))
