"""The return declaration: the questions a returning person answers, one tap each, checked
against their check-ins when sent, and a test result photo kept with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.keyboard import Button, Keyboard, Screen, callback
from bot.core.services import Services
from bot.returns import store
from bot.returns.store import Returning

# rt:<return id>:<question>:y|n and rt:<return id>:ok: a returning person's declaration.
AREA = "rt"


@dataclass(frozen=True)
class Answer:
    """What a tap on the declaration shows: the screen in place, and a toast."""

    screen: Screen
    toast: str | None = None


def language_of(svc: Services, language: str | None) -> str:
    return language or svc.config.general.language


def questions(svc: Services, language: str) -> tuple[str, ...]:
    cfg = svc.config.returns
    return cfg.questions_en if language == "en" else cfg.questions_zh_cn


def declaration(svc: Services, language: str, r: Returning) -> Screen:
    """The declaration at its current step: the next question, or the summary to submit."""
    t = svc.catalog.t
    asked = questions(svc, language)
    day = svc.catalog.day(language, date.fromisoformat(r.return_date))
    head = t(language, "returns.declare.title", date=day)
    if r.status != "waiting":
        return Screen(f"{head}\n\n{t(language, 'returns.declare.done')}")
    index = len(r.answers)
    if index < len(asked):
        text = t(
            language,
            "returns.declare.question",
            number=index + 1,
            total=len(asked),
            question=asked[index],
        )
        yes = Button(t(language, "returns.declare.yes"), callback(AREA, r.return_id, index, "y"))
        no = Button(t(language, "returns.declare.no"), callback(AREA, r.return_id, index, "n"))
        return Screen(f"{head}\n\n{text}", Keyboard.of([yes, no]))
    lines = [f"{'✅' if a == 'y' else '❗'} {q}" for q, a in zip(asked, r.answers, strict=False)]
    text = "\n".join([head, "", *lines, "", t(language, "returns.declare.photo")])
    submit = Button(t(language, "returns.declare.submit"), callback(AREA, r.return_id, "ok"))
    return Screen(text, Keyboard.of([submit]))


async def _mine(svc: Services, person_id: int, return_id: int) -> Returning | None:
    found = await store.returning(svc.db, return_id=return_id, person_id=person_id)
    return found[0] if found else None


async def answer(
    svc: Services, person_id: int, language: str, return_id: int, step: str, value: str | None
) -> Answer | None:
    """Store one answer (step = the question's index) or submit (step 'ok'); None if the
    button is not the presser's."""
    mine = await _mine(svc, person_id, return_id)
    if mine is None:
        return None
    t = svc.catalog.t
    if mine.status != "waiting":
        return Answer(Screen(declaration(svc, language, mine).text), t(language, "returns.stale"))
    now = svc.now()
    total = len(questions(svc, language))
    if step == "ok":
        if len(mine.answers) < total:
            return Answer(declaration(svc, language, mine), t(language, "returns.stale"))
        flag = await _flag(svc, mine, now)
        async with svc.db.transaction() as tx:
            await store.declare(tx, return_id, person_id, flag=flag, now=now)
            await store.audit(
                tx,
                at=now,
                actor_id=person_id,
                action="return.declare",
                person_id=person_id,
                scope=f"return:{return_id} {'flagged' if flag else 'ready'}",
            )
        fresh = await _mine(svc, person_id, return_id)
        assert fresh is not None
        return Answer(declaration(svc, language, fresh), t(language, "returns.thanks"))
    if not step.isdigit() or int(step) != len(mine.answers) or value not in ("y", "n"):
        # A tap on an earlier question's button, or a forged one: show where it stands.
        return Answer(declaration(svc, language, mine), t(language, "returns.stale"))
    async with svc.db.transaction() as tx:
        await store.set_answers(tx, return_id, person_id, mine.answers + value)
    fresh = await _mine(svc, person_id, return_id)
    assert fresh is not None
    return Answer(declaration(svc, language, fresh))


async def _flag(svc: Services, r: Returning, now: int) -> str | None:
    """Why the person needs the doctor's look: a fever or symptom in the window's check-ins
    (the history outweighs the declaration), else a question answered "no"."""
    since = now - svc.config.returns.window_days * 86400
    if await store.fevers_since(svc.db, r.person_id, since, svc.config.alerts.fever_warning_c):
        return "history"
    if "n" in r.answers:
        return "declared"
    return None


async def take_photo(svc: Services, person_id: int, file_id: str) -> bool:
    """Keep a test result photo with the person's declaration when it waits for one (every
    question answered, not yet sent): a photo at any other time is meant for someone else."""
    total = len(svc.config.returns.questions_zh_cn)
    found = [
        r
        for r in await store.returning(svc.db, person_id=person_id)
        if r.status == "waiting" and len(r.answers) == total
    ]
    if not found:
        return False
    async with svc.db.transaction() as tx:
        await store.set_photo(tx, found[-1].return_id, person_id, file_id)
    return True
