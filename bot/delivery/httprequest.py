"""The bot's Bot API calls over aiohttp, as python-telegram-bot's BaseRequest.

Sending is CPU-bound at broadcast rates: through python-telegram-bot's default httpx client a
message cost about 1.1 ms of CPU, too much for a 1,000 msg/s paid broadcast on one core; through
aiohttp it costs about half (bench/fanout.py). Long polling (getUpdates) keeps the default
client: one call at a time, nothing to gain.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# Enough connections for every send the delivery worker allows at once, plus replies to users.
CONNECTIONS = 80


class AiohttpRequest(BaseRequest):
    """Form-encoded (multipart with files) Bot API calls over one aiohttp session."""

    def __init__(
        self, *, timeout: float, pool_timeout: float = 1.0, connections: int = CONNECTIONS
    ) -> None:
        self._timeout = timeout
        self._pool_timeout = pool_timeout
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        # PTB's own annotation names private types; `object` accepts all it may pass.
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = _seconds(read_timeout, self._timeout)
        connect = _seconds(connect_timeout, self._timeout)
        pool = _seconds(pool_timeout, self._pool_timeout)
        # aiohttp's `connect` covers waiting for a free pooled connection and connecting.
        timeout = aiohttp.ClientTimeout(
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        # aiohttp's messages name the URL, which holds the token: the errors raised here carry
        # the failure's kind and its text without the URL, and not the original (`from None`).
        except aiohttp.ConnectionTimeoutError:
            raise NotSent("Timed out connecting: the request was not sent") from None
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut(f"Timed out: {_without(url, err)}") from None
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {_without(url, err)}") from None


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """The parameters form-encoded, or as multipart when files go with them."""
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        return request_data.json_parameters
    # Unquoted, so a file named 台账.xlsx arrives with that name rather than percent-escaped.
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form


class NotSent(TimedOut):
    """Timed out waiting for a connection or connecting: the request never left."""


def never_sent(error: TimedOut) -> bool:
    """Whether a timeout happened before the request left (so it is safe to send again)."""
    return isinstance(error, NotSent)


def _seconds(given: object, default: float | None) -> float | None:
    """A timeout as PTB passed it: ours when it passed none, None for no limit."""
    if given is BaseRequest.DEFAULT_NONE:
        return default
    if given is None or isinstance(given, int | float):
        return given
    raise TypeError(f"a timeout must be a number of seconds or None, not {type(given).__name__}")


def _without(url: str, err: BaseException) -> str:
    """The error's text with the request's URL (and so the token) taken out."""
    base, _, _ = url.rpartition("/")
    return str(err).replace(url, "<bot api>").replace(base, "<bot api>")
