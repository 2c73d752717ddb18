"""What an alert card says, with its buttons, and the prompts that follow a card: the call
offer after /called and the 处置情况 line asked after Resolved."""

from __future__ import annotations

from collections.abc import Sequence

from bot.alerts.rules import SETTLED_BY_CALL
from bot.alerts.store import handling as handling_store
from bot.alerts.store.alerts import Alert
from bot.alerts.wording import clock_text, seen_text
from bot.core.i18n import Catalog
from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.guardians import family
from bot.safeguarding.crisis_facts import crisis_lines, crisis_parts
from bot.storage import people
from bot.storage.records import Person, StudentInfo

# Callback data of a card's buttons: al:<alert id>:<verb>.
AREA = "al"
# rs:<alert id>:skip: skip the 处置情况 line asked for after Resolved.
RESOLUTION_AREA = "rs"
# Each verb a card's buttons carry, and the key of its words in the catalog (alerts.button.*,
# alerts.toast.*), which kept the short names.
VERBS = {
    "ack": "ack",
    "resolve": "done",
    "message": "msg",
    "history": "hist",
    "not_concern": "nc",
    "call": "call",
    "call_guardian": "gcall",
}
# Cards stay in staff chats for days, and one sent before the verbs were spelled out must still
# do what its button says: the short verbs it carries read as the new ones.
OLD_VERBS = {"done": "resolve", "msg": "message", "hist": "history", "nc": "not_concern"}


def read_verb(word: str | None) -> str | None:
    """The verb a card button's data names, in either spelling; None for anything else."""
    if word in VERBS:
        return word
    return OLD_VERBS.get(word or "")


async def render_card(
    services: Services, alert: Alert, info: StudentInfo, viewer: Person
) -> tuple[str, Keyboard]:
    """The card a staff member sees for an alert, in their language, with its buttons."""
    catalog = services.catalog
    language = viewer.language or services.config.general.language
    t = catalog.t
    lines = [
        t(language, f"alerts.level.{alert.level}")
        + " · "
        + t(language, f"alerts.kind.{alert.kind}"),
        t(
            language,
            "alerts.card.student" if info.person.is_student else "alerts.card.staff",
            name=info.person.name,
            number=info.person.number,
            school=info.school_name,
            class_name=info.class_name,
        ),
    ]
    parts = crisis_parts(alert.facts) if alert.kind == "crisis" else {}
    if parts:
        # The words themselves, so whoever acts sees why; the class teacher as well as the
        # counselor, since an urgent crisis needs the student's own words to talk it through.
        for number, about in enumerate(a for a in ("self", "other") if a in parts):
            said = crisis_lines(catalog, language, parts[about], whole=viewer.role == "counselor")
            what = said.pop(0)
            if number == 0:
                when = clock_text(services, alert.seen_at)
                lines.append(t(language, "alerts.card.seen", what=what, when=when))
            else:
                lines.append(t(language, "alerts.card.also", what=what))
            lines += said
    else:
        lines.append(
            t(
                language,
                "alerts.card.seen",
                what=seen_text(
                    catalog, language, alert.kind, alert.facts, scores=viewer.role == "counselor"
                ),
                when=clock_text(services, alert.seen_at),
            )
        )
    if alert.signals > 1:
        lines.append(
            t(
                language,
                "alerts.card.repeated",
                count=alert.signals,
                since=clock_text(services, alert.opened_at),
            )
        )
    corrected = alert.facts.get("corrected")
    if corrected is not None:
        value = catalog.t_or(language, f"alerts.corrected.{corrected}", str(corrected))
        lines.append(t(language, "alerts.card.corrected", value=value))
    if alert.escalation_step:
        lines.append(t(language, f"alerts.card.escalated{alert.escalation_step}"))
    call = (
        await handling_store.call_info(services.db, alert.handled_call_id)
        if alert.handled_call_id
        else None
    )
    if call is not None:
        caller = await people.person_by_id(services.db, call[0])
        name = caller.name if caller is not None else "?"
        lines.append(
            t(language, "alerts.card.call", name=name, when=clock_text(services, call[1]))
        )
    if alert.label is not None and alert.labelled_by is not None:
        labeller = await people.person_by_id(services.db, alert.labelled_by)
        lines.append(
            t(
                language,
                f"alerts.card.label.{alert.label}",
                name=labeller.name if labeller is not None else "?",
                when=clock_text(services, alert.labelled_at or alert.updated_at),
            )
        )
    elif alert.owner_id is not None:
        owner = await people.person_by_id(services.db, alert.owner_id)
        owner_name = owner.name if owner is not None else "?"
        if alert.state == "resolved":
            lines.append(
                t(
                    language,
                    "alerts.card.resolved",
                    name=owner_name,
                    when=clock_text(services, alert.resolved_at or alert.updated_at),
                )
            )
        else:
            lines.append(
                t(
                    language,
                    "alerts.card.owner",
                    name=owner_name,
                    when=clock_text(services, alert.acknowledged_at or alert.updated_at),
                )
            )
    if alert.resolution:
        lines.append(t(language, "alerts.card.resolution", text=alert.resolution))
    guardian = None
    if alert.kind in SETTLED_BY_CALL or viewer.role == "counselor":
        # Who to phone: on a missed or unreachable card that is the point; on a counselor's
        # card the number is there for the counselor to decide whether to call.
        guardian = await family.primary_contact(services.db, alert.student_id)
    if guardian is not None:
        contact = family.contact_text(catalog, language, guardian)
        lines.append(t(language, "alerts.card.guardian", contact=contact))
    buttons = _card_buttons(
        catalog,
        language,
        alert,
        call_guardian=guardian is not None,
        student=info.person.is_student,
    )
    return "\n".join(lines), buttons


def _card_buttons(
    catalog: Catalog,
    language: str,
    alert: Alert,
    *,
    call_guardian: bool,
    student: bool,
) -> Keyboard:
    def button(verb: str) -> Button:
        label = catalog.t(language, f"alerts.button.{VERBS[verb]}")
        return Button(label, callback(AREA, alert.id, verb))

    first = []
    if alert.state == "open":
        first.append(button("ack"))
    if alert.state != "resolved":
        first.append(button("resolve"))
    crisis = alert.kind == "crisis" and alert.label is None
    settled = call_guardian and alert.kind in SETTLED_BY_CALL and alert.state != "resolved"
    return Keyboard.of(
        first,
        # The relay is the student-safeguarding channel (audited, counted in /contacts): a
        # doctor or admin reaches an isolated colleague by phone, so their card has no button.
        [button("message"), button("history")] if student else [button("history")],
        [button("call_guardian")] if settled else [],
        [button("not_concern")] if crisis else [],
    )


def call_offer(
    catalog: Catalog, language: str, logged: str, name: str, offers: Sequence[Alert]
) -> Screen:
    """After /called: the call is logged, and one button per alert the call may have handled."""
    t = catalog.t
    buttons = Keyboard.column(
        Button(
            t(language, "alerts.button.call", kind=t(language, f"alerts.kind.{a.kind}")),
            callback(AREA, a.id, "call"),
        )
        for a in offers
    )
    return Screen(f"{logged}\n{t(language, 'alerts.call.offer', name=name)}", buttons)


def resolution_ask(catalog: Catalog, language: str, alert_id: int) -> Screen:
    """Ask the staff member who resolved an alert for one line on what was done."""
    label = catalog.t(language, "alerts.button.skip")
    skip = Keyboard.of([Button(label, callback(RESOLUTION_AREA, alert_id, "skip"))])
    return Screen(catalog.t(language, "alerts.resolution.ask"), skip)
