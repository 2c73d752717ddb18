"""A fake Telegram Bot API over HTTP, faithful enough for python-telegram-bot's real client."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, ClientSession, web

from tests.fakeapi.faults import SENDING, Fault, Limits
from tests.fakeapi.state import ApiCall, ApiError, Chat, bot_user, text_entities

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
JSON_FIELDS = ("reply_markup", "scope", "commands", "entities", "caption_entities", "media")
DELETE_LIMIT = 48 * 3600
TOKEN = "123456:TEST-TOKEN-classcare"


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
        self.limits = (
            Limits(global_rate, per_chat_rate, group_per_minute) if enforce_limits else None
        )
        self.calls: list[ApiCall] = []
        self.unknown_methods: list[str] = []
        self.counters: dict[str, int] = {}
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, FakeUser] = {}
        self.files: dict[str, bytes] = {}
        self.now: Callable[[], float] = time.time
        self.faults: list[Fault] = []
        self.record_calls = True
        self.webhook: tuple[str, str | None] | None = None
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._callback_ids = itertools.count(1)
        self._open_callbacks: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self.port = 0
        self._methods: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "copyMessage": self._copy_message,
            "forwardMessage": self._copy_message,
            "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption,
            "editMessageReplyMarkup": self._edit_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback,
            "setMyCommands": self._accept,
            "deleteMyCommands": self._accept,
            "getMyCommands": self._get_commands,
            "setChatMenuButton": self._accept,
            "getChat": self._get_chat,
            "getFile": self._get_file,
        }

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.*}", self._serve_file)
        app.router.add_get("/_control/stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        async with self._changed:
            self._changed.notify_all()
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

    # -- test-facing API ---------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> FakeUser:
        if user_id not in self.users:
            self.users[user_id] = FakeUser(
                self, user_id, first_name, last_name, username, language_code
            )
            self.chats[user_id] = Chat(user_id, "private", first_name=first_name)
        return self.users[user_id]

    def group(self, chat_id: int, title: str) -> Chat:
        chat = self.chats.setdefault(chat_id, Chat(chat_id, "group", title=title))
        chat.started = True
        return chat

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        chat = self.chats.get(chat_id)
        return [] if chat is None else list(chat.messages.values())

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
        if kind not in ("429", "403", "400", "500", "502", "timeout", "drop", "latency"):
            raise ValueError(f"unknown fault kind {kind}")
        fault = Fault(kind, method, chat_id, count, probability, retry_after, delay)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def mark(self) -> int:
        return len(self.calls)

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call.method == method)

    async def wait_for(
        self, predicate: Callable[[ApiCall], bool], *, timeout: float = 5.0, since: int = 0
    ) -> ApiCall:
        """The first successful call since `since` that matches; waits for it if need be."""

        def found() -> ApiCall | None:
            for call in self.calls[since:]:
                if call.status == 200 and predicate(call):
                    return call
            return None

        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    while (call := found()) is None:
                        await self._changed.wait()
                    return call
        except TimeoutError:
            recent = "\n".join(
                f"  {c.method} {c.status} {json.dumps(c.params, ensure_ascii=False)[:200]}"
                for c in self.calls[-15:]
            )
            raise AssertionError(
                f"no matching call within {timeout} s; last calls:\n{recent}"
            ) from None

    async def push_update(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        if self.webhook is not None:
            await self._post_webhook(update)
            return
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    # -- HTTP ------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token and not self.token.startswith("*"):
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await _read_params(request, self)
        handler = self._methods.get(method)
        call = ApiCall(len(self.calls), method, params, time.monotonic())
        if handler is None:
            self.unknown_methods.append(method)
            error = ApiError(404, f"Not Found: method {method} is not implemented by the fake")
            return await self._finish(call, error.code, error.body())
        chat_id = _int(params.get("chat_id"))
        abort_after = False
        delay_after = 0.0
        for fault in list(self.faults):
            if not fault.applies(method, chat_id):
                continue
            if fault.kind == "latency":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "timeout":
                delay_after = fault.delay
            elif fault.kind == "drop":
                abort_after = True
            elif (injected := fault.error()) is not None:
                return await self._finish(call, injected.code, injected.body())
        try:
            if self.limits is not None and method in SENDING and chat_id is not None:
                chat = self.chats.get(chat_id)
                self.limits.check(
                    time.monotonic(), chat_id, chat is not None and chat.type != "private"
                )
            result = await handler(params)
        except ApiError as error:
            return await self._finish(call, error.code, error.body())
        response = await self._finish(call, 200, {"ok": True, "result": result})
        if delay_after:
            await asyncio.sleep(delay_after)
        if abort_after:
            assert request.transport is not None
            request.transport.close()
        return response

    async def _finish(self, call: ApiCall, status: int, body: dict[str, Any]) -> web.Response:
        call.status = status
        call.response = body
        key = "ok" if status == 200 else str(status)
        self.counters[key] = self.counters.get(key, 0) + 1
        if status == 200 and call.method in SENDING:
            self.counters["sent"] = self.counters.get("sent", 0) + 1
        if self.record_calls or status != 200:
            self.calls.append(call)
            call.index = len(self.calls) - 1
        async with self._changed:
            self._changed.notify_all()
        return web.json_response(body, status=status, dumps=_dumps)

    async def _stats(self, request: web.Request) -> web.Response:
        """Counters for a benchmark that runs this server in another process."""
        return web.json_response(self.counters)

    async def _serve_file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["path"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data)

    async def _post_webhook(self, update: dict[str, Any]) -> None:
        assert self.webhook is not None
        url, secret = self.webhook
        if self._session is None:
            self._session = ClientSession()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with self._session.post(url, json=update, headers=headers) as response:
            response.raise_for_status()

    # -- methods -----------------------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return bot_user(self.bot_username)

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = _int(params.get("offset")) or 0
        limit = _int(params.get("limit")) or 100
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0:
                try:
                    async with asyncio.timeout(timeout):
                        while not self._updates:
                            await self._changed.wait()
                except TimeoutError:
                    pass
            return self._updates[:limit]

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = (str(params["url"]), params.get("secret_token"))
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        url = self.webhook[0] if self.webhook else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}

    async def _accept(self, params: dict[str, Any]) -> Any:
        return True

    async def _get_commands(self, params: dict[str, Any]) -> Any:
        return []

    async def _get_chat(self, params: dict[str, Any]) -> Any:
        return self._chat(params).as_json()

    async def _get_file(self, params: dict[str, Any]) -> Any:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_path": file_id,
            "file_size": len(self.files[file_id]),
        }

    def _chat(self, params: dict[str, Any], *, sending: bool = False) -> Chat:
        chat_id = _int(params.get("chat_id"))
        chat = self.chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if sending and chat.type == "private":
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _new_message(self, chat: Chat, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(chat.next_message_id),
            "from": bot_user(self.bot_username),
            "chat": chat.as_json(),
            "date": int(self.now()),
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        reply_to = _int(params.get("reply_to_message_id")) or _int(
            (params.get("reply_parameters") or {}).get("message_id")
            if isinstance(params.get("reply_parameters"), dict)
            else None
        )
        if reply_to:
            message["reply_to_message_id"] = reply_to
        chat.messages[message["message_id"]] = dict(message, seq=len(self.calls))
        return message

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params, sending=True)
        text = str(params.get("text", ""))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return self._new_message(chat, params, text=text)

    def _store_file(self, value: Any, kind: str) -> tuple[str, bytes | None]:
        if isinstance(value, bytes):
            file_id = f"{kind}-{next(self._file_ids)}"
            self.files[file_id] = value
            return file_id, value
        file_id = str(value)
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return file_id, self.files[file_id]

    async def _send_photo(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params, sending=True)
        file_id, data = self._store_file(params.get("photo"), "photo")
        photo = [{"file_id": file_id, "file_unique_id": file_id, "width": 640, "height": 480}]
        content: dict[str, Any] = {"photo": photo}
        if params.get("caption"):
            content["caption"] = str(params["caption"])
        message = self._new_message(chat, params, **content)
        chat.messages[message["message_id"]]["file_bytes"] = data
        return message

    async def _send_document(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params, sending=True)
        file_id, data = self._store_file(params.get("document"), "document")
        name = params.get("_filename_document", "document")
        content: dict[str, Any] = {
            "document": {"file_id": file_id, "file_unique_id": file_id, "file_name": name}
        }
        if params.get("caption"):
            content["caption"] = str(params["caption"])
        message = self._new_message(chat, params, **content)
        chat.messages[message["message_id"]]["file_bytes"] = data
        return message

    async def _copy_message(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params, sending=True)
        source = self.chats.get(_int(params.get("from_chat_id")) or 0)
        message_id = _int(params.get("message_id")) or 0
        original = None if source is None else source.incoming.get(message_id)
        if original is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        content = {k: original[k] for k in ("text", "photo", "caption") if k in original}
        if "caption" in params:
            content["caption"] = str(params["caption"])
        message = self._new_message(chat, params, **content)
        return {"message_id": message["message_id"]}

    def _existing(self, params: dict[str, Any], action: str) -> tuple[Chat, dict[str, Any]]:
        chat = self._chat(params)
        message = chat.messages.get(_int(params.get("message_id")) or 0)
        if message is None or message.get("deleted"):
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return chat, message

    def _public(self, message: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if k not in ("seq", "file_bytes", "deleted")}

    async def _edit_text(self, params: dict[str, Any]) -> Any:
        _, message = self._existing(params, "edit")
        text = str(params.get("text", ""))
        markup = params.get("reply_markup")
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = text
        message["edit_date"] = int(self.now())
        message["seq"] = len(self.calls)
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return self._public(message)

    async def _edit_caption(self, params: dict[str, Any]) -> Any:
        _, message = self._existing(params, "edit")
        message["caption"] = str(params.get("caption", ""))
        message["seq"] = len(self.calls)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return self._public(message)

    async def _edit_markup(self, params: dict[str, Any]) -> Any:
        _, message = self._existing(params, "edit")
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["seq"] = len(self.calls)
        return self._public(message)

    async def _delete_message(self, params: dict[str, Any]) -> Any:
        _, message = self._existing(params, "delete")
        if self.now() - message["date"] > DELETE_LIMIT:
            raise ApiError(400, "Bad Request: message can't be deleted for everyone")
        message["deleted"] = True
        message["seq"] = len(self.calls)
        return True

    async def _answer_callback(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id"))
        user_id = self._open_callbacks.pop(query_id, None)
        if user_id is None:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        self.users[user_id].callback_answers.append(params)
        return True


class FakeUser:
    """A Telegram user talking to the bot in a private chat."""

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.api = api
        self.id = user_id
        self.chat_id = user_id
        self.callback_answers: list[dict[str, Any]] = []
        self._json: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            self._json["last_name"] = last_name
        if username:
            self._json["username"] = username
        if language_code:
            self._json["language_code"] = language_code
        self._message_ids = itertools.count(1_000_000)
        api.chats.setdefault(user_id, Chat(user_id, "private", first_name=first_name))

    @property
    def chat(self) -> Chat:
        return self.api.chats[self.chat_id]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The bot's messages in this chat as they now stand, oldest first."""
        return [m for m in self.chat.messages.values() if not m.get("deleted")]

    @property
    def last_message(self) -> dict[str, Any] | None:
        messages = self.messages
        return messages[-1] if messages else None

    def block(self) -> None:
        self.chat.blocked = True

    def unblock(self) -> None:
        self.chat.blocked = False

    def _message(self, **content: Any) -> dict[str, Any]:
        self.chat.started = True
        message = {
            "message_id": next(self._message_ids),
            "from": self._json,
            "chat": self.chat.as_json(),
            "date": int(self.api.now()),
            **content,
        }
        self.chat.incoming[message["message_id"]] = message
        return message

    async def send_text(
        self, text: str, *, reply_to_message_id: int | None = None
    ) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if entities := text_entities(text):
            content["entities"] = entities
        if reply_to_message_id is not None:
            original = self.chat.messages.get(reply_to_message_id)
            if original is not None:
                content["reply_to_message"] = self.api._public(original)
        message = self._message(**content)
        await self.api.push_update({"message": message})
        return message

    async def send_photo(
        self, caption: str | None = None, *, reply_to_message_id: int | None = None
    ) -> dict[str, Any]:
        file_id = f"userphoto-{next(self.api._file_ids)}"
        self.api.files[file_id] = b"\x89PNG fake photo"
        content: dict[str, Any] = {
            "photo": [{"file_id": file_id, "file_unique_id": file_id, "width": 90, "height": 90}]
        }
        if caption:
            content["caption"] = caption
        if reply_to_message_id is not None:
            original = self.chat.messages.get(reply_to_message_id)
            if original is not None:
                content["reply_to_message"] = self.api._public(original)
        message = self._message(**content)
        await self.api.push_update({"message": message})
        return message

    async def press(self, message_id: int, callback_data: str) -> str:
        """Tap an inline button (any data: tests forge buttons too) under a bot message."""
        message = self.chat.messages.get(message_id)
        if message is None:
            raise AssertionError(f"no bot message {message_id} in chat {self.chat_id}")
        query_id = str(next(self.api._callback_ids))
        self.api._open_callbacks[query_id] = self.id
        query = {
            "id": query_id,
            "from": self._json,
            "message": self.api._public(message),
            "chat_instance": str(self.chat_id),
            "data": callback_data,
        }
        await self.api.push_update({"callback_query": query})
        return query_id

    async def answered(self, query_id: str, *, timeout: float = 5.0) -> dict[str, Any]:
        """The bot's answerCallbackQuery for a press, once it comes."""

        def found() -> dict[str, Any] | None:
            for answer in self.callback_answers:
                if str(answer.get("callback_query_id")) == query_id:
                    return answer
            return None

        try:
            async with asyncio.timeout(timeout):
                async with self.api._changed:
                    while (answer := found()) is None:
                        await self.api._changed.wait()
                    return answer
        except TimeoutError:
            raise AssertionError(f"press {query_id} was never answered") from None

    def button(self, message: dict[str, Any], text_part: str) -> str:
        """The callback data of the button whose label contains text_part."""
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if text_part in button.get("text", ""):
                    return str(button["callback_data"])
        raise AssertionError(f"no button with {text_part!r} in {message.get('reply_markup')}")

    async def wait_for_message(
        self, *, contains: str | None = None, timeout: float = 5.0, since: int = 0
    ) -> dict[str, Any]:
        """A bot message in this chat (sent or edited at or after mark `since`) with the text."""

        def found() -> dict[str, Any] | None:
            for message in reversed(self.messages):
                body = str(message.get("text") or message.get("caption") or "")
                if message["seq"] >= since and (contains is None or contains in body):
                    return message
            return None

        try:
            async with asyncio.timeout(timeout):
                async with self.api._changed:
                    while (message := found()) is None:
                        await self.api._changed.wait()
                    # A snapshot: later edits of the message must not change what the test saw.
                    return dict(message)
        except TimeoutError:
            shown = "\n".join(
                f"  [{m['message_id']}] {str(m.get('text') or m.get('caption'))[:150]!r}"
                for m in self.messages[-8:]
            )
            raise AssertionError(
                f"user {self.id} got no message containing {contains!r} in {timeout} s; "
                f"latest:\n{shown}"
            ) from None


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


async def _read_params(request: web.Request, api: FakeBotAPI) -> dict[str, Any]:
    """Parameters from a JSON body, a form or multipart (with uploaded files as bytes)."""
    params: dict[str, Any] = {}
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        params = json.loads(body) if body else {}
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader)
            name = part.name or ""
            if getattr(part, "filename", None):
                params[name] = bytes(await part.read())
                params[f"_filename_{name}"] = part.filename
            else:
                params[name] = await part.text()
    else:
        params = dict(await request.post()) if request.can_read_body else {}
        params.update(request.query)
    for key, value in list(params.items()):
        if key.startswith("attach://"):
            continue
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"), value)
        if key not in ("text", "caption") and value in ("true", "false"):
            params[key] = value == "true"
        elif key in JSON_FIELDS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params
