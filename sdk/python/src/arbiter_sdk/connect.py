"""``connect``: the asyncio client, logged in; awaitable, or an ``async with`` that closes it on the way out."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from .async_client import AsyncArbiterClient

__all__ = ["connect"]


class _Connecting:
    """What ``connect`` returns: await it for the client, or use it in ``async with`` (closed on the way out)."""

    def __init__(self, client: AsyncArbiterClient) -> None:
        self._client = client

    def __await__(self) -> Generator[Any, None, AsyncArbiterClient]:
        return self._connect().__await__()

    async def _connect(self) -> AsyncArbiterClient:
        await self._client._start()
        return self._client

    async def __aenter__(self) -> AsyncArbiterClient:
        return await self._connect()

    async def __aexit__(self, *exc: object) -> None:
        await self._client.close()


def connect(url: str, api_key: str, session_id: str, **options: Any) -> _Connecting:
    """Connects and logs in: ``client = await connect(url=…, api_key=…, session_id=…)``, or
    ``async with connect(…) as client:``. Raises ``ArbiterConnectError`` (its ``code`` and message say why) as soon as
    retrying cannot help or the retries are spent, and at the latest after ``connect_timeout`` seconds.

    Options: ``agent_id``, ``source``, ``on_pending(event_id, review_id)``, ``connect_timeout`` (10 s),
    ``connect_retries`` (3), ``reconnect_initial_delay`` (0.1 s), ``reconnect_max_delay`` (5 s).
    """
    return _Connecting(AsyncArbiterClient(url, api_key, session_id, **options))
