"""HTTP control endpoints, for a benchmark that runs the fake API in another process.

GET  /_control/stats       counters: "ok", "sent", "429", per status and per method
POST /_control/users       {"ids": [...]} or {"first": N, "count": M}: users who started the bot
POST /_control/text        {"user_id": N, "text": "..."}: the user sends a text
POST /_control/press       {"user_id": N, "message_id": M, "data": "..."}: the user taps
POST /_control/faults      the keyword arguments of FakeBotAPI.inject; DELETE clears all faults
POST /_control/limits      {"enforce", "global_rate", "per_chat_rate", "group_per_minute"}
GET  /_control/messages    ?chat_id=N: the bot's messages in a chat (file bytes left out)
POST /_control/reset       counters, calls, faults, limit windows, queued updates, messages
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from tests.fakeapi.state import public

if TYPE_CHECKING:
    from tests.fakeapi.server import FakeBotAPI

API_KEY = web.AppKey("fake_api", object)


def add_control_routes(app: web.Application, api: FakeBotAPI) -> None:
    app[API_KEY] = api
    app.router.add_get("/_control/stats", stats)
    app.router.add_post("/_control/users", users)
    app.router.add_post("/_control/text", text)
    app.router.add_post("/_control/press", press)
    app.router.add_post("/_control/faults", inject)
    app.router.add_delete("/_control/faults", clear_faults)
    app.router.add_post("/_control/limits", limits)
    app.router.add_get("/_control/messages", messages)
    app.router.add_post("/_control/reset", reset)


def _api(request: web.Request) -> FakeBotAPI:
    return cast("FakeBotAPI", request.app[API_KEY])


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body: dict[str, Any] = await request.json()
    return body


async def stats(request: web.Request) -> web.Response:
    return web.json_response(_api(request).counters)


async def users(request: web.Request) -> web.Response:
    api, body = _api(request), await _body(request)
    ids = [int(i) for i in body.get("ids", [])]
    first = int(body.get("first", 0))
    ids.extend(range(first, first + int(body.get("count", 0))))
    for user_id in ids:
        api.user(user_id, started=True)
    return web.json_response({"ok": True, "users": len(ids)})


async def text(request: web.Request) -> web.Response:
    api, body = _api(request), await _body(request)
    user = api.user(int(body["user_id"]))
    message = await user.send_text(str(body["text"]))
    return web.json_response({"ok": True, "message": message})


async def press(request: web.Request) -> web.Response:
    api, body = _api(request), await _body(request)
    user = api.user(int(body["user_id"]))
    query_id = await user.press(int(body["message_id"]), str(body["data"]))
    return web.json_response({"ok": True, "callback_query_id": query_id})


async def inject(request: web.Request) -> web.Response:
    api, body = _api(request), await _body(request)
    try:
        fault = api.inject(str(body.pop("kind")), **body)
    except (KeyError, TypeError, ValueError) as error:
        return web.json_response({"ok": False, "description": str(error)}, status=400)
    return web.json_response({"ok": True, "fault": repr(fault)})


async def clear_faults(request: web.Request) -> web.Response:
    _api(request).clear_faults()
    return web.json_response({"ok": True})


async def limits(request: web.Request) -> web.Response:
    api, body = _api(request), await _body(request)
    api.enforce_limits = bool(body.get("enforce", api.enforce_limits))
    api.limits.global_rate = float(body.get("global_rate", api.limits.global_rate))
    api.limits.per_chat_rate = float(body.get("per_chat_rate", api.limits.per_chat_rate))
    api.limits.group_per_minute = int(body.get("group_per_minute", api.limits.group_per_minute))
    api.limits.reset()
    return web.json_response({"ok": True})


async def messages(request: web.Request) -> web.Response:
    api = _api(request)
    chat_id = int(request.query["chat_id"])
    shown = [
        dict(public(m), deleted=bool(m.get("deleted")))
        for m in api.sent_to(chat_id, include_deleted=True)
    ]
    return web.json_response({"ok": True, "messages": shown})


async def reset(request: web.Request) -> web.Response:
    _api(request).reset()
    return web.json_response({"ok": True})
