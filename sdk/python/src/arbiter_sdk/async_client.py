"""The asyncio client: one supervisor task per client keeps a connection logged in; ``decide`` waits on a future."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from urllib.parse import urlsplit
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

from websockets.exceptions import ConnectionClosed

from ._calls import RECENT_LIMIT, InFlight, Recent, fallback
from ._connection import backoff_delay, close_of, connect_error, login_frame, open_socket, speaks_1_1
from ._failures import FINAL_CLOSE, Failure, agent_url, close_failure, display_url, socket_failure
from ._frames import answer_to, event_frame
from .canonical import canonical_json, event_input_sha256
from .errors import ArbiterConnectError
from .guard import guard_with
from .verdict import Verdict

__all__ = ["AsyncArbiterClient"]


class AsyncArbiterClient:
    """The agent side of Arbiter for asyncio code: send each intended action, wait for its verdict, act only on allow.

    Reconnects with backoff and resumes its session with the resume token; resends actions still waiting (the server
    answers a repeated event_id with its first answer); acknowledges every verdict (``discarded`` when its caller gave
    up) and hands each to its caller once; checks each verdict's ``input_sha256`` (and an edited one's
    ``original_input_sha256``) against the call it sent; on a timeout withdraws the action (``cancel``) and fails
    closed. Make one with ``await connect(...)``.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        session_id: str,
        *,
        agent_id: str | None = None,
        source: str | None = None,
        on_pending: Callable[[str, str], Any] | None = None,
        connect_timeout: float = 10.0,
        connect_retries: int = 3,
        reconnect_initial_delay: float = 0.1,
        reconnect_max_delay: float = 5.0,
    ) -> None:
        self._url = agent_url(url)
        self._api_key = api_key
        self._session_label = session_id
        self._agent_id = agent_id
        self._source = source
        self._on_pending = on_pending
        self._connect_timeout = connect_timeout
        self._connect_retries = connect_retries
        self._initial_delay = reconnect_initial_delay
        self._max_delay = reconnect_max_delay

        self._ws: Any = None
        self._live = False
        self._protocol: str | None = None
        self._resume_token: str | None = None
        self._session: str | None = None
        self._mode: str | None = None
        self._closed_for_good: str | None = None
        self._attempt = 0
        self._opened = 0
        self._in_flight: dict[str, InFlight] = {}
        self._answered = Recent()  # handed to a caller: replays are acked and dropped
        self._given_up = Recent()  # its caller stopped waiting: a late verdict is acked as discarded
        self._pending_seen = Recent()  # on_pending called once, though a resent event is answered pending again
        # event_id → reason of cancels not answered yet (`cancelled`): sent again after a reconnect.
        self._cancels: OrderedDict[str, str] = OrderedDict()
        self._supervisor: asyncio.Task[None] | None = None
        self._first_login: asyncio.Future[None] | None = None
        self._retry_handle: asyncio.TimerHandle | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------------

    async def _start(self) -> None:
        """Connects and logs in, or raises ArbiterConnectError saying why."""
        loop = asyncio.get_running_loop()
        first: asyncio.Future[None] = loop.create_future()
        self._first_login = first
        last: list[Failure] = []
        self._supervisor = loop.create_task(self._supervise(first, last))
        try:
            await asyncio.wait_for(asyncio.shield(first), self._connect_timeout)
        except asyncio.TimeoutError:
            waited = f"no login within {self._connect_timeout:g} s"
            error = (
                self._connect_error(last[-1], waited)
                if last
                else ArbiterConnectError("timeout", f"cannot reach {display_url(self._url)}: {waited}")
            )
            self._closed_for_good = str(error)
            await self.close()
            raise error from None
        except BaseException:
            self._closed_for_good = self._closed_for_good or "connect failed"
            await self.close()
            raise

    async def close(self) -> None:
        """Closes the connection for good; waiting calls get a block (``client_error``). Idempotent."""
        if self._retry_handle:
            self._retry_handle.cancel()
        for event_id, waiting in list(self._in_flight.items()):
            closed = fallback(event_id, waiting.sha256, waiting.input, "client_error", "client closed")
            await self._give_up(event_id, "client_closed")  # withdrawn, as a timeout would
            if not waiting.future.done():
                waiting.future.set_result(closed)
        self._closed_for_good = self._closed_for_good or "closed by the client"
        task, self._supervisor = self._supervisor, None
        if task and task is not asyncio.current_task() and not task.done():
            task.cancel()
            try:
                await task
            except BaseException:
                pass
        ws, self._ws = self._ws, None
        self._live = False
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(1000, "client closing"), 2.0)
            except BaseException:
                pass

    async def __aenter__(self) -> AsyncArbiterClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- what callers see ------------------------------------------------------------------------------------------

    @property
    def session(self) -> str | None:
        """The server-owned session id (stable across reconnects)."""
        return self._session

    @property
    def mode(self) -> str | None:
        return self._mode

    @property
    def connected(self) -> bool:
        return self._live

    @property
    def protocol(self) -> str | None:
        """The server's protocol version from ``login_ok`` (``"1"`` or ``"1.1"``)."""
        return self._protocol

    async def decide(
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
        """Sends an action and returns its verdict; never raises for a timeout (it blocks, unless ``fail_open``).

        On ``timeout`` the action is withdrawn (a pending review leaves the reviewers' queue) and a verdict that still
        arrives is acknowledged as discarded. If the calling task is cancelled, the action is withdrawn the same way.
        """
        event_id = event_id or str(uuid.uuid4())
        closed = self.closed_verdict(kind, tool, input, event_id)
        if closed is not None:
            return closed
        sha256 = event_input_sha256(kind, tool, input)
        if event_id in self._in_flight:
            raise ValueError(f"event {event_id} is already waiting for its verdict")
        frame = event_frame(event_id, kind, tool, input, agent_id)
        future: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        self._in_flight[event_id] = InFlight(frame, kind, tool, input, sha256, future)
        if self._live:
            await self._send(frame)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            if future.done():
                return future.result()
            await self._give_up(event_id, "client_timeout")
            return fallback(event_id, sha256, input, "client_timeout", f"no verdict within {timeout:g} s", fail_open)
        except asyncio.CancelledError:
            if not future.done():
                await self._give_up(event_id, "aborted")
            raise

    def closed_verdict(self, kind: str, tool: str | None, input: Any, event_id: str | None = None) -> Verdict | None:
        """The block every call gets once the client is closed for good (None while it is not)."""
        if not self._closed_for_good:
            return None
        event_id = event_id or str(uuid.uuid4())
        sha256 = event_input_sha256(kind, tool, input)
        return fallback(event_id, sha256, input, "client_error", self._closed_for_good)

    def guard(
        self, tool: str, *, kind: Literal["tool", "llm"] = "tool", timeout: float = 30.0, fail_open: bool = False
    ) -> Callable[[Callable[..., Any]], Any]:
        """A decorator: the function runs only on allow, with the approved (possibly edited) arguments; otherwise
        ``Blocked`` is raised. Its arguments, by parameter name, are the action's input. With this asyncio client the
        decorated function is awaited (a plain function becomes a coroutine function)."""
        return guard_with(self.decide, None, tool, kind=kind, timeout=timeout, fail_open=fail_open)

    # -- the connection --------------------------------------------------------------------------------------------

    async def _supervise(self, first: asyncio.Future[None], last: list[Failure]) -> None:
        retries_left = self._connect_retries
        deadline = time.monotonic() + self._connect_timeout
        while not self._closed_for_good:
            failure = await self._connect_once()
            if self._closed_for_good:
                return
            delay = self._next_delay()
            if not first.done():
                # Not logged in yet: say why as soon as trying again cannot help or the retries are spent.
                spent = failure.retry == "transport" and retries_left <= 0
                if not failure.retry or spent or time.monotonic() + delay >= deadline:
                    first.set_exception(self._connect_error(failure))
                    self._closed_for_good = "connect failed"
                    return
                if failure.retry == "transport":
                    retries_left -= 1
                last.append(failure)
            elif failure.close_code in FINAL_CLOSE:
                said = f" ({failure.detail})" if failure.detail else ""
                self._closed_for_good = FINAL_CLOSE[failure.close_code] + said
                for event_id, waiting in list(self._in_flight.items()):
                    self._settle(
                        event_id, fallback(event_id, waiting.sha256, waiting.input, "client_error", self._closed_for_good)
                    )
                return
            await asyncio.sleep(delay)

    async def _connect_once(self) -> Failure:
        """One connection: open, log in, serve frames until it closes. Returns why it ended."""
        self._opened += 1
        host = urlsplit(self._url).hostname or ""
        try:
            ws = await open_socket(self._url, self._api_key, self._connect_timeout)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001: every way an attempt can fail is classified
            return socket_failure(err, host)
        self._ws = ws
        logged_in = False
        try:
            login = login_frame(self._session_label, self._resume_token, self._agent_id, self._source)
            await ws.send(json.dumps(login))
            async for message in ws:
                if isinstance(message, bytes):
                    continue
                if await self._on_frame(message):
                    logged_in = True
        except ConnectionClosed:
            pass
        finally:
            self._live = False
        code, reason = close_of(ws)
        if logged_in:
            return Failure("network", reason, False if code in FINAL_CLOSE else "transport", close_code=code)
        return close_failure(code, reason)

    async def _on_frame(self, text: str) -> bool:
        """Handles one server frame; True when it was a login_ok."""
        try:
            frame = json.loads(text)
        except ValueError:
            return False
        if not isinstance(frame, dict):
            return False
        kind = frame.get("type")
        if kind == "login_ok":
            self._live = True
            self._attempt = 0
            self._resume_token = frame.get("resume_token")
            self._session = frame.get("session")
            self._mode = frame.get("mode")
            self._protocol = str(frame.get("protocol"))
            # Whatever was sent before the connection dropped may not have arrived: send again (idempotent by event_id).
            for waiting in list(self._in_flight.values()):
                await self._send(waiting.frame)
            if self._speaks_1_1():
                for event_id, reason in list(self._cancels.items()):
                    await self._send({"type": "cancel", "event_id": event_id, "reason": reason})
            if self._first_login is not None and not self._first_login.done():
                self._first_login.set_result(None)
            return True
        if kind == "verdict":
            await self._on_verdict(frame)
        elif kind == "cancelled":
            self._cancels.pop(str(frame.get("event_id")), None)
        elif kind == "pending":
            event_id = frame.get("event_id")
            if not isinstance(event_id, str) or event_id in self._pending_seen or event_id in self._answered:
                return False
            if event_id not in self._in_flight:
                return False
            self._pending_seen.add(event_id)
            if self._on_pending is not None:
                try:
                    self._on_pending(event_id, str(frame.get("review_id")))
                except Exception:  # noqa: BLE001: a callback's failure must not end the connection
                    pass
        elif kind == "error":
            if frame.get("code") == "internal" and self._live:
                # The server could not record an action just now: try the waiting ones again shortly, once per round.
                if self._retry_handle is None:
                    self._retry_handle = asyncio.get_running_loop().call_later(0.25, self._retry_waiting)
            elif isinstance(frame.get("event_id"), str) and frame.get("code") == "validation_failed":
                event_id = frame["event_id"]
                waiting = self._in_flight.get(event_id)
                if waiting:
                    reason = f"refused: {frame.get('message')}"
                    self._settle(event_id, fallback(event_id, waiting.sha256, waiting.input, "client_error", reason))
        return False

    def _retry_waiting(self) -> None:
        self._retry_handle = None
        if self._live:
            for waiting in list(self._in_flight.values()):
                asyncio.ensure_future(self._send(waiting.frame))

    async def _on_verdict(self, frame: dict[str, Any]) -> None:
        event_id = frame.get("event_id")
        if not isinstance(event_id, str):
            return
        waiting = self._in_flight.get(event_id)
        if waiting is None:
            # A replay of something already answered, or a verdict whose caller gave up: stop its redelivery.
            await self._ack(event_id, "discarded" if event_id in self._given_up else "received")
            return
        status, verdict = answer_to(event_id, frame, waiting)
        await self._ack(event_id, status)
        self._settle(event_id, verdict)

    def _settle(self, event_id: str, verdict: Verdict) -> None:
        waiting = self._in_flight.pop(event_id, None)
        if waiting is None:
            return
        self._answered.add(event_id)
        self._pending_seen.discard(event_id)
        if not waiting.future.done():
            waiting.future.set_result(verdict)

    async def _give_up(self, event_id: str, reason: str) -> None:
        """The caller stopped waiting: withdraw the action; a verdict that still comes is acked as discarded."""
        if self._in_flight.pop(event_id, None) is None:
            return
        self._given_up.add(event_id)
        self._pending_seen.discard(event_id)
        self._cancels[event_id] = reason
        if len(self._cancels) > RECENT_LIMIT:
            self._cancels.popitem(last=False)
        if self._speaks_1_1():
            await self._send({"type": "cancel", "event_id": event_id, "reason": reason})

    async def _ack(self, event_id: str, status: Literal["received", "discarded"]) -> None:
        frame: dict[str, Any] = {"type": "ack", "event_id": event_id}
        # A 1.0 server refuses unknown fields; its acks mean "received" anyway.
        if self._speaks_1_1():
            frame["status"] = status
        await self._send(frame)

    def _speaks_1_1(self) -> bool:
        return speaks_1_1(self._protocol)

    async def _send(self, frame: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None or not self._live:
            return
        try:
            # Canonical text: the server reads exactly the numbers and strings that were hashed.
            await ws.send(canonical_json(frame))
        except ConnectionClosed:
            pass  # resent after the reconnect

    def _next_delay(self) -> float:
        """The next reconnect delay: doubling from the initial delay up to the maximum, with jitter."""
        delay = backoff_delay(self._initial_delay, self._max_delay, self._attempt)
        self._attempt += 1
        return delay

    def _connect_error(self, failure: Failure, note: str | None = None) -> ArbiterConnectError:
        return connect_error(self._url, self._opened, failure, note)
