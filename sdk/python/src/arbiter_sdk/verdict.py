"""The answer to one action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Verdict", "VerdictSource"]

VerdictSource = Literal["policy", "review", "timeout", "client_timeout", "client_abort", "client_error"]


@dataclass(frozen=True)
class Verdict:
    """``source``: ``policy`` (rules decided), ``review`` (a person), ``timeout`` (the review expired),
    ``client_timeout`` (no verdict within ``timeout``: blocked unless ``fail_open``), ``client_abort`` (the caller's
    task was cancelled) or ``client_error`` (the connection ended for good, or the verdict failed its hash check).

    ``input`` is what to run: the reviewer's edit when ``edited``, else the caller's own input.
    """

    event_id: str
    decision: Literal["allow", "block"]
    reason: str
    source: VerdictSource
    review_id: str | None
    input_sha256: str
    input: Any = None
    edited: bool = False
    original_input_sha256: str | None = None

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"
