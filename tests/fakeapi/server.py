"""A fake Telegram Bot API over HTTP, faithful enough for python-telegram-bot's real client."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from tests.fakeapi.control import add_control_routes
from tests.fakeapi.faults import Fault
from tests.fakeapi.limits import SENDING, Limits
from tests.fakeapi.methods import World
from tests.fakeapi.params import read_params
from tests.fakeapi.people import FakeGroup, FakeUser
from tests.fakeapi.state import ApiCall, ApiError, Chat, public

T = TypeVar("T")
log = logging.getLogger(__name__)
TOKEN = "123456:TEST-TOKEN-classcare"
# The update plumbing: a fault that names no method leaves these alone, so polling goes on.
PLUMBING = frozenset({"getUpdates", "getMe", "setWebhook", "deleteWebhook", "getWebhookInfo"})
DUMP_CALLS = 15


class FakeBotAPI:
    """Serve the Bot API methods ClassCare uses, record every call, and play the users."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        bot_username: str = "classcare_test_bot",
        enforce_limits: bool = False,
        global_rate: float = 30.0,
        per_chat_rate: float = 1.0,
        group_per_minute: int = 20,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.limits = Limits(global_rate, per_chat_rate, group_per_minute)
        self.enforce_limits = enforce_limits
        self.now: Callable[[], float] = time.time
        self.world = World(bot_username, lambda: self.now())
        self.calls: list[ApiCall] = []
        self.unknown_methods: list[str] = []
        self.counters: dict[str, int] = {}
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, FakeGroup] = {}
        self.faults: list[Fault] = []
        # Off in long benchmarks: calls are then only counted (errors are still kept).
        self.record_calls = True
        self.webhook: tuple[str, str | None] | None = None
        # Why webhook deliveries failed (each is retried): refused connections, 403 on a secret.
        self.webhook_errors: list[str] = []
        self.port = 0
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._flush: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 (an ephemeral port unless one is given)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.*}", self._serve_file)
        add_control_routes(app, self)
        # A short shutdown: held-back answers ("timeout" faults) are released by stop() anyway.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing.set()
        self._notify()
        if self._flush is not None:
            self._flush.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- the world a test sets up and looks at --------------------------------------------------

    @property
    def chats(self) -> dict[int, Chat]:
        return self.world.chats

    @property
    def files(self) -> dict[str, bytes]:
        return self.world.files

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        started: bool = False,
    ) -> FakeUser:
        """The user with this id, created on first use; `started` as if they had sent /start."""
        user = self.users.get(user_id)
        if user is None:
            user = FakeUser(self, user_id, first_name, last_name, username, language_code)
            self.users[user_id] = user
        if started:
            user.chat.started = True
        return user

    def group(self, chat_id: int, title: str = "Group", *, kind: str = "group") -> FakeGroup:
        """The group (or "supergroup", "channel") with this id, created on first use."""
        if chat_id not in self.groups:
            self.groups[chat_id] = FakeGroup(self, chat_id, title, kind)
        return self.groups[chat_id]

    def sent_to(self, chat_id: int, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they now stand (edits applied), oldest first."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if include_deleted or not m.get("deleted")]

    @property
    def documents(self) -> list[dict[str, Any]]:
        """Every document the bot has sent, as stored messages with their `file_bytes`."""
        return [
            message
            for chat in self.chats.values()
            for message in chat.messages.values()
            if "document" in message
        ]

    def my_commands(
        self, *, chat_id: int | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list the bot set for a chat (or the default scope)."""
        scope = {"type": "default"} if chat_id is None else {"type": "chat", "chat_id": chat_id}
        return self.world.get_my_commands({"scope": scope, "language_code": language_code})

    # -- faults ---------------------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        count: int | None = None,
        probability: float | None = None,
        retry_after: int = 1,
        delay: float = 0.0,
    ) -> Fault:
        """Fail matching requests. Without a method, every method but getUpdates and webhooks.

        Kinds: 429, 403, 400, 500, 502 answer instead of processing; "timeout" processes and
        holds the answer back `delay` s (60 if not given); "drop" processes and cuts the
        connection; "latency" waits `delay` s before processing.
        """
        fault = Fault(kind, method, chat_id, count, probability, retry_after, delay)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget calls, counters, faults, limit windows, updates and messages; keep users."""
        self.calls.clear()
        self.unknown_methods.clear()
        self.counters.clear()
        self.faults.clear()
        self.limits.reset()
        self._updates.clear()
        for chat in self.chats.values():
            chat.messages.clear()
            chat.incoming.clear()

    # -- calls ----------------------------------------------------------------------------------

    def mark(self) -> int:
        """An index into calls: pass it as `since` to consider only what happens after now."""
        return len(self.calls)

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call.method == method and call.ok)

    async def wait_for(
        self,
        predicate: Callable[[ApiCall], bool],
        *,
        timeout: float = 5.0,
        since: int = 0,
        any_status: bool = False,
    ) -> ApiCall:
        """The first call since `since` matching the predicate (successful unless any_status)."""

        def found() -> ApiCall | None:
            for call in self.calls[since:]:
                if (any_status or call.ok) and predicate(call):
                    return call
            return None

        def explain() -> str:
            shown = "\n".join(
                f"  #{c.index} {c.method} {c.status} "
                f"{json.dumps(c.params, ensure_ascii=False, default=repr)[:200]}"
                for c in self.calls[-DUMP_CALLS:]
            )
            return f"no matching call since #{since} within {timeout} s; last calls:\n{shown}"

        return await self.until(found, timeout=timeout, explain=explain)

    async def until(
        self, check: Callable[[], T | None], *, timeout: float, explain: Callable[[], str]
    ) -> T:
        """Wait until check() returns something, re-checking after every change of state."""
        try:
            async with asyncio.timeout(timeout):
                while (value := check()) is None:
                    changed = self._changed
                    await changed.wait()
                return value
        except TimeoutError:
            raise AssertionError(explain()) from None

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # -- updates --------------------------------------------------------------------------------

    async def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Hand an update to the bot: queue it for getUpdates, or for the webhook if one is set."""
        return self.queue_update(update)

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """push_update for code that cannot await."""
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        if self.webhook is not None:
            self._start_flush()
        self._notify()
        return update

    async def post_message(
        self,
        chat: Chat,
        sender: dict[str, Any],
        content: dict[str, Any],
        reply_to_message_id: int | None,
        kind: str = "message",
    ) -> dict[str, Any]:
        """A person's message (or a channel's post) in a chat, delivered to the bot as an
        update."""
        message: dict[str, Any] = {
            "message_id": next(chat.next_message_id),
            "from": sender,
            "chat": chat.as_json(),
            "date": self.world.now(),
            **content,
        }
        if reply_to_message_id is not None:
            original = chat.find(reply_to_message_id)
            if original is None:
                raise AssertionError(f"no message {reply_to_message_id} in chat {chat.id}")
            message["reply_to_message"] = public(original)
        if chat.is_private:
            chat.started = True
        chat.incoming[message["message_id"]] = message
        await self.push_update({kind: message})
        return message

    def new_callback_id(self, user_id: int) -> str:
        query_id = str(next(self._callback_ids))
        self.world.open_callbacks[query_id] = user_id
        return query_id

    def _start_flush(self) -> None:
        if self._flush is None or self._flush.done():
            self._flush = asyncio.create_task(self._flush_to_webhook())

    async def _flush_to_webhook(self) -> None:
        """POST queued updates to the webhook in order, retrying as Telegram does until taken."""
        backoff = 0.02
        while self._updates and self.webhook is not None and not self._closing.is_set():
            url, secret = self.webhook
            if self._session is None:
                self._session = ClientSession(timeout=ClientTimeout(total=10))
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            try:
                async with self._session.post(
                    url, json=self._updates[0], headers=headers
                ) as response:
                    status = response.status
            except (ClientError, TimeoutError) as error:
                status, reason = 0, type(error).__name__
            else:
                reason = f"HTTP {status}"
            if status == 200:
                self._updates.pop(0)
                backoff = 0.02
                continue
            self.webhook_errors.append(reason)
            log.warning("webhook delivery failed (%s); retrying", reason)
            await self._sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    # -- HTTP -----------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            self._count("401")
            body = ApiError(401, "Unauthorized").body()
            return web.json_response(body, status=401)
        try:
            params = await read_params(request)
        except ValueError:
            body = ApiError(400, "Bad Request: can't parse JSON body").body()
            return web.json_response(body, status=400)
        call = ApiCall(-1, method, params, time.monotonic())
        handler = self.world.methods.get(method)
        if handler is None and method not in PLUMBING:
            self.unknown_methods.append(method)
            log.warning("the bot called %s, which the fake does not implement", method)
            error = ApiError(404, "Not Found")
            return self._finish(call, error.code, error.body())
        hold, drop = 0.0, False
        for fault in self.faults:
            if fault.method is None and method in PLUMBING:
                continue
            if not fault.applies(method, call.chat_id):
                continue
            call.fault = fault.kind
            if fault.kind == "latency":
                await self._sleep(fault.delay)
            elif fault.kind == "timeout":
                hold = fault.delay
            elif fault.kind == "drop":
                drop = True
            elif (injected := fault.error()) is not None:
                self._prune_faults()
                return self._finish(call, injected.code, injected.body())
        self._prune_faults()
        try:
            if handler is None:
                result = await self._plumbing(method, params)
            else:
                if self.enforce_limits and method in SENDING:
                    self._check_limits(call.chat_id)
                self.world.seq = len(self.calls)
                result = handler(params)
        except ApiError as error:
            return self._finish(call, error.code, error.body())
        response = self._finish(call, 200, {"ok": True, "result": result})
        if hold:
            await self._sleep(hold)
        if drop and request.transport is not None:
            request.transport.abort()
            # Nothing can be written any more; aiohttp then closes the handler quietly.
            raise asyncio.CancelledError
        return response

    def _check_limits(self, chat_id: int | None) -> None:
        if chat_id is None:
            return
        chat = self.chats.get(chat_id)
        self.limits.check(time.monotonic(), chat_id, chat is not None and not chat.is_private)

    def _finish(self, call: ApiCall, status: int, body: dict[str, Any]) -> web.Response:
        call.status = status
        call.response = body
        self._count("ok" if status == 200 else str(status))
        self._count(call.method)
        if status == 200 and call.method in SENDING:
            self._count("sent")
        if self.record_calls or status != 200:
            call.index = len(self.calls)
            self.calls.append(call)
        self._notify()
        return web.Response(
            text=json.dumps(body, ensure_ascii=False, default=repr),
            status=status,
            content_type="application/json",
        )

    def _count(self, key: str) -> None:
        self.counters[key] = self.counters.get(key, 0) + 1

    def _prune_faults(self) -> None:
        if any(fault.spent for fault in self.faults):
            self.faults = [fault for fault in self.faults if not fault.spent]

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake when the server stops so shutdown is never held up."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._closing.wait()

    async def _serve_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        data = self.files.get(request.match_info["path"].removeprefix("files/"))
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data)

    # -- the update plumbing: getUpdates and webhooks -------------------------------------------

    async def _plumbing(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.world.get_me(params)
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "setWebhook":
            url = str(params.get("url") or "")
            if not url:
                return self._delete_webhook(params)
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self.webhook = (url, params.get("secret_token"))
            if self._updates:
                self._start_flush()
            return True
        if method == "deleteWebhook":
            return self._delete_webhook(params)
        return {
            "url": self.webhook[0] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        if offset:
            # Asking from `offset` confirms every update before it: Telegram forgets them.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        if not self._updates and timeout > 0:
            deadline = asyncio.get_running_loop().time() + timeout
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    while not self._updates and not self._closing.is_set():
                        changed = self._changed
                        await changed.wait()
        return self._updates[:limit]
