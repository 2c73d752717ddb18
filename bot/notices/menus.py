"""The audience menus of the composer: only audiences the viewer may target, paged."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.core.access import STAFF_ROLES, Viewer
from bot.core.ids import is_id
from bot.core.services import Services
from bot.notices import store
from bot.notices.audience import SCOPE_KINDS, Audience, offered_kinds

log = logging.getLogger(__name__)

PAGE_SIZE = 8


@dataclass(frozen=True)
class Option:
    label: str
    data: str  # the callback data after nt:<draft>:


@dataclass(frozen=True)
class Options:
    rows: list[list[Option]] = field(default_factory=list)


def _paged(
    items: list[Option], page: int, menu: str, t_more: str, t_prev: str
) -> list[list[Option]]:
    start = page * PAGE_SIZE
    chunk = items[start : start + PAGE_SIZE]
    rows = [chunk[i : i + 2] for i in range(0, len(chunk), 2)]
    nav = []
    if page > 0:
        nav.append(Option(t_prev, f"m:{menu}.{page - 1}"))
    if start + PAGE_SIZE < len(items):
        nav.append(Option(t_more, f"m:{menu}.{page + 1}"))
    if nav:
        rows.append(nav)
    return rows


async def audience_options(
    svc: Services, viewer: Viewer, language: str, menu: str = "top"
) -> Options:
    """The audience buttons of one menu: top, roles, schools.<page>, cschools.<page> (a school
    whose classes to list) or classes.<school>.<page>. Only audiences the viewer may target."""
    t = svc.catalog.t
    more, prev = t(language, "notices.button.more"), t(language, "notices.button.prev")
    kinds = offered_kinds(viewer)
    name, *args = menu.split(".")
    numbers = [int(a) for a in args if is_id(a)]
    rows: list[list[Option]] = []
    if name == "top" and viewer.role == "teacher":
        mine = await store.classes(svc.db, ids=sorted(viewer.class_ids))
        rows = [[Option(n, f"a:c{i}")] for i, n in mine]
        ids = [i for i, _ in mine]
        if len(ids) > 1:
            every = Audience("classes", class_ids=tuple(ids))
            rows.append(
                [Option(t(language, "notices.audience.all_my_classes"), f"a:{every.code}")]
            )
        if ids:
            isolated = Audience("isolated", class_ids=tuple(ids))
            label = t(language, "notices.audience.isolated_mine")
            rows.append([Option(label, f"a:{isolated.code}")])
    elif name == "top":
        scope = [Option(t(language, f"notices.audience.{k}"), f"a:{k}") for k in SCOPE_KINDS]
        rows = [scope[:2], scope[2:]]
        more_rows = [Option(t(language, "notices.button.by_role"), "m:roles")]
        if "school" in kinds and viewer.is_bureau_admin:
            more_rows.append(Option(t(language, "notices.button.one_school"), "m:schools.0"))
        if "class" in kinds:
            target = (
                "m:cschools.0"
                if viewer.is_bureau_admin
                else f"m:classes.{viewer.person.school_id}.0"
            )
            more_rows.append(Option(t(language, "notices.button.one_class"), target))
        rows.append(more_rows)
    elif name == "roles" and "role" in kinds:
        roles = [Option(t(language, f"notices.audience.role_{r}"), f"a:r{r}") for r in STAFF_ROLES]
        rows = [roles[:2], roles[2:]]
    elif name in ("schools", "cschools") and viewer.is_bureau_admin and len(numbers) == 1:
        found = await store.schools(svc.db)
        items = [
            Option(n, f"a:s{i}" if name == "schools" else f"m:classes.{i}.0") for i, n in found
        ]
        rows = _paged(items, numbers[0], name, more, prev)
    elif name == "classes" and "class" in kinds and len(numbers) == 2:
        school_id, page = numbers
        if viewer.is_bureau_admin or school_id == viewer.person.school_id:
            found = await store.classes(svc.db, school_id=school_id)
            rows = _paged(
                [Option(n, f"a:c{i}") for i, n in found], page, f"classes.{school_id}", more, prev
            )
    if name != "top" and viewer.role != "teacher":
        rows.append([Option(t(language, "notices.button.back"), "m:top")])
    return Options(rows)
