"""The people a test plays: users in private chats with the bot, and groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakeapi.state import Chat, bot_user, public, text_entities

if TYPE_CHECKING:
    from tests.fakeapi.server import FakeBotAPI

PHOTO_BYTES = b"\x89PNG\r\n\x1a\n fake photo"


class ChatView:
    """What the bot has put in one chat, and waiting for more of it."""

    def __init__(self, api: FakeBotAPI, chat_id: int) -> None:
        self.api = api
        self.chat_id = chat_id

    @property
    def chat(self) -> Chat:
        return self.api.chats[self.chat_id]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The bot's messages here as they now stand (edits applied, deleted left out)."""
        return [m for m in self.chat.messages.values() if not m.get("deleted")]

    @property
    def last_message(self) -> dict[str, Any] | None:
        messages = self.messages
        return messages[-1] if messages else None

    def button(self, message: dict[str, Any], text_part: str) -> str:
        """The callback data of the button whose label contains text_part."""
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if text_part in button.get("text", ""):
                    return str(button["callback_data"])
        raise AssertionError(f"no button with {text_part!r} in {message.get('reply_markup')}")

    async def wait_for_message(
        self, *, contains: str | None = None, timeout: float = 5.0, since: int | None = None
    ) -> dict[str, Any]:
        """A bot message here, sent or edited at or after mark `since`, whose text contains it.

        Returns a snapshot: later edits do not change what the test saw.
        """
        first = since or 0

        def found() -> dict[str, Any] | None:
            for message in reversed(self.messages):
                body = str(message.get("text") or message.get("caption") or "")
                if message["seq"] >= first and (contains is None or contains in body):
                    return dict(message)
            return None

        def explain() -> str:
            shown = "\n".join(
                f"  [{m['message_id']}] seq={m['seq']} "
                f"{str(m.get('text') or m.get('caption'))[:150]!r}"
                for m in self.messages[-8:]
            )
            return (
                f"chat {self.chat_id} got no message containing {contains!r} since {first} "
                f"in {timeout} s; latest:\n{shown or '  (none)'}"
            )

        return await self.api.until(found, timeout=timeout, explain=explain)


class FakeUser(ChatView):
    """A Telegram user talking to the bot in a private chat."""

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        super().__init__(api, user_id)
        self.id = user_id
        self.json: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            self.json["last_name"] = last_name
        if username:
            self.json["username"] = username
        if language_code:
            self.json["language_code"] = language_code
        api.chats.setdefault(
            user_id,
            Chat(
                user_id, "private", first_name=first_name, last_name=last_name, username=username
            ),
        )

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery parameters for this user's presses, in the order answered."""
        return self.api.world.answers.setdefault(self.id, [])

    @property
    def started(self) -> bool:
        return self.chat.started

    def block(self) -> None:
        """Block the bot: sends fail with 403, and a my_chat_member update tells the bot."""
        if not self.chat.blocked:
            self.chat.blocked = True
            self._member_update("member", "kicked")

    def unblock(self) -> None:
        if self.chat.blocked:
            self.chat.blocked = False
            self._member_update("kicked", "member")

    def _member_update(self, old: str, new: str) -> None:
        bot = bot_user(self.api.bot_username)
        change = {
            "chat": self.chat.as_json(),
            "from": self.json,
            "date": self.api.world.now(),
            "old_chat_member": _member(old, bot),
            "new_chat_member": _member(new, bot),
        }
        self.api.queue_update({"my_chat_member": change})

    async def send_text(
        self, text: str, *, reply_to_message_id: int | None = None
    ) -> dict[str, Any]:
        """Send a text (commands get their entities) to the bot; returns the Message sent."""
        content: dict[str, Any] = {"text": text}
        if entities := text_entities(text):
            content["entities"] = entities
        return await self.api.post_message(self.chat, self.json, content, reply_to_message_id)

    async def send_photo(
        self,
        caption: str | None = None,
        *,
        data: bytes = PHOTO_BYTES,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """Send a photo whose file the bot can fetch with getFile."""
        file_id = self.api.world.add_file(data, "userphoto")
        content: dict[str, Any] = {"photo": self.api.world.photo_sizes(file_id, data)}
        if caption:
            content["caption"] = caption
        return await self.api.post_message(self.chat, self.json, content, reply_to_message_id)

    async def send_voice(
        self, *, duration: int = 3, data: bytes = b"OggS fake voice", caption: str | None = None
    ) -> dict[str, Any]:
        """Send a voice note whose file the bot can fetch with getFile."""
        file_id = self.api.world.add_file(data, "uservoice")
        voice = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        content: dict[str, Any] = {"voice": voice}
        if caption:
            content["caption"] = caption
        return await self.api.post_message(self.chat, self.json, content, None)

    async def send_sticker(self, *, reply_to_message_id: int | None = None) -> dict[str, Any]:
        """Send a sticker (stickers carry no caption)."""
        sticker = {
            "file_id": "stk1",
            "file_unique_id": "stk1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self.api.post_message(
            self.chat, self.json, {"sticker": sticker}, reply_to_message_id
        )

    async def send_document(
        self,
        data: bytes,
        filename: str,
        *,
        caption: str | None = None,
        mime_type: str = "application/octet-stream",
    ) -> dict[str, Any]:
        """Send a file (a roster CSV, say) whose bytes the bot can fetch with getFile."""
        file_id = self.api.world.add_file(data, "userdoc", filename)
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return await self.api.post_message(self.chat, self.json, content, None)

    async def press(self, message_id: int, callback_data: str) -> str:
        """Tap an inline button (any data: tests forge buttons too) under a bot message.

        Returns the callback query id, for `answered`.
        """
        message = self.chat.messages.get(message_id)
        if message is None or message.get("deleted"):
            raise AssertionError(f"no bot message {message_id} in chat {self.chat_id} to press")
        query_id = self.api.new_callback_id(self.id)
        query = {
            "id": query_id,
            "from": self.json,
            "message": public(message),
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

        return await self.api.until(
            found, timeout=timeout, explain=lambda: f"press {query_id} was never answered"
        )


class FakeGroup(ChatView):
    """A group, supergroup or channel the bot is a member of; members write in it."""

    def __init__(self, api: FakeBotAPI, chat_id: int, title: str, kind: str = "group") -> None:
        super().__init__(api, chat_id)
        self.title = title
        chat = api.chats.setdefault(chat_id, Chat(chat_id, kind, title=title))
        chat.started = True

    def add_bot(self, by: FakeUser) -> None:
        """A member adds the bot: Telegram tells the bot with a my_chat_member update."""
        self.chat.left = False
        bot = bot_user(self.api.bot_username)
        change = {
            "chat": self.chat.as_json(),
            "from": by.json,
            "date": self.api.world.now(),
            "old_chat_member": _member("left", bot),
            "new_chat_member": _member("member", bot),
        }
        self.api.queue_update({"my_chat_member": change})

    async def send_text(self, member: FakeUser, text: str) -> dict[str, Any]:
        """A member writes in the group (in a channel: a post, signed by the member)."""
        content: dict[str, Any] = {"text": text}
        if entities := text_entities(text):
            content["entities"] = entities
        if self.chat.type == "channel":
            return await self.api.post_message(
                self.chat, member.json, content, None, "channel_post"
            )
        return await self.api.post_message(self.chat, member.json, content, None)

    def bot_message(self, text: str, callback_data: str) -> int:
        """A message with one button that the bot posted here earlier; its message_id."""
        markup = {"inline_keyboard": [[{"text": "button", "callback_data": callback_data}]]}
        message = self.api.world.new_message(self.chat, {"reply_markup": markup}, {"text": text})
        return int(message["message_id"])

    async def press(self, member: FakeUser, message_id: int, callback_data: str) -> str:
        """A member taps a button under a bot message here; returns the callback query id."""
        message = self.chat.find(message_id)
        if message is None:
            raise AssertionError(f"no message {message_id} in chat {self.chat_id} to press")
        query_id = self.api.new_callback_id(member.id)
        query = {
            "id": query_id,
            "from": member.json,
            "message": public(message),
            "chat_instance": str(self.chat_id),
            "data": callback_data,
        }
        await self.api.push_update({"callback_query": query})
        return query_id


def _member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    return member
