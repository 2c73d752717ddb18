"""Read a Bot API request's parameters, whether sent as JSON, a form or multipart."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakeapi.state import Upload

# Fields that travel as JSON text inside forms and multipart bodies.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "scope",
        "commands",
        "entities",
        "caption_entities",
        "media",
        "menu_button",
        "allowed_updates",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "reply_to_message_id",
        "message_thread_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "max_connections",
        "user_id",
    }
)
# Free text that must stay a string even when it reads "true" or "123".
TEXT_FIELDS = frozenset({"text", "caption", "callback_data", "secret_token", "url", "file_id"})


async def read_params(request: web.Request) -> dict[str, Any]:
    """The request's parameters, typed as if they had come as JSON; files as Upload."""
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        params: dict[str, Any] = json.loads(body) if body else {}
        return params
    raw: dict[str, Any] = dict(request.query)
    if content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader)
            name = part.name or ""
            if part.filename is not None:
                raw[name] = Upload(
                    part.filename,
                    bytes(await part.read()),
                    part.headers.get("Content-Type", "application/octet-stream"),
                )
            else:
                raw[name] = await part.text()
    elif request.can_read_body:
        raw.update(await request.post())
    return {key: _typed(key, value) for key, value in raw.items()}


def resolve_attachment(params: dict[str, Any], value: Any) -> Any:
    """An `attach://name` reference replaced by the uploaded part it names."""
    if isinstance(value, str) and value.startswith("attach://"):
        return params.get(value.removeprefix("attach://"), value)
    return value


def _typed(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in TEXT_FIELDS:
        return value
    if key in JSON_FIELDS:
        with contextlib.suppress(ValueError):
            return json.loads(value)
    elif key in INT_FIELDS:
        with contextlib.suppress(ValueError):
            return int(value)
    elif value in ("true", "false"):
        return value == "true"
    return value
