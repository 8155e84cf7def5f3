"""The synchronous client, for code that is not async: the asyncio client on an event loop in a thread of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

from .async_client import AsyncArbiterClient
from .guard import guard_with
from .verdict import Verdict

__all__ = ["ArbiterClient"]

_T = TypeVar("_T")


class ArbiterClient:
    """``ArbiterClient(url=…, api_key=…, session_id=…)`` connects at once (raising ``ArbiterConnectError`` as
    ``connect`` does); ``decide`` blocks until the verdict. Use it as a context manager, or call ``close()``: the
    connection lives on a daemon thread. Safe to use from several threads at once."""

    def __init__(self, url: str, api_key: str, session_id: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="arbiter-sdk", daemon=True)
        self._thread.start()
        self._closed = False
        self._client = AsyncArbiterClient(url, api_key, session_id, **options)
        try:
            self._run(self._client._start())
        except BaseException:
            self._stop_loop()
            raise

    def _submit(self, coroutine: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def _run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return self._submit(coroutine).result()

    @property
    def session(self) -> str | None:
        """The server-owned session id (stable across reconnects)."""
        return self._client.session

    @property
    def mode(self) -> str | None:
        return self._client.mode

    @property
    def connected(self) -> bool:
        return self._client.connected

    @property
    def protocol(self) -> str | None:
        return self._client.protocol

    def decide(
        self,
        kind: Literal["tool", "llm"] = "tool",
        tool: str | None = None,
        input: Any = None,
        *,
        timeout: float = 30.0,
        fail_open: bool = False,
        event_id: str | None = None,
        agent_id: str | None = None,
    ) -> Verdict:
        """As ``AsyncArbiterClient.decide``, blocking the calling thread until the verdict."""
        closed = self._client.closed_verdict(kind, tool, input, event_id)
        if closed is not None:
            return closed  # the loop may be gone already
        return self._run(
            self._client.decide(
                kind, tool, input, timeout=timeout, fail_open=fail_open, event_id=event_id, agent_id=agent_id
            )
        )

    async def decide_async(self, **kwargs: Any) -> Verdict:
        """``decide`` for a coroutine running on another event loop (used by ``guard`` on async functions)."""
        return await asyncio.wrap_future(self._submit(self._client.decide(**kwargs)))

    def guard(
        self, tool: str, *, kind: Literal["tool", "llm"] = "tool", timeout: float = 30.0, fail_open: bool = False
    ) -> Callable[[Callable[..., Any]], Any]:
        """A decorator: the function runs only on allow, with the approved (possibly edited) arguments; otherwise
        ``Blocked`` is raised. Works on plain and async functions; its arguments, by name, are the action's input."""
        return guard_with(self.decide_async, self.decide, tool, kind=kind, timeout=timeout, fail_open=fail_open)

    def close(self) -> None:
        """Closes the connection and stops its thread; waiting calls get a block (``client_error``). Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._run(self._client.close())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> ArbiterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
