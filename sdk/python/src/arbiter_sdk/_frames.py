"""The frames the asyncio client builds and reads without touching its state: an action's event frame, and what a
verdict frame for a waiting call turns into (the ack it gets and the verdict its caller is handed)."""

from __future__ import annotations

from typing import Any, Literal

from ._calls import InFlight, fallback, hash_problem
from .verdict import Verdict


def event_frame(event_id: str, kind: str, tool: str | None, input: Any, agent_id: str | None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "event", "event_id": event_id, "kind": kind}
    if tool is not None:
        frame["tool"] = tool
    if input is not None:
        frame["input"] = input
    if agent_id is not None:
        frame["agent_id"] = agent_id
    return frame


def answer_to(
    event_id: str, frame: dict[str, Any], waiting: InFlight
) -> tuple[Literal["received", "discarded"], Verdict]:
    """A verdict frame for a waiting call: its ack status, and the verdict for the caller, a block (``client_error``)
    when its hashes do not match the call that was sent."""
    problem = hash_problem(frame, waiting)
    if problem:
        return "discarded", fallback(event_id, waiting.sha256, waiting.input, "client_error", problem)
    edited = frame.get("edited") is True
    return "received", Verdict(
        event_id=event_id,
        decision="allow" if frame.get("decision") == "allow" else "block",
        reason=str(frame.get("reason", "")),
        source=frame.get("source", "policy"),
        review_id=frame.get("review_id"),
        input_sha256=str(frame.get("input_sha256")),
        input=frame.get("input") if edited else waiting.input,
        edited=edited,
        original_input_sha256=frame.get("original_input_sha256") if edited else None,
    )
