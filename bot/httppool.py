"""Bot API calls spread over several small HTTP connection pools.

httpcore walks every connection of its pool, checking each socket, whenever a request starts or
ends, so one pool of 80 connections costs hundreds of socket checks per message: at a paid
broadcast's 1000 messages a second that walk, not Telegram, was the limit. Several pools of a
few connections each, the least busy one taking the next call, keep each walk short.
"""

from __future__ import annotations

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, HTTPXRequest, RequestData

# Enough connections for every send the delivery worker allows at once, plus replies to users.
SHARDS = 20
PER_SHARD = 4


class PooledRequest(BaseRequest):
    """A BaseRequest over `shards` HTTPXRequest pools of `per_shard` connections each."""

    @classmethod
    def with_timeout(cls, seconds: float) -> PooledRequest:
        return cls(read_timeout=seconds, write_timeout=seconds, connect_timeout=seconds)

    def __init__(
        self,
        *,
        read_timeout: float | None,
        write_timeout: float | None,
        connect_timeout: float | None,
        pool_timeout: float | None = 1.0,
        shards: int = SHARDS,
        per_shard: int = PER_SHARD,
    ) -> None:
        self._shards = [
            HTTPXRequest(
                connection_pool_size=per_shard,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
            for _ in range(shards)
        ]
        self._busy = [0] * shards

    @property
    def read_timeout(self) -> float | None:
        return self._shards[0].read_timeout

    async def initialize(self) -> None:
        for shard in self._shards:
            await shard.initialize()

    async def shutdown(self) -> None:
        for shard in self._shards:
            await shard.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        index = min(range(len(self._shards)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            return await self._shards[index].do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        finally:
            self._busy[index] -= 1
