"""Who may see and do what: pure decisions over a viewer's role and scope."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.records import Person

STAFF_ROLES = ("teacher", "doctor", "counselor", "admin")


@dataclass(frozen=True)
class Viewer:
    """A bound person with the classes or schools their role covers."""

    person: Person
    class_ids: frozenset[int] = frozenset()
    school_ids: frozenset[int] = frozenset()

    @property
    def role(self) -> str:
        return self.person.role

    @property
    def is_staff(self) -> bool:
        return self.person.role in STAFF_ROLES

    @property
    def is_bureau_admin(self) -> bool:
        return self.person.role == "admin" and self.person.school_id is None

    @property
    def is_liaison(self) -> bool:
        """A bureau officer assigned to some schools (包联): they cover those schools only."""
        return self.is_bureau_admin and bool(self.school_ids)

    @property
    def is_school_admin(self) -> bool:
        return self.person.role == "admin" and self.person.school_id is not None


def covers_student(viewer: Viewer, student: Person) -> bool:
    """Whether the student's (or isolated staff member's) health data lies in the viewer's
    scope."""
    if not student.is_student:
        return covers_staff(viewer, student)
    role = viewer.role
    if role == "student":
        return viewer.person.id == student.id
    if role == "teacher":
        return student.class_id in viewer.class_ids
    if role == "doctor":
        return student.school_id == viewer.person.school_id
    if role == "counselor":
        return student.school_id in viewer.school_ids
    if role == "admin":
        return _admin_covers(viewer, student)
    return False


def _admin_covers(viewer: Viewer, person: Person) -> bool:
    if viewer.is_liaison:
        return person.school_id in viewer.school_ids
    return viewer.is_bureau_admin or person.school_id == viewer.person.school_id


def covers_staff(viewer: Viewer, staff: Person) -> bool:
    """A staff member's health data is for the school doctor and the admins over them, never
    for colleagues without such a role, nor for themselves through a staff view."""
    if staff.role not in STAFF_ROLES or viewer.person.id == staff.id:
        return False
    if viewer.role == "doctor":
        return staff.school_id is not None and staff.school_id == viewer.person.school_id
    if viewer.role == "admin":
        return _admin_covers(viewer, staff)
    return False


def may_manage_isolation(viewer: Viewer, student: Person) -> bool:
    """Teachers for their own classes, admins within their scope (staff included)."""
    if viewer.role == "teacher":
        return student.class_id in viewer.class_ids
    if viewer.role == "admin":
        return covers_student(viewer, student)
    return False


def may_set_answerer(viewer: Viewer, student: Person) -> bool:
    """Who answers a child's check-in is decided by whoever manages their isolation."""
    return may_manage_isolation(viewer, student)


def may_see_screen_scores(viewer: Viewer) -> bool:
    """Screen scores are for counselors; teachers see only a wellbeing flag."""
    return viewer.role == "counselor"


def reads_notes(viewer: Viewer) -> bool:
    """Check-in notes are addressed to the class teacher; counselors may read them too."""
    return viewer.role in ("teacher", "counselor")


def may_see_note_text(viewer: Viewer, student: Person) -> bool:
    """Whether the viewer reads this student's notes: a reader of notes who covers them."""
    return reads_notes(viewer) and covers_student(viewer, student)
