"""Who may send a notice to whom: pure rules over a viewer's role and scope."""

from __future__ import annotations

import pytest

from bot.core.access import Viewer
from bot.notices.audience import (
    Audience,
    AudienceError,
    may_compose,
    may_manage,
    may_target,
    notice_school,
    offered_kinds,
    scope_school,
)
from bot.storage.records import Person

SCHOOL, OTHER_SCHOOL = 1, 2
OWN_CLASS, OTHER_CLASS = 10, 11


def person(pid: int, role: str, school_id: int | None) -> Person:
    return Person(pid, role, f"N{pid}", "name", school_id, None, "zh-CN", True, pid, pid, None)


def teacher(classes: frozenset[int] = frozenset({OWN_CLASS})) -> Viewer:
    return Viewer(person(1, "teacher", SCHOOL), class_ids=classes)


def school_admin() -> Viewer:
    return Viewer(person(2, "admin", SCHOOL), school_ids=frozenset({SCHOOL}))


def bureau() -> Viewer:
    return Viewer(person(3, "admin", None))


EVERY = [
    Audience("all"),
    Audience("students"),
    Audience("isolated"),
    Audience("staff"),
    Audience("school", school_id=SCHOOL),
    Audience("class", class_id=OWN_CLASS),
    Audience("role", role="doctor"),
]


@pytest.mark.parametrize("audience", EVERY)
def test_spec_and_code_round_trip(audience: Audience) -> None:
    assert Audience.parse(audience.spec) == audience
    assert Audience.from_code(audience.code) == audience
    assert ":" not in audience.code


@pytest.mark.parametrize("spec", ["", "everyone", "class:", "class:x", "role:student", "all:1"])
def test_unknown_specs_are_refused(spec: str) -> None:
    with pytest.raises(AudienceError):
        Audience.parse(spec)


@pytest.mark.parametrize("code", ["", "x1", "c", "s-1", "rstudent", "c²", "s99999999999999999999"])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(AudienceError):
        Audience.from_code(code)


def test_teacher_targets_only_own_classes() -> None:
    viewer = teacher()
    assert may_compose(viewer)
    assert offered_kinds(viewer) == ("class", "classes", "isolated")
    assert may_target(viewer, Audience("class", class_id=OWN_CLASS), SCHOOL)
    assert not may_target(viewer, Audience("class", class_id=OTHER_CLASS), SCHOOL)
    for audience in EVERY:
        if audience.kind != "class":
            assert not may_target(viewer, audience, None), audience
    # Their classes together, or the isolated students of them; never another class.
    for kind in ("classes", "isolated"):
        mine = Audience(kind, class_ids=(OWN_CLASS,))
        assert may_target(viewer, mine)
        assert Audience.from_code(mine.code) == mine == Audience.parse(mine.spec)
        assert not may_target(viewer, Audience(kind, class_ids=(OWN_CLASS, OTHER_CLASS)))


def test_teacher_without_classes_may_not_compose() -> None:
    viewer = teacher(frozenset())
    assert not may_compose(viewer)
    assert not may_target(viewer, Audience("class", class_id=OWN_CLASS), SCHOOL)


@pytest.mark.parametrize("role", ["student", "doctor", "counselor"])
def test_other_roles_send_nothing(role: str) -> None:
    viewer = Viewer(person(4, role, SCHOOL), school_ids=frozenset({SCHOOL}))
    assert not may_compose(viewer)
    assert offered_kinds(viewer) == ()
    assert not any(may_target(viewer, a, SCHOOL) for a in EVERY)


def test_school_admin_stays_in_own_school() -> None:
    viewer = school_admin()
    assert scope_school(viewer) == SCHOOL
    assert "school" not in offered_kinds(viewer)
    for kind in ("all", "students", "isolated", "staff"):
        assert may_target(viewer, Audience(kind))
    assert may_target(viewer, Audience("role", role="teacher"))
    assert may_target(viewer, Audience("class", class_id=OTHER_CLASS), SCHOOL)
    assert not may_target(viewer, Audience("class", class_id=OTHER_CLASS), OTHER_SCHOOL)
    assert not may_target(viewer, Audience("class", class_id=99), None)
    assert not may_target(viewer, Audience("school", school_id=OTHER_SCHOOL))


def test_bureau_targets_anything_that_exists() -> None:
    viewer = bureau()
    assert scope_school(viewer) is None
    for audience in EVERY:
        assert may_target(viewer, audience, SCHOOL)
    assert not may_target(viewer, Audience("class", class_id=99), None)


def test_notice_school_is_the_one_school_of_the_audience() -> None:
    assert notice_school(bureau(), Audience("all"), None) is None
    assert notice_school(bureau(), Audience("school", school_id=OTHER_SCHOOL), None) == 2
    assert notice_school(bureau(), Audience("class", class_id=OWN_CLASS), SCHOOL) == SCHOOL
    assert notice_school(school_admin(), Audience("staff"), None) == SCHOOL
    assert notice_school(None, Audience("students"), None) is None


def test_who_manages_a_notice() -> None:
    assert may_manage(teacher(), author_id=1, school_id=SCHOOL)
    assert not may_manage(teacher(), author_id=2, school_id=SCHOOL)
    assert may_manage(school_admin(), author_id=1, school_id=SCHOOL)
    assert not may_manage(school_admin(), author_id=1, school_id=OTHER_SCHOOL)
    assert not may_manage(school_admin(), author_id=None, school_id=None)
    assert may_manage(bureau(), author_id=None, school_id=None)
