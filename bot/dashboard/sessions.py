"""Opening and checking dashboard sessions: from a Mini App launch or a /web login link."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.access import STAFF_ROLES, Viewer
from bot.core.services import Services
from bot.dashboard import auth, store
from bot.delivery import outbox
from bot.people.viewer import viewer
from bot.storage import people
from bot.storage.records import Person

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    """A new session: the token goes into the cookie, and is never stored as is."""

    token: str
    expires_at: int


@dataclass(frozen=True)
class Current:
    viewer: Viewer
    csrf: str
    token_hash: str


async def _staff(svc: Services, telegram_user_id: int) -> Person | None:
    person = await people.person_by_telegram(svc.db, telegram_user_id)
    if person is None or person.role not in STAFF_ROLES:
        # Students, guardians and strangers get no dashboard.
        return None
    return person


async def _open(svc: Services, person: Person, telegram_user_id: int) -> Opened:
    now = svc.now()
    token = auth.new_token()
    expires_at = now + svc.config.dashboard.session_minutes * 60
    async with svc.db.transaction() as tx:
        await store.add_session(
            tx,
            auth.token_hash(token),
            person_id=person.id,
            telegram_user_id=telegram_user_id,
            csrf=auth.new_token(),
            now=now,
            expires_at=expires_at,
        )
    log.info("dashboard session opened for person %d", person.id)
    return Opened(token, expires_at)


async def open_from_launch(svc: Services, bot_token: str, init_data: str) -> Opened | str:
    """A session for a staff member's Mini App launch, or why it was refused: 'malformed',
    'forged', 'expired', 'replayed' or 'not_staff'."""
    settings = svc.config.dashboard
    now = svc.now()
    checked = auth.check_init_data(
        init_data, bot_token, now=now, max_age=settings.init_data_max_age_seconds
    )
    if isinstance(checked, auth.Refused):
        return checked.reason
    person = await _staff(svc, checked.telegram_user_id)
    if person is None:
        return "not_staff"
    async with svc.db.transaction() as tx:
        # Kept until the launch would be too old anyway; a second use is a copy.
        keep_until = checked.auth_date + settings.init_data_max_age_seconds + 1
        if not await store.claim_launch(tx, checked.init_hash, keep_until, now):
            return "replayed"
    return await _open(svc, person, checked.telegram_user_id)


async def login_waiting(svc: Services, token: str) -> bool:
    return await store.login_pending(svc.db, auth.token_hash(token), svc.now())


async def open_from_login(svc: Services, token: str) -> Opened | None:
    """Spend a login link for a session; None when it was used, expired or never issued, or
    its person is no longer the staff member bound to that account."""
    async with svc.db.transaction() as tx:
        used = await store.use_login(tx, auth.token_hash(token), svc.now())
    if used is None:
        return None
    person_id, telegram_user_id = used
    person = await _staff(svc, telegram_user_id)
    if person is None or person.id != person_id:
        return None
    return await _open(svc, person, telegram_user_id)


async def current(svc: Services, token: str) -> Current | None:
    """The viewer a session cookie belongs to, while the session lasts and the person is still
    the staff member bound to the account that signed in."""
    if not token:
        return None
    hashed = auth.token_hash(token)
    found = await store.session(svc.db, hashed, svc.now())
    if found is None:
        return None
    person = await _staff(svc, found.telegram_user_id)
    if person is None or person.id != found.person_id:
        return None
    return Current(await viewer(svc.db, person), found.csrf, hashed)


async def close(svc: Services, token_hash: str) -> None:
    async with svc.db.transaction() as tx:
        await store.end_session(tx, token_hash)


def login_url(svc: Services, token: str) -> str:
    return f"{svc.config.dashboard.public_url.rstrip('/')}/login/{token}"


def app_url(svc: Services) -> str:
    return f"{svc.config.dashboard.public_url.rstrip('/')}/"


async def send_login_link(svc: Services, person: Person, language: str) -> bool:
    """Queue a single-use login link to the staff member's own chat; False for anyone else.

    The outbox keeps the message with the link until it is purged; the link itself is spent
    on first use and dead after a few minutes, so that copy opens nothing.
    """
    if person.role not in STAFF_ROLES or person.telegram_user_id is None:
        return False
    if person.chat_id is None:
        return False
    token = auth.new_token()
    hashed = auth.token_hash(token)
    now = svc.now()
    minutes = svc.config.dashboard.login_link_minutes
    text = svc.catalog.t(
        language, "dashboard.web.link", url=login_url(svc, token), minutes=minutes
    )
    async with svc.db.transaction() as tx:
        await store.add_login(
            tx,
            hashed,
            person_id=person.id,
            telegram_user_id=person.telegram_user_id,
            now=now,
            expires_at=now + minutes * 60,
        )
        await outbox.enqueue(
            tx,
            outbox.message(
                f"web:{hashed[:24]}",
                outbox.Lane.ALERT,
                person.chat_id,
                text,
                person_id=person.id,
                # A link preview would fetch the page; it spends nothing, but it need not look.
                link_preview_options={"is_disabled": True},
            ),
            now=now,
        )
    svc.wake_outbox()
    return True
