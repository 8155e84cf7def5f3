"""The agent socket's plumbing that holds no client state: opening it, the login frame, reading how it closed, the
reconnect backoff and the error a failed connect raises. The client's supervisor (``AsyncArbiterClient``) drives it."""

from __future__ import annotations

import random
from typing import Any

from ._failures import Failure, display_url
from .errors import ArbiterConnectError

try:  # websockets >= 13: the new asyncio implementation
    from websockets.asyncio.client import connect as _ws_connect

    _HEADERS_ARG = "additional_headers"
except ImportError:  # websockets 10.4-12 (Debian 12 ships 10.4)
    from websockets.legacy.client import connect as _ws_connect  # type: ignore[no-redef]

    _HEADERS_ARG = "extra_headers"

# Verdict frames may carry an edited input as large as an event's (64 KiB by default); leave room.
_MAX_FRAME_BYTES = 4 * 1024 * 1024


async def open_socket(url: str, api_key: str, timeout: float) -> Any:
    """Opens the agent socket with the API key; raises whatever the attempt failed with (see socket_failure)."""
    return await _ws_connect(
        url,
        open_timeout=timeout,
        max_size=_MAX_FRAME_BYTES,
        **{_HEADERS_ARG: {"Authorization": f"Bearer {api_key}"}},
    )


def login_frame(
    session_label: str, resume_token: str | None, agent_id: str | None, source: str | None
) -> dict[str, Any]:
    login: dict[str, Any] = {"type": "login", "session_id": session_label}
    if resume_token:
        login["resume_token"] = resume_token
    if agent_id:
        login["agent_id"] = agent_id
    if source:
        login["source"] = source
    return login


def close_of(ws: Any) -> tuple[int, str]:
    """The close code and reason the socket ended with, under either websockets implementation (1006 if none)."""
    rcvd = getattr(ws, "close_rcvd", None)
    if rcvd is not None:
        return int(rcvd.code), str(rcvd.reason or "")
    code = getattr(ws, "close_code", None)
    return (int(code) if code is not None else 1006), str(getattr(ws, "close_reason", "") or "")


def backoff_delay(initial: float, maximum: float, attempt: int) -> float:
    """The reconnect delay after `attempt` failures: doubling from the initial delay up to the maximum, with jitter."""
    delay = min(maximum, initial * 2**attempt)
    return delay * (0.5 + random.random() / 2)


def speaks_1_1(protocol: str | None) -> bool:
    try:
        return protocol is not None and tuple(int(p) for p in protocol.split(".")) >= (1, 1)
    except ValueError:
        return False


def connect_error(url: str, opened: int, failure: Failure, note: str | None = None) -> ArbiterConnectError:
    notes = ", ".join(n for n in (note, f"{opened} attempts" if opened > 1 else None) if n)
    # Reached, but refused (an HTTP status or a close code), or not reached at all.
    lead = "cannot connect to" if failure.status is not None or failure.close_code is not None else "cannot reach"
    message = f"{lead} {display_url(url)}: {failure.detail}{f' ({notes})' if notes else ''}"
    return ArbiterConnectError(failure.code, message, close_code=failure.close_code, status=failure.status)
