"""Readiness: the school doctor's list of returning people (ready / flagged / not answered /
cleared / held) with the doctor's decisions, and the bureau's and a liaison's table school by
school."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from bot.core.access import Viewer
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.returns import store
from bot.returns.store import Returning

# rd:<return id>:<person id>:c|h and rd:<return id>:all: the doctor's clear and hold.
DECISION_AREA = "rd"

# Who is still to be decided on: the school is not ready while anyone is.
UNDECIDED = ("waiting", "ready", "flagged")
# Names listed per status, and schools in the bureau's view, in one message; the rest are
# counted. A school of 1,200 would otherwise overrun Telegram's 4,096 characters.
MAX_LISTED = 15
MAX_SCHOOLS = 40
# Below Telegram's 4,096 characters, with room for the "more" line.
MAX_TEXT = 3900


def school_scope(viewer: Viewer) -> frozenset[int] | None:
    """The schools whose returning people the viewer decides on (doctors) or watches."""
    if viewer.role in ("doctor", "admin") and viewer.person.school_id is not None:
        return frozenset({viewer.person.school_id})
    if viewer.is_liaison:
        return viewer.school_ids
    if viewer.is_bureau_admin:
        return None
    return frozenset()


async def readiness(svc: Services, viewer: Viewer, language: str) -> Screen:
    """A school's readiness list (ready / flagged / not answered / cleared / held) with the
    doctor's buttons, or the bureau's and a liaison's table school by school."""
    scope = school_scope(viewer)
    found = await store.returning(svc.db, school_ids=scope)
    now = svc.now()
    async with svc.db.transaction() as tx:
        await store.audit(
            tx,
            at=now,
            actor_id=viewer.person.id,
            action="return.readiness",
            person_id=viewer.person.id,
            scope="all" if scope is None else "school:" + ",".join(map(str, sorted(scope))),
        )
    if not found:
        return Screen(svc.catalog.t(language, "returns.none"))
    if viewer.person.school_id is None:
        return Screen(_by_school(svc, language, found))
    return _school_list(svc, viewer, language, found)


def _by_school(svc: Services, language: str, found: list[Returning]) -> str:
    t = svc.catalog.t
    by: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in found:
        by[(r.return_date, r.school_name)][r.status] += 1
    lines = [t(language, "returns.bureau.title")]
    # Schools with someone undecided first: those are the ones to chase.
    order = sorted(by.items(), key=lambda i: (-sum(i[1][s] for s in UNDECIDED), i[0]))
    for (day, school), c in order[:MAX_SCHOOLS]:
        lines.append(
            t(
                language,
                "returns.bureau.line",
                date=svc.catalog.day(language, date.fromisoformat(day)),
                school=school,
                total=sum(c.values()),
                ready=c["ready"] + c["cleared"],
                cleared=c["cleared"],
                flagged=c["flagged"],
                held=c["held"],
                waiting=c["waiting"],
            )
        )
    if len(order) > MAX_SCHOOLS:
        lines.append(t(language, "returns.more_schools", count=len(order) - MAX_SCHOOLS))
    return _fit("\n".join(lines))


def _fit(text: str) -> str:
    """The text cut to fit one message, at a line break."""
    if len(text) <= MAX_TEXT:
        return text
    return text[: text.rfind("\n", 0, MAX_TEXT)] + "\n……"


def _school_list(svc: Services, viewer: Viewer, language: str, found: list[Returning]) -> Screen:
    t = svc.catalog.t
    lines: list[str] = []
    buttons: list[list[Button]] = []
    by_return: dict[int, list[Returning]] = defaultdict(list)
    for r in found:
        by_return[r.return_id].append(r)
    doctor = viewer.role == "doctor"
    for return_id, group in by_return.items():
        day = svc.catalog.day(language, date.fromisoformat(group[0].return_date))
        counts = Counter(r.status for r in group)
        lines.append(
            t(
                language,
                "returns.list.title",
                date=day,
                total=len(group),
                ready=counts["ready"],
                flagged=counts["flagged"],
                waiting=counts["waiting"],
                cleared=counts["cleared"],
                held=counts["held"],
            )
        )
        for status in ("flagged", "ready", "waiting", "held", "cleared"):
            members = [r for r in group if r.status == status]
            if not members:
                continue
            lines.append(t(language, f"returns.status.{status}", count=len(members)))
            for r in members[:MAX_LISTED]:
                why = ""
                if r.status == "flagged" and r.flag:
                    why = " · " + t(language, f"returns.flag.{r.flag}")
                if r.status == "held" and r.hold_reason:
                    why = " · " + r.hold_reason
                lines.append(f"  · {r.name}（{r.number}）{r.class_name}{why}")
            if len(members) > MAX_LISTED:
                lines.append(t(language, "returns.more", count=len(members) - MAX_LISTED))
        lines.append("")
        if not doctor:
            continue
        for r in [m for m in group if m.status == "flagged"][:MAX_LISTED]:
            buttons.append(
                [
                    Button(
                        t(language, "returns.button.clear", name=r.name),
                        callback(DECISION_AREA, return_id, r.person_id, "c"),
                    ),
                    Button(
                        t(language, "returns.button.hold", name=r.name),
                        callback(DECISION_AREA, return_id, r.person_id, "h"),
                    ),
                ]
            )
        if counts["ready"]:
            buttons.append(
                [
                    Button(
                        t(language, "returns.button.clear_all", count=counts["ready"]),
                        callback(DECISION_AREA, return_id, "all"),
                    )
                ]
            )
    return Screen(_fit("\n".join(lines).strip()), Keyboard.of(*buttons))


async def decide(
    svc: Services, viewer: Viewer, language: str, return_id: int, target: str, verb: str
) -> str | None:
    """The doctor clears one person, holds one, or clears everyone ready; the toast, or None
    when the button is not the viewer's to press."""
    if viewer.role != "doctor" or viewer.person.school_id is None:
        return None
    group = [
        r
        for r in await store.returning(svc.db, return_id=return_id)
        if r.school_id == viewer.person.school_id
    ]
    if not group:
        return None
    if target == "all":
        chosen = [r for r in group if r.status == "ready"]
        clear = True
    else:
        chosen = [r for r in group if str(r.person_id) == target]
        clear = verb == "c"
        if not chosen or verb not in ("c", "h"):
            return None
    t = svc.catalog.t
    now = svc.now()
    async with svc.db.transaction() as tx:
        for r in chosen:
            reason = None
            if not clear:
                reason = t(language, f"returns.flag.{r.flag}") if r.flag else None
                reason = reason or t(language, "returns.hold_default")
            changed = await store.decide(
                tx,
                return_id,
                [r.person_id],
                clear=clear,
                by=viewer.person.id,
                reason=reason,
                now=now,
            )
            if changed:
                await store.audit(
                    tx,
                    at=now,
                    actor_id=viewer.person.id,
                    action="return.clear" if clear else "return.hold",
                    person_id=r.person_id,
                    scope=f"return:{return_id}",
                )
    key = "returns.toast.cleared" if clear else "returns.toast.held"
    return t(language, key, count=len(chosen))
