"""The delivery worker: sends every outbox row, by priority, within the shared budget.

Rows are claimed in small batches (marked 'sending' in one transaction) only when the worker's
in-memory backlog runs low. The shared budget starts sends evenly across each second (one every
1/rate s, not a second's worth at once), each outcome is committed as soon as it comes back
(outcomes that arrive during a commit go in the next one), and a send may start only while
fewer than unrecorded_limit(rate) sends are in flight or awaiting their commit. After kill -9
the rows still 'sending' are sent again:

- rows that may be sent again (max_unrecorded): the backlog (rate x BACKLOG_SECONDS, at least
  MIN_BACKLOG) plus the sends in flight or awaiting their commit. At 30 msg/s: 15 + 4 = 19.
- of those, only the requests that had reached Telegram can become a second copy on a phone
  (max_second_copies): at most the sends in flight or awaiting their commit, 4 at 30 msg/s.
  The limit is enforced, not assumed: a slow answer or a slow commit (a loaded disk) holds the
  next send back instead of letting unrecorded sends pile up. bench/crash.py measures it
  (bench/README.md).

The worker logs the count of rows sent again at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.core.clock import Clock, epoch
from bot.core.config import Delivery
from bot.delivery import outbox
from bot.delivery.httprequest import never_sent
from bot.delivery.outbox import Lane, Outcome, Row
from bot.delivery.ratelimit import SharedBudget
from bot.storage.db import Database

log = logging.getLogger(__name__)

# Sends in flight or awaiting their commit: at least MIN_UNRECORDED, else a tenth of a
# second's worth, so a paid broadcast keeps enough requests in flight.
MIN_UNRECORDED = 4
UNRECORDED_SECONDS = 0.1
# After a failed commit of outcomes, how long before trying again.
RECORD_RETRY_SECONDS = 0.5
BACKLOG_SECONDS = 0.5
MIN_BACKLOG = 10
MAX_CONCURRENCY = 64
IDLE_POLL_SECONDS = 1.0

# Bot API method -> (python-telegram-bot method, parameters it needs by name).
METHODS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sendMessage": ("send_message", ("text",)),
    "sendPhoto": ("send_photo", ("photo",)),
    "sendDocument": ("send_document", ("document",)),
    "copyMessage": ("copy_message", ("from_chat_id", "message_id")),
    "editMessageText": ("edit_message_text", ("text", "message_id")),
    "editMessageReplyMarkup": ("edit_message_reply_markup", ("message_id",)),
    "editMessageCaption": ("edit_message_caption", ("message_id",)),
    "deleteMessage": ("delete_message", ("message_id",)),
}


def backlog_for(rate: float) -> int:
    """How many claimed rows the worker keeps in memory at `rate` messages a second."""
    return max(MIN_BACKLOG, int(rate * BACKLOG_SECONDS))


def unrecorded_limit(rate: float) -> int:
    """How many sends may be in flight or awaiting their commit at once at `rate` msg/s."""
    return min(MAX_CONCURRENCY, max(MIN_UNRECORDED, math.ceil(rate * UNRECORDED_SECONDS)))


def max_unrecorded(rate: float) -> int:
    """The most rows a kill -9 at `rate` msg/s can leave claimed but unrecorded: the backlog,
    and the sends in flight or awaiting their commit."""
    return backlog_for(rate) + unrecorded_limit(rate)


def max_second_copies(rate: float) -> int:
    """The most rows a kill -9 at `rate` msg/s can leave sent but unrecorded, so sent twice."""
    return unrecorded_limit(rate)


class _Unresolved(Exception):
    """An edit or delete whose target message has not been sent (yet, or ever)."""

    def __init__(self, final: bool, reason: str) -> None:
        super().__init__(reason)
        self.final = final


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        bot: Bot,
        settings: Delivery,
        clock: Clock,
        limiter: SharedBudget,
    ) -> None:
        self._db = db
        self._bot = bot
        self._settings = settings
        self._clock = clock
        self._limiter = limiter
        self._lanes: dict[int, deque[tuple[Row, float]]] = {int(lane): deque() for lane in Lane}
        self._last_pick: dict[int, float] = {int(lane): 0.0 for lane in Lane}
        self._outcomes: list[Outcome] = []
        self._unreachable: list[int] = []
        self._completed = asyncio.Event()
        self._wake = asyncio.Event()
        # Taken when a send starts, given back when its outcome is committed.
        self._slots = asyncio.Semaphore(unrecorded_limit(self._rate))
        self._sending: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._stopping = False
        self._recording = True
        self.on_unreachable: Callable[[int], Awaitable[None]] | None = None
        self.resent_after_crash = 0

    @property
    def _rate(self) -> float:
        rate = self._settings.rate_per_second
        if self._settings.paid_broadcast:
            rate = max(rate, self._settings.paid_rate_per_second)
        return rate

    @property
    def backlog_limit(self) -> int:
        return backlog_for(self._rate)

    def _now(self) -> int:
        return epoch(self._clock.now())

    async def start(self) -> None:
        async with self._db.transaction() as tx:
            self.resent_after_crash = await outbox.release_in_flight(tx)
        if self.resent_after_crash:
            log.warning(
                "%d outbox rows were in flight at the last stop; sending them again",
                self.resent_after_crash,
            )
        self._task = asyncio.create_task(self._run(), name="delivery")
        self._flusher = asyncio.create_task(self._flush_loop(), name="delivery-flush")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Let sends in flight finish, record them, and hand unsent claims back."""
        self._stopping = True
        self._wake.set()
        # The recorder keeps committing until the loop has ended: the loop may be waiting for a
        # slot that only a commit gives back.
        if self._task is not None:
            await self._task
        if self._sending:
            await asyncio.wait(self._sending, timeout=5)
        self._recording = False
        self._completed.set()
        if self._flusher is not None:
            await self._flusher
        await self._flush()
        unsent = [row.id for queue in self._lanes.values() for row, _ in queue]
        if unsent:
            async with self._db.transaction() as tx:
                await outbox.return_claimed(tx, unsent)

    # -- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._refill()
                picked = self._pick()
                if picked is None:
                    await self._idle()
                    continue
                await self._slots.acquire()
                task = asyncio.create_task(self._send(picked))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)
            except Exception:
                # The worker must outlive a bad row or a locked database; the row stays
                # claimed and goes out after the next start at the latest.
                log.exception("delivery loop error")
                await asyncio.sleep(1)

    def _backlog(self) -> int:
        return sum(len(q) for q in self._lanes.values())

    async def _refill(self) -> None:
        """Claim due rows, most urgent lane first, while the backlog is short."""
        room = self.backlog_limit - self._backlog()
        if room <= self.backlog_limit // 2 and not self._wake.is_set():
            return
        self._wake.clear()
        now = self._now()
        loop_now = time.monotonic()
        async with self._db.transaction() as tx:
            for lane in Lane:
                if room <= 0:
                    break
                rows = await outbox.claim(tx, int(lane), room, now)
                self._lanes[int(lane)].extend((row, loop_now) for row in rows)
                room -= len(rows)

    def _pick(self) -> Row | None:
        """The most urgent row, except that a lane left waiting too long gets its turn."""
        now = time.monotonic()
        starving = self._settings.starvation_seconds
        for lane in sorted(self._lanes, reverse=True):
            queue = self._lanes[lane]
            if queue and now - queue[0][1] > starving and now - self._last_pick[lane] > starving:
                self._last_pick[lane] = now
                return queue.popleft()[0]
        for lane in sorted(self._lanes):
            queue = self._lanes[lane]
            if queue:
                self._last_pick[lane] = now
                return queue.popleft()[0]
        return None

    async def _idle(self) -> None:
        due = await outbox.next_due_at(self._db)
        timeout = IDLE_POLL_SECONDS
        if due is not None:
            timeout = min(timeout, max(0.0, due - self._now()) + 0.01)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        # Woken or not, the next refill looks at the database again.
        self._wake.set()

    # -- one send ----------------------------------------------------------------------------

    async def _send(self, row: Row) -> None:
        try:
            outcome = await self._attempt(row)
        except Exception as exc:
            log.exception("unexpected error sending outbox row %d", row.id)
            outcome = Outcome(row.id, "failed", self._now(), error=type(exc).__name__)
        self._outcomes.append(outcome)
        self._completed.set()
        if outcome.status == "pending":
            self._wake.set()

    async def _attempt(self, row: Row) -> Outcome:
        now = self._now()
        try:
            name, params = await self._call_for(row)
            result = await getattr(self._bot, name)(
                chat_id=row.chat_id,
                **{key: params.pop(key) for key in METHODS[row.method][1]},
                api_kwargs=params,
                rate_limit_args={"lane": row.lane, "paid": self._paid(row)},
            )
        except _Unresolved as exc:
            if exc.final:
                return Outcome(row.id, "failed", now, error=str(exc))
            return Outcome(row.id, "pending", now, not_before=now + 1)
        except RetryAfter:
            # The limiter already paused everyone; try again when the pause is over.
            return Outcome(row.id, "pending", now, not_before=now)
        except Forbidden as exc:
            if row.person_id is not None:
                self._unreachable.append(row.person_id)
            return Outcome(row.id, "unreachable", now, error=exc.message[:200])
        except BadRequest as exc:
            if "not modified" in exc.message:
                return Outcome(row.id, "sent", now)
            return Outcome(row.id, "failed", now, error=exc.message[:200])
        except TimedOut as exc:
            if never_sent(exc):
                return self._retry(row, now, "timeout before sending")
            return Outcome(row.id, "unknown", now, error="timed out after the request left")
        except NetworkError as exc:
            return self._retry(row, now, exc.message[:200])
        message_id = getattr(result, "message_id", None)
        return Outcome(row.id, "sent", now, message_id=message_id)

    def _paid(self, row: Row) -> bool:
        return self._settings.paid_broadcast and row.lane == Lane.BULK

    async def _call_for(self, row: Row) -> tuple[str, dict[str, Any]]:
        if row.method not in METHODS:
            raise _Unresolved(True, f"unsupported method {row.method}")
        params = dict(row.payload)
        edit_of = params.pop("edit_of", None)
        if edit_of is not None:
            state = await outbox.reference_state(self._db, int(edit_of))
            if state is None:
                raise _Unresolved(True, "the message to change was never queued")
            status, message_id = state
            if status == "sent" and message_id is not None:
                params["message_id"] = message_id
            elif status in ("pending", "sending"):
                raise _Unresolved(False, "the message to change is not sent yet")
            else:
                raise _Unresolved(True, f"the message to change ended {status}")
        reply_of = params.pop("reply_of", None)
        if reply_of is not None:
            state = await outbox.reference_state(self._db, int(reply_of))
            if state is not None and state[0] in ("pending", "sending"):
                raise _Unresolved(False, "the message to reply to is not sent yet")
            if state is not None and state[0] == "sent" and state[1] is not None:
                # The card may have been deleted meanwhile: the news matters more than the link.
                params["reply_parameters"] = {
                    "message_id": state[1],
                    "allow_sending_without_reply": True,
                }
        if self._paid(row):
            params["allow_paid_broadcast"] = True
        missing = [k for k in METHODS[row.method][1] if k not in params]
        if missing:
            raise _Unresolved(True, f"payload lacks {', '.join(missing)}")
        return METHODS[row.method][0], params

    def _retry(self, row: Row, now: int, reason: str) -> Outcome:
        if row.attempts >= self._settings.max_attempts:
            return Outcome(row.id, "failed", now, error=f"gave up: {reason}")
        backoff = min(
            self._settings.backoff_max_seconds,
            self._settings.backoff_base_seconds * 2 ** (row.attempts - 1),
        )
        return Outcome(row.id, "pending", now, error=reason, not_before=now + int(backoff))

    # -- recording -----------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        """Commit outcomes as soon as they come back; those arriving during a commit go in the
        next one, so a busy second makes a few larger commits rather than a queue of small."""
        # Ends between flushes, never inside one: a flush cut short would leave rows that were
        # sent marked 'sending', and the next start would send them again.
        while self._recording:
            await self._completed.wait()
            self._completed.clear()
            try:
                await self._flush()
            except Exception:
                log.exception("could not record delivery outcomes; will try again")
                await asyncio.sleep(RECORD_RETRY_SECONDS)
                self._completed.set()

    async def _flush(self) -> None:
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        unreachable, self._unreachable = self._unreachable, []
        try:
            async with self._db.transaction() as tx:
                await outbox.record(tx, outcomes)
                if unreachable:
                    await outbox.mark_unreachable(tx, unreachable, self._now())
        except BaseException:
            self._outcomes = outcomes + self._outcomes
            self._unreachable = unreachable + self._unreachable
            raise
        for _ in outcomes:
            self._slots.release()
        await self._after_flush(unreachable)

    async def _after_flush(self, unreachable: list[int]) -> None:
        if self.on_unreachable is not None:
            for person_id in dict.fromkeys(unreachable):
                await self.on_unreachable(person_id)
        await self._summarize()

    async def _summarize(self) -> None:
        """Log one line per finished batch: counts only, never message text."""
        finished = await outbox.unsummarized_batches(self._db)
        if not finished:
            return
        for batch_id in finished:
            report = await outbox.batch_report(self._db, batch_id)
            log.info(
                "batch %s %s: queued %d, sent %d, failed %d, unreachable %d, unknown %d,"
                " cancelled %d",
                report.kind,
                report.ref,
                report.queued,
                report.count("sent"),
                report.count("failed"),
                report.count("unreachable"),
                report.count("unknown"),
                report.count("cancelled"),
            )
        async with self._db.transaction() as tx:
            await outbox.mark_summarized(tx, finished, self._now())
