"""The bookkeeping of calls waiting for their verdicts, and the checks a verdict must pass to be handed over."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .canonical import event_input_sha256
from .verdict import Verdict, VerdictSource

RECENT_LIMIT = 10_000


@dataclass
class InFlight:
    frame: dict[str, Any]
    kind: str
    tool: str | None
    input: Any
    sha256: str
    future: asyncio.Future[Verdict]


class Recent:
    """A bounded set of event ids, oldest dropped first."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> None:
        self._items[key] = None
        if len(self._items) > RECENT_LIMIT:
            self._items.popitem(last=False)

    def discard(self, key: str) -> None:
        self._items.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._items


def fallback(
    event_id: str, sha256: str, input: Any, source: VerdictSource, reason: str, allow: bool = False
) -> Verdict:
    return Verdict(event_id, "allow" if allow else "block", reason, source, None, sha256, input=input)



def hash_problem(frame: dict[str, Any], waiting: InFlight) -> str | None:
    """Why this verdict cannot be for the call that was sent, or None."""
    if frame.get("edited") is True:
        if frame.get("original_input_sha256") != waiting.sha256:
            return "the edited verdict is for a different call than the one sent"
        try:
            edited_sha = event_input_sha256(waiting.kind, waiting.tool, frame.get("input"))
        except (TypeError, ValueError):
            return "the edited input has no canonical form"
        if frame.get("input_sha256") != edited_sha:
            return "the edited input does not match its input_sha256"
        return None
    if frame.get("input_sha256") != waiting.sha256:
        return "the verdict is for a different call than the one sent"
    return None
