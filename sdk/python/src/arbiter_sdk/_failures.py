"""Why one attempt to connect failed, and whether trying again can help: the TypeScript SDK's rules and wording."""

from __future__ import annotations

import asyncio
import errno
import http
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from .errors import ConnectErrorCode

# `transport`: retried `connect_retries` times; `server`: the server asked for later, retried until the deadline.
Retry = Literal[False, "transport", "server"]


@dataclass
class Failure:
    code: ConnectErrorCode
    detail: str
    retry: Retry
    close_code: int | None = None
    status: int | None = None


# Close codes after which reconnecting cannot help.
FINAL_CLOSE = {
    4001: "the session was resumed by another connection",
    4002: "the session was ended by a person",
    4400: "protocol error",
    4401: "the API key is missing, invalid or revoked",
}


def agent_url(url: str) -> str:
    """``ws(s)://host:port`` or ``http(s)://…``, with ``/ws`` added when there is no path."""
    if url.startswith("http"):
        url = "ws" + url[4:]
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a ws://, wss://, http:// or https:// URL: {url!r}")
    path = parts.path if parts.path not in ("", "/") else "/ws"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def display_url(url: str) -> str:
    """The URL as shown in messages: no credentials, no query."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}{parts.path}"


def http_failure(status: int) -> Failure:
    """An HTTP answer to the upgrade. 5xx, 408 and 429 may pass (a restart, a busy balancer)."""
    try:
        text = " " + http.HTTPStatus(status).phrase
    except ValueError:
        text = ""
    hint = " (Arbiter's agent endpoint is /ws)" if status == 404 else ""
    code: ConnectErrorCode = "auth" if status in (401, 403) else "http_status"
    retry: Retry = "server" if status >= 500 or status in (408, 429) else False
    return Failure(code, f"the server refused the WebSocket upgrade with HTTP {status}{text}{hint}", retry, status=status)


def _status_of(err: BaseException) -> int | None:
    # websockets < 14 (legacy client): InvalidStatusCode.status_code; >= 14: InvalidStatus.response.status_code.
    status = getattr(err, "status_code", None)
    if status is None:
        status = getattr(getattr(err, "response", None), "status_code", None)
    return int(status) if status is not None else None


def socket_failure(err: BaseException, host: str) -> Failure:
    """Classifies an exception raised while opening the connection (before any close code)."""
    status = _status_of(err)
    if status is not None:
        return http_failure(status)
    if isinstance(err, ConnectionRefusedError):
        return Failure("connection_refused", "connection refused", "transport")
    if isinstance(err, socket.gaierror):
        if err.errno == socket.EAI_AGAIN:
            return Failure("dns", f"DNS lookup of {host} failed for now (EAI_AGAIN)", "transport")
        return Failure("dns", f"host {host} not found (ENOTFOUND)", False)
    if isinstance(err, ssl.SSLError):
        reason = (err.reason or str(err)).lower().replace("_", " ")
        plain = (
            "; the server does not speak TLS on this port (use ws:// or http://)"
            if re.search(r"wrong version number|packet length too long|http request", reason)
            else ""
        )
        return Failure("tls", f"TLS handshake failed: {reason}{plain}", False)
    if isinstance(err, ssl.CertificateError):
        return Failure("tls", f"TLS handshake failed: {err}", False)
    if isinstance(err, ConnectionResetError) or getattr(err, "errno", None) == errno.ECONNRESET:
        return Failure("network", "the connection was closed during the WebSocket handshake (ECONNRESET)", "transport")
    if isinstance(err, (asyncio.TimeoutError, TimeoutError)):
        return Failure("network", "the WebSocket handshake timed out", "transport")
    name = type(err).__name__
    return Failure("network", f"{err or name} ({name})" if str(err) else name, "transport")


def close_failure(code: int, reason: str) -> Failure:
    """A connection that opened and then closed before ``login_ok``."""
    said = f": {reason}" if reason else ""
    if code == 4401:
        return Failure("auth", f"the API key was refused (close {code}{said})", False, close_code=code)
    if code == 4409:
        return Failure("session_in_use", f"the session is in use by another connection (close {code}{said})", False, close_code=code)
    if code == 4400:
        return Failure("protocol", f"the server refused the login (close {code}{said})", False, close_code=code)
    # 1012 (restarting), 1013 (overloaded), 4408 (login too slow): the server asks for later. 1006: dropped on the way.
    later = code in (1012, 1013, 4408)
    return Failure(
        "network", f"the connection closed before login (close {code}{said})", "server" if later else "transport", close_code=code
    )
