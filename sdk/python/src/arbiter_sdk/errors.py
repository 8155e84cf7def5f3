"""What the SDK raises: a failed connect (``ArbiterConnectError``) and a guarded call that was not allowed (``Blocked``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .verdict import Verdict

__all__ = ["ArbiterConnectError", "Blocked", "ConnectErrorCode"]

ConnectErrorCode = Literal[
    "connection_refused", "dns", "tls", "http_status", "auth", "session_in_use", "protocol", "network", "timeout"
]


class ArbiterConnectError(Exception):
    """Why ``connect`` failed; the same codes as the TypeScript SDK's ``ArbiterConnectError``.

    ``connection_refused``: nothing listens there; ``dns``: the host name does not resolve; ``tls``: the TLS handshake
    failed (e.g. ``wss://`` to a plain port); ``http_status``: the upgrade was answered with an HTTP status
    (``status``; 404 for a wrong path); ``auth``: the API key was refused (close 4401, or HTTP 401/403);
    ``session_in_use``: another connection holds the session (4409); ``protocol``: the server refused the login
    (4400); ``network``: reset, unreachable; ``timeout``: no login within ``connect_timeout`` and nothing else to report.
    """

    def __init__(
        self, code: ConnectErrorCode, message: str, *, close_code: int | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code: ConnectErrorCode = code
        self.message = message
        self.close_code = close_code
        self.status = status


class Blocked(Exception):
    """A guarded call was not allowed: the verdict says why (``reason``, ``source``, ``review_id``)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"blocked by Arbiter ({verdict.source}): {verdict.reason}")
        self.verdict = verdict
        self.reason = verdict.reason
        self.source = verdict.source
        self.review_id = verdict.review_id
        self.event_id = verdict.event_id
