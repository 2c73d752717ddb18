"""The audience menus of the composer: only audiences the viewer may target, paged."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.access import STAFF_ROLES, Viewer
from bot.core.ids import is_id
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.notices.audience import SCOPE_KINDS, Audience, offered_kinds
from bot.notices.render import AREA, button
from bot.notices.store import places as place_store

PAGE_SIZE = 8


def _paged(
    items: list[Button], page: int, nav: Callable[[str, int], Button]
) -> list[list[Button]]:
    """One page of items, two a row, then the buttons to the pages before and after."""
    start = page * PAGE_SIZE
    chunk = items[start : start + PAGE_SIZE]
    rows = [chunk[i : i + 2] for i in range(0, len(chunk), 2)]
    turns = []
    if page > 0:
        turns.append(nav("prev", page - 1))
    if start + PAGE_SIZE < len(items):
        turns.append(nav("more", page + 1))
    if turns:
        rows.append(turns)
    return rows


async def audience_keyboard(
    svc: Services,
    viewer: Viewer,
    language: str,
    draft_id: int,
    needs_confirmation: bool,
    menu: str = "top",
) -> Keyboard:
    """The audience buttons of one menu (top, roles, schools.<page>, cschools.<page>: a school
    whose classes to list, or classes.<school>.<page>), only audiences the viewer may target,
    then the confirmation toggle and Cancel."""
    t = svc.catalog.t

    def audience(label: str, code: str) -> Button:
        return Button(label, callback(AREA, draft_id, "a", code))

    def submenu(label: str, target: str) -> Button:
        return Button(label, callback(AREA, draft_id, "m", target))

    def pages(menu: str) -> Callable[[str, int], Button]:
        return lambda verb, page: submenu(t(language, f"notices.button.{verb}"), f"{menu}.{page}")

    kinds = offered_kinds(viewer)
    name, *args = menu.split(".")
    numbers = [int(a) for a in args if is_id(a)]
    rows: list[list[Button]] = []
    if name == "top" and viewer.role == "teacher":
        mine = await place_store.classes(svc.db, ids=sorted(viewer.class_ids))
        parents = t(language, "notices.audience.guardians_button")
        rows = [[audience(n, f"c{i}"), audience(f"{n} {parents}", f"gc{i}")] for i, n in mine]
        ids = [i for i, _ in mine]
        if len(ids) > 1:
            every = Audience("classes", class_ids=tuple(ids))
            rows.append([audience(t(language, "notices.audience.all_my_classes"), every.code)])
        if ids:
            isolated = Audience("isolated", class_ids=tuple(ids))
            rows.append([audience(t(language, "notices.audience.isolated_mine"), isolated.code)])
    elif name == "top":
        scope = [audience(t(language, f"notices.audience.{k}"), k) for k in SCOPE_KINDS]
        rows = [scope[:2], scope[2:]]
        rows.append(
            [
                audience(t(language, f"notices.audience.guardians_{k}"), f"g{k}")
                for k in ("students", "isolated")
            ]
        )
        more_rows = [submenu(t(language, "notices.button.by_role"), "roles")]
        if "school" in kinds and viewer.is_bureau_admin:
            more_rows.append(submenu(t(language, "notices.button.one_school"), "schools.0"))
        if "class" in kinds:
            target = (
                "cschools.0" if viewer.is_bureau_admin else f"classes.{viewer.person.school_id}.0"
            )
            more_rows.append(submenu(t(language, "notices.button.one_class"), target))
        rows.append(more_rows)
    elif name == "roles" and "role" in kinds:
        roles = [audience(t(language, f"notices.audience.role_{r}"), f"r{r}") for r in STAFF_ROLES]
        rows = [roles[:2], roles[2:]]
    elif name in ("schools", "cschools") and viewer.is_bureau_admin and len(numbers) == 1:
        found = await place_store.schools(svc.db)
        items = [
            audience(n, f"s{i}") if name == "schools" else submenu(n, f"classes.{i}.0")
            for i, n in found
        ]
        rows = _paged(items, numbers[0], pages(name))
    elif name == "classes" and "class" in kinds and len(numbers) == 2:
        school_id, page = numbers
        if viewer.is_bureau_admin or school_id == viewer.person.school_id:
            found = await place_store.classes(svc.db, school_id=school_id)
            items = [audience(n, f"c{i}") for i, n in found]
            rows = _paged(items, page, pages(f"classes.{school_id}"))
    if name != "top" and viewer.role != "teacher":
        rows.append([submenu(t(language, "notices.button.back"), "top")])
    toggle = "conf_on" if needs_confirmation else "conf_off"
    rows.append(
        [Button(t(language, f"notices.button.{toggle}"), callback(AREA, draft_id, "conf"))]
    )
    rows.append([button(svc.catalog, language, "cancel", draft_id)])
    return Keyboard.of(*rows)


async def audience_screen(
    svc: Services, viewer: Viewer, language: str, draft_id: int, needs_confirmation: bool
) -> Screen:
    """The question who gets the notice, with the top audience menu."""
    keyboard = await audience_keyboard(svc, viewer, language, draft_id, needs_confirmation)
    return Screen(svc.catalog.t(language, "notices.choose_audience"), keyboard)
