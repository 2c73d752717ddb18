"""Who a notice may go to: audiences, their compact form, and who may target which (pure)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.core.access import STAFF_ROLES, Viewer
from bot.core.ids import is_id

# Audiences that take no argument, in the order the composer offers them.
SCOPE_KINDS = ("all", "students", "isolated", "staff")
KINDS = (*SCOPE_KINDS, "school", "class", "classes", "role")
# Audiences of students whose guardians a notice may go to instead (家长回执).
GUARDIAN_KINDS = ("all", "students", "isolated", "school", "class", "classes")
_GUARDIANS_SPEC = "guardians/"


class AudienceError(ValueError):
    """A spec that names no audience."""


@dataclass(frozen=True)
class Audience:
    """everyone, all students, isolated students or all staff (within the author's scope);
    one school; one class (its students); several classes (a teacher's); or the staff of one
    role (within the scope). Isolated students may be limited to some classes (class_ids).
    With `guardians`, the notice goes to the guardians of those students instead."""

    kind: str
    school_id: int | None = None
    class_id: int | None = None
    role: str | None = None
    class_ids: tuple[int, ...] = ()
    guardians: bool = False

    @property
    def students(self) -> Audience:
        """The audience without the guardians: the students whose guardians it means."""
        return dataclasses.replace(self, guardians=False)

    @property
    def spec(self) -> str:
        """The stored form: all, students, isolated, staff, school:<id>, class:<id>, role:<r>;
        guardians/<one of those> for the students' guardians."""
        if self.guardians:
            return _GUARDIANS_SPEC + self.students.spec
        if self.kind == "school":
            return f"school:{self.school_id}"
        if self.kind == "class":
            return f"class:{self.class_id}"
        if self.kind == "role":
            return f"role:{self.role}"
        if self.class_ids:
            return f"{self.kind}:{','.join(str(i) for i in self.class_ids)}"
        return self.kind

    @property
    def code(self) -> str:
        """The form in callback data: no colon, a few bytes (s12, c34, rdoctor; gc34 for the
        guardians of class 34)."""
        if self.guardians:
            return "g" + self.students.code
        if self.kind == "school":
            return f"s{self.school_id}"
        if self.kind == "class":
            return f"c{self.class_id}"
        if self.kind == "role":
            return f"r{self.role}"
        if self.class_ids:
            letter = "k" if self.kind == "classes" else "i"
            return letter + ".".join(str(i) for i in self.class_ids)
        return self.kind

    @classmethod
    def parse(cls, spec: str) -> Audience:
        if spec.startswith(_GUARDIANS_SPEC):
            return cls.parse(spec.removeprefix(_GUARDIANS_SPEC)).of_guardians(spec)
        kind, _, arg = spec.partition(":")
        return cls._make(kind, arg, spec)

    def of_guardians(self, shown: str) -> Audience:
        """The guardians of this audience's students; an error for one that has none."""
        if self.guardians or self.kind not in GUARDIAN_KINDS:
            raise AudienceError(f"unknown audience {shown!r}")
        return dataclasses.replace(self, guardians=True)

    @classmethod
    def from_code(cls, code: str) -> Audience:
        if code.startswith("g"):
            return cls.from_code(code[1:]).of_guardians(code)
        if code in SCOPE_KINDS:
            return cls(code)
        kinds = {"s": "school", "c": "class", "r": "role", "k": "classes", "i": "isolated"}
        if not code or code[0] not in kinds:
            raise AudienceError(f"unknown audience code {code!r}")
        return cls._make(kinds[code[0]], code[1:].replace(".", ","), code)

    @classmethod
    def _make(cls, kind: str, arg: str, shown: str) -> Audience:
        if kind in SCOPE_KINDS and not arg:
            return cls(kind)
        if kind in ("school", "class") and is_id(arg):
            number = int(arg)
            return cls(kind, school_id=number) if kind == "school" else cls(kind, class_id=number)
        if kind == "role" and arg in STAFF_ROLES:
            return cls(kind, role=arg)
        if kind in ("classes", "isolated") and arg:
            ids = arg.split(",")
            if all(is_id(i) for i in ids) and len(set(ids)) == len(ids):
                return cls(kind, class_ids=tuple(sorted(int(i) for i in ids)))
        raise AudienceError(f"unknown audience {shown!r}")


def may_compose(viewer: Viewer) -> bool:
    """Admins write to their scope; class teachers to their own classes, if they have any."""
    if viewer.role == "admin":
        return True
    return viewer.role == "teacher" and bool(viewer.class_ids)


def offered_kinds(viewer: Viewer) -> tuple[str, ...]:
    """The audience kinds the composer shows this viewer, in order."""
    if viewer.role == "teacher":
        return ("class", "classes", "isolated") if viewer.class_ids else ()
    if viewer.is_bureau_admin:
        return (*SCOPE_KINDS, "school", "class", "role")
    if viewer.is_school_admin:
        return (*SCOPE_KINDS, "class", "role")
    return ()


def scope_school(viewer: Viewer) -> int | None:
    """The school that audiences without a place of their own are confined to; None for the
    bureau, whose scope is every school."""
    return None if viewer.is_bureau_admin else viewer.person.school_id


def may_target(viewer: Viewer, audience: Audience, class_school_id: int | None = None) -> bool:
    """Whether the viewer may send to the audience; class_school_id is the school of the class a
    class audience names (None if there is no such class). The guardians of students are
    theirs to write to whoever may write to the students."""
    if audience.guardians:
        audience = audience.students
    if audience.kind not in offered_kinds(viewer):
        return False
    if viewer.role == "teacher":
        if audience.kind == "class":
            return audience.class_id in viewer.class_ids
        # Several of their classes, or the isolated students of them: never the school's.
        return bool(audience.class_ids) and set(audience.class_ids) <= viewer.class_ids
    if audience.kind == "classes":
        return False
    if viewer.is_bureau_admin:
        return audience.kind != "class" or class_school_id is not None
    own = viewer.person.school_id
    if audience.kind == "class":
        return class_school_id is not None and class_school_id == own
    return True


def notice_school(
    viewer: Viewer | None, audience: Audience, class_school_id: int | None
) -> int | None:
    """The one school a notice's audience lies in (None when it spans schools)."""
    if audience.kind == "school":
        return audience.school_id
    if audience.kind == "class":
        return class_school_id
    return None if viewer is None else scope_school(viewer)


def may_manage(viewer: Viewer, author_id: int | None, school_id: int | None) -> bool:
    """Authors manage their notices, school admins every notice of their school, bureau admins
    all (including those queued from the command line)."""
    if viewer.is_bureau_admin:
        return True
    if author_id is not None and author_id == viewer.person.id:
        return True
    return (
        viewer.is_school_admin and school_id is not None and school_id == viewer.person.school_id
    )
