"""Receipts and the report: a recipient confirms; authors and admins follow who has not."""

from __future__ import annotations

import logging

from bot.core.access import Viewer
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen
from bot.core.services import Services
from bot.notices.audience import SCOPE_KINDS, Audience, AudienceError, may_manage
from bot.notices.render import (
    audience_name,
    button,
    excerpt,
    guardian_name,
    list_line,
    local_time,
    open_button,
)
from bot.notices.sending import may_send
from bot.notices.store import notices as notice_store
from bot.notices.store import places as place_store
from bot.notices.store import receipts as receipt_store
from bot.notices.store import reports as report_store
from bot.notices.store.notices import Notice
from bot.storage.records import Person

log = logging.getLogger(__name__)

RECENT_LIMIT = 10
REPORT_GROUP_LINES = 25
# The unconfirmed are named in the report up to this many; the rest are counted.
REPORT_NAMES = 30


async def confirm(svc: Services, notice_id: int, person: Person) -> str:
    """Record that a recipient read the notice: thanks | already | withdrawn | not_recipient."""
    notice = await notice_store.notice_by_id(svc.db, notice_id)
    if notice is None:
        return "not_recipient"
    if notice.withdrawn_at is not None:
        return "withdrawn"
    async with svc.db.transaction() as tx:
        recorded = await receipt_store.confirm(tx, notice_id, person.id, svc.now())
    if recorded is None:
        return "not_recipient"
    return "thanks" if recorded else "already"


async def notice_for(svc: Services, notice_id: int, viewer: Viewer) -> Notice | None:
    """The notice, if the viewer may see its report and act on it."""
    notice = await notice_store.notice_by_id(svc.db, notice_id)
    if notice is None or not await _may_manage_now(svc, viewer, notice):
        return None
    return notice


async def recent(svc: Services, viewer: Viewer) -> list[Notice]:
    """The latest notices the viewer manages now, up to RECENT_LIMIT."""
    shown: list[Notice] = []
    before: int | None = None
    # The scope check needs the database, so it runs after the query: read on past notices the
    # viewer no longer manages (a teacher moved to another class) until the list is full.
    while len(shown) < RECENT_LIMIT:
        found = await notice_store.recent_notices(
            svc.db,
            everything=viewer.is_bureau_admin,
            author_id=viewer.person.id,
            school_id=viewer.person.school_id if viewer.is_school_admin else None,
            limit=RECENT_LIMIT,
            before_id=before,
        )
        shown += [n for n in found if await _may_manage_now(svc, viewer, n)]
        if len(found) < RECENT_LIMIT:
            break
        before = found[-1].id
    return shown[:RECENT_LIMIT]


def list_screen(svc: Services, language: str, notices: list[Notice]) -> Screen:
    """The /notices answer: one line per notice, each with a button to its report."""
    t = svc.catalog.t
    if not notices:
        return Screen(t(language, "notices.list_empty"))
    lines = [t(language, "notices.list_head")]
    lines += [list_line(svc, language, n) for n in notices]
    rows = [[open_button(svc.catalog, language, n.id, prefix=f"#{n.id} ")] for n in notices]
    return Screen("\n".join(lines), Keyboard.of(*rows))


async def _may_manage_now(svc: Services, viewer: Viewer, notice: Notice) -> bool:
    """Authors manage a notice only while its audience is still theirs to address: a teacher
    moved to another class no longer reads or reminds the old class."""
    author_id = notice.author_id
    if author_id == viewer.person.id:
        try:
            audience = Audience.parse(notice.audience)
        except AudienceError:
            audience = None
        if audience is None or not await may_send(svc, viewer, audience):
            author_id = None
    return may_manage(viewer, author_id, notice.school_id)


async def report_text(svc: Services, language: str, notice: Notice) -> str:
    """Where every copy stands: targeted, sent, failed, unreachable, unknown, confirmed, and
    per school and class."""
    t = svc.catalog.t
    copies = await report_store.copy_counts(svc.db, notice.id)
    confirmed, resent = await report_store.receipt_counts(svc.db, notice.id)
    viewer_audience = Audience.parse(notice.audience)
    lines = [
        t(
            language,
            "notices.report.head",
            id=notice.id,
            at=local_time(svc, notice.created_at),
            excerpt=excerpt(notice.text),
        ),
        t(
            language,
            "notices.report.audience",
            audience=await _stored_audience_name(svc, language, notice, viewer_audience),
        ),
        t(
            language,
            "notices.report.counts",
            targeted=sum(copies.values()),
            waiting=copies.get("pending", 0) + copies.get("sending", 0),
            sent=copies.get("sent", 0),
            failed=copies.get("failed", 0),
            unreachable=copies.get("unreachable", 0),
            unknown=copies.get("unknown", 0),
            no_account=copies.get("no_account", 0),
        ),
    ]
    if notice.needs_confirmation:
        reached = copies.get("sent", 0) + copies.get("unknown", 0)
        # A 家长回执 counts who agreed, in the words the guardians' button used.
        words = (
            "notices.report.agreed" if viewer_audience.guardians else "notices.report.confirmed"
        )
        lines.append(t(language, words, confirmed=confirmed, reached=reached))
        waiting_for = await receipt_store.unconfirmed_names(svc.db, notice.id)
        if waiting_for and notice.withdrawn_at is None:
            separator = t(language, "notices.audience.separator")
            names = separator.join(
                guardian_name(svc.catalog, language, name, children)
                for name, children in waiting_for[:REPORT_NAMES]
            )
            waiting = (
                "notices.report.not_agreed"
                if viewer_audience.guardians
                else "notices.report.unconfirmed"
            )
            lines.append(t(language, waiting, count=len(waiting_for), names=names))
            if len(waiting_for) > REPORT_NAMES:
                more = len(waiting_for) - REPORT_NAMES
                lines.append(t(language, "notices.report.more", count=more))
    if resent:
        lines.append(t(language, "notices.report.resent", count=resent))
    if notice.reminded_at is not None:
        lines.append(
            t(
                language,
                "notices.report.reminded",
                count=notice.reminders,
                at=local_time(svc, notice.reminded_at),
            )
        )
    if notice.withdrawn_at is not None:
        lines.append(
            t(
                language,
                "notices.report.withdrawn",
                at=local_time(svc, notice.withdrawn_at),
                stopped=copies.get("cancelled", 0),
            )
        )
        if notice.withdraw_batch_id is not None:
            deletes = await report_store.batch_counts(svc.db, notice.withdraw_batch_id)
            lines.append(
                t(
                    language,
                    "notices.report.deleted",
                    deleted=deletes.get("sent", 0),
                    waiting=deletes.get("pending", 0) + deletes.get("sending", 0),
                    failed=sum(deletes.get(s, 0) for s in ("failed", "unreachable", "unknown")),
                )
            )
    groups = await report_store.group_counts(svc.db, notice.id)
    if groups:
        lines.append(t(language, "notices.report.by_group"))
        for group in groups[:REPORT_GROUP_LINES]:
            place = group.school or t(language, "notices.report.bureau")
            if group.class_name:
                place = t(language, "notices.place_class", school=place, klass=group.class_name)
            else:
                place = t(language, "notices.report.staff_of", school=place)
            key = (
                "notices.report.group_confirm"
                if notice.needs_confirmation
                else "notices.report.group"
            )
            lines.append(
                t(
                    language,
                    key,
                    place=place,
                    targeted=group.targeted,
                    sent=group.sent,
                    confirmed=group.confirmed,
                    unreachable=group.unreachable,
                )
            )
        if len(groups) > REPORT_GROUP_LINES:
            lines.append(
                t(language, "notices.report.more_groups", count=len(groups) - REPORT_GROUP_LINES)
            )
    return "\n".join(lines)


async def _stored_audience_name(
    svc: Services, language: str, notice: Notice, audience: Audience
) -> str:
    name = await audience_name(svc, language, audience, None)
    scoped = audience.kind in (*SCOPE_KINDS, "role") and not audience.class_ids
    if scoped and notice.school_id is not None:
        school = await place_store.school_name(svc.db, notice.school_id) or "?"
        return svc.catalog.t(language, "notices.in_school", what=name, school=school)
    return name


def report_buttons(catalog: Catalog, language: str, notice: Notice) -> Keyboard:
    def press(verb: str, *args: str) -> Button:
        return button(catalog, language, verb, notice.id, *args)

    # rep:1 refreshes the report in place; a report opened from elsewhere is a new message.
    rows = [[press("rep", "1"), press("xlsx")]]
    if notice.withdrawn_at is None:
        if notice.needs_confirmation:
            rows.append([press("rem")])
        rows.append([press("wd")])
    return Keyboard.of(*rows)
