"""The Bot API methods, answered from the fake's state the way Telegram answers them."""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Callable
from typing import Any

from tests.fakeapi.params import resolve_attachment
from tests.fakeapi.state import ApiError, Chat, Upload, bot_user, public

Method = Callable[[dict[str, Any]], Any]
DELETE_LIMIT = 48 * 3600
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
# What a message may carry besides text, as copyMessage passes it on.
MEDIA = ("photo", "document", "voice", "audio", "video", "animation", "sticker", "video_note")
# Telegram copies these without a caption: a caption given for them is dropped.
CAPTIONLESS = frozenset({"sticker", "video_note"})
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
TAG = re.compile(r"<[^>]+>")


class World:
    """Chats, messages, files, commands and open callback queries, and the methods on them."""

    def __init__(self, bot_username: str, clock: Callable[[], float]) -> None:
        self.bot_username = bot_username
        self.clock = clock
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, bytes] = {}
        self.file_names: dict[str, str] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.open_callbacks: dict[str, int] = {}
        self.answers: dict[int, list[dict[str, Any]]] = {}
        # Index of the call being answered; stored messages carry it so tests can ask "since".
        self.seq = 0
        # A cap for long benchmarks: older messages of a chat are forgotten beyond it.
        self.max_messages_per_chat: int | None = None
        self._file_ids = itertools.count(1)
        self._media_groups = itertools.count(1)
        self.methods: dict[str, Method] = {
            "getMe": self.get_me,
            "setMyCommands": self.set_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getMyCommands": self.get_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "getChat": self.get_chat,
            "getFile": self.get_file,
            "sendChatAction": self.send_chat_action,
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendMediaGroup": self.send_media_group,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "leaveChat": self.leave_chat,
        }

    # -- helpers shared with the people a test plays --------------------------------------------

    def add_file(self, data: bytes, kind: str, name: str | None = None) -> str:
        file_id = f"{kind}-{next(self._file_ids)}"
        self.files[file_id] = data
        if name:
            self.file_names[file_id] = name
        return file_id

    def photo_sizes(self, file_id: str, data: bytes) -> list[dict[str, Any]]:
        """A thumbnail and the full size, as Telegram lists a photo; both can be fetched."""
        thumb = f"{file_id}-thumb"
        self.files[thumb] = data
        return [
            {"file_id": thumb, "file_unique_id": thumb, "width": 90, "height": 90},
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "width": 1280,
                "height": 960,
                "file_size": len(data),
            },
        ]

    def now(self) -> int:
        return int(self.clock())

    def chat(self, params: dict[str, Any], *, writing: bool = False) -> Chat:
        """The chat a request names; 400/403 as Telegram answers for chats it cannot use."""
        chat_id = params.get("chat_id")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if writing and chat.is_private:
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    # -- bot and chat information ---------------------------------------------------------------

    def get_me(self, params: dict[str, Any]) -> Any:
        return bot_user(self.bot_username, full=True)

    def set_my_commands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        self.commands[_commands_key(params)] = commands
        return True

    def delete_my_commands(self, params: dict[str, Any]) -> Any:
        self.commands.pop(_commands_key(params), None)
        return True

    def get_my_commands(self, params: dict[str, Any]) -> Any:
        return self.commands.get(_commands_key(params), [])

    def set_chat_menu_button(self, params: dict[str, Any]) -> Any:
        self.menu_buttons[params.get("chat_id")] = params.get("menu_button") or {"type": "default"}
        return True

    def get_chat_menu_button(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    def get_chat(self, params: dict[str, Any]) -> Any:
        info = self.chat(params).as_json()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def get_file(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(self.files[file_id]),
            "file_path": f"files/{file_id}",
        }

    def send_chat_action(self, params: dict[str, Any]) -> Any:
        self.chat(params, writing=True)
        return True

    def leave_chat(self, params: dict[str, Any]) -> Any:
        chat = self.chat(params)
        if chat.is_private:
            raise ApiError(
                400, "Bad Request: chat member status can't be changed in private chats"
            )
        if chat.left:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        chat.left = True
        return True

    # -- sending --------------------------------------------------------------------------------

    def new_message(
        self, chat: Chat, params: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        """Store a message from the bot in `chat`, as the next message there."""
        message: dict[str, Any] = {
            "message_id": next(chat.next_message_id),
            "from": bot_user(self.bot_username),
            "chat": chat.as_json(),
            "date": self.now(),
            **content,
        }
        if markup := params.get("reply_markup"):
            _check_markup(markup)
            message["reply_markup"] = markup
        reply_to = params.get("reply_to_message_id")
        if isinstance(params.get("reply_parameters"), dict):
            reply_to = params["reply_parameters"].get("message_id")
        if reply_to is not None:
            original = chat.find(int(reply_to))
            if original is None:
                raise ApiError(400, "Bad Request: message to be replied not found")
            message["reply_to_message"] = public(original)
        chat.messages[message["message_id"]] = dict(message, seq=self.seq)
        if self.max_messages_per_chat and len(chat.messages) > self.max_messages_per_chat:
            del chat.messages[next(iter(chat.messages))]
        return message

    def send_message(self, params: dict[str, Any]) -> Any:
        chat = self.chat(params, writing=True)
        text = _plain(params.get("text"), params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        content: dict[str, Any] = {"text": text}
        if params.get("entities"):
            content["entities"] = params["entities"]
        return self.new_message(chat, params, content)

    def send_photo(self, params: dict[str, Any]) -> Any:
        chat = self.chat(params, writing=True)
        file_id, data = self._file(params, "photo")
        content = {"photo": self.photo_sizes(file_id, data), **_caption(params)}
        message = self.new_message(chat, params, content)
        chat.messages[message["message_id"]]["file_bytes"] = data
        return message

    def send_document(self, params: dict[str, Any]) -> Any:
        chat = self.chat(params, writing=True)
        file_id, data = self._file(params, "document")
        content = {"document": self._document(file_id, data), **_caption(params)}
        message = self.new_message(chat, params, content)
        chat.messages[message["message_id"]]["file_bytes"] = data
        return message

    def send_media_group(self, params: dict[str, Any]) -> Any:
        chat = self.chat(params, writing=True)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album")
        group_id = str(next(self._media_groups))
        sent = []
        for item in media:
            kind = str(item.get("type"))
            if kind not in ("photo", "document"):
                raise ApiError(400, f"Bad Request: media type {kind} is not supported by the fake")
            file_id, data = self._file({**params, kind: item.get("media")}, kind)
            content: dict[str, Any] = {"media_group_id": group_id, **_caption(item)}
            if kind == "photo":
                content["photo"] = self.photo_sizes(file_id, data)
            else:
                content["document"] = self._document(file_id, data)
            message = self.new_message(chat, {}, content)
            chat.messages[message["message_id"]]["file_bytes"] = data
            sent.append(message)
        return sent

    def copy_message(self, params: dict[str, Any]) -> Any:
        chat, content = self._original(params)
        media = "text" not in content and not CAPTIONLESS.intersection(content)
        if "caption" in params and media:
            content.pop("caption", None)
            content.update(_caption(params))
        message = self._resend(chat, params, content)
        return {"message_id": message["message_id"]}

    def forward_message(self, params: dict[str, Any]) -> Any:
        chat, content = self._original(params)
        source = self.chats[int(params["from_chat_id"])]
        original = source.find(int(params["message_id"]))
        assert original is not None
        content["forward_origin"] = {
            "type": "user",
            "sender_user": original["from"],
            "date": original["date"],
        }
        return self._resend(chat, {"reply_markup": original.get("reply_markup")}, content)

    def _resend(
        self, chat: Chat, params: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        data = content.pop("file_bytes", None)
        message = self.new_message(chat, params, content)
        if data is not None:
            chat.messages[message["message_id"]]["file_bytes"] = data
        return message

    def _original(self, params: dict[str, Any]) -> tuple[Chat, dict[str, Any]]:
        """The target chat and the content of the message to copy or forward."""
        chat = self.chat(params, writing=True)
        from_chat_id = params.get("from_chat_id")
        source = self.chats.get(from_chat_id) if isinstance(from_chat_id, int) else None
        if source is None:
            raise ApiError(400, "Bad Request: chat not found")
        original = source.find(int(params.get("message_id") or 0))
        if original is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        keys = ("text", "entities", "caption", "caption_entities", *MEDIA)
        content = {key: original[key] for key in keys if key in original}
        data = original.get("file_bytes")
        if data is None and (file_id := _file_id(original)) is not None:
            data = self.files.get(file_id)
        if data is not None:
            content["file_bytes"] = data
        return chat, content

    def _file(self, params: dict[str, Any], field: str) -> tuple[str, bytes]:
        """Store an uploaded file, or look up the file_id the bot sent again."""
        value = resolve_attachment(params, params.get(field))
        if isinstance(value, Upload):
            return self.add_file(value.data, field, value.filename), value.data
        file_id = str(value)
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return file_id, self.files[file_id]

    def _document(self, file_id: str, data: bytes) -> dict[str, Any]:
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": self.file_names.get(file_id, "document"),
            "file_size": len(data),
        }

    # -- changing sent messages -----------------------------------------------------------------

    def _existing(self, params: dict[str, Any], action: str) -> dict[str, Any]:
        chat = self.chat(params, writing=action == "edit")
        message = chat.messages.get(int(params.get("message_id") or 0))
        if message is None or message.get("deleted"):
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return message

    def _changed(self, message: dict[str, Any], markup: Any) -> dict[str, Any]:
        # Telegram drops the keyboard of an edited message unless the edit sends it again.
        if markup:
            _check_markup(markup)
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = self.now()
        message["seq"] = self.seq
        return public(message)

    def edit_message_text(self, params: dict[str, Any]) -> Any:
        message = self._existing(params, "edit")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = _plain(params.get("text"), params.get("parse_mode"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup") or None
        if message["text"] == text and message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = text
        return self._changed(message, markup)

    def edit_message_caption(self, params: dict[str, Any]) -> Any:
        message = self._existing(params, "edit")
        if "photo" not in message and "document" not in message:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = _plain(params.get("caption"), params.get("parse_mode"))
        if len(caption) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = params.get("reply_markup") or None
        if message.get("caption", "") == caption and message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        if caption:
            message["caption"] = caption
        else:
            message.pop("caption", None)
        return self._changed(message, markup)

    def edit_message_reply_markup(self, params: dict[str, Any]) -> Any:
        message = self._existing(params, "edit")
        markup = params.get("reply_markup") or None
        if message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        return self._changed(message, markup)

    def delete_message(self, params: dict[str, Any]) -> Any:
        message = self._existing(params, "delete")
        if self.clock() - message["date"] > DELETE_LIMIT:
            raise ApiError(400, "Bad Request: message can't be deleted for everyone")
        message["deleted"] = True
        message["seq"] = self.seq
        return True

    def answer_callback_query(self, params: dict[str, Any]) -> Any:
        user_id = self.open_callbacks.pop(str(params.get("callback_query_id")), None)
        if user_id is None:
            raise ApiError(400, QUERY_INVALID)
        self.answers.setdefault(user_id, []).append(params)
        return True


def _file_id(message: dict[str, Any]) -> str | None:
    if "photo" in message:
        return str(message["photo"][-1]["file_id"])
    for kind in MEDIA:
        if isinstance(message.get(kind), dict):
            return str(message[kind]["file_id"])
    return None


def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _plain(value: Any, parse_mode: Any) -> str:
    """The text a chat shows: Telegram strips HTML markup before storing it."""
    text = "" if value is None else str(value)
    if str(parse_mode).upper() == "HTML":
        return html.unescape(TAG.sub("", text))
    return text


def _caption(params: dict[str, Any]) -> dict[str, Any]:
    caption = _plain(params.get("caption"), params.get("parse_mode"))
    if len(caption) > CAPTION_LIMIT:
        raise ApiError(400, "Bad Request: message caption is too long")
    return {"caption": caption} if caption else {}


def _check_markup(markup: Any) -> None:
    """Refuse what Telegram refuses: callback data over 64 bytes, buttons without an action."""
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(str(data).encode()) > CALLBACK_DATA_LIMIT:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if len(button) < 2:
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
