"""The synchronous client, the guard decorator and the URL forms against a real Arbiter; what only a misbehaving or
late server can show (late verdicts, tampered edits, a 1.0 server) against a scripted WebSocket peer."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import websockets

import arbiter_sdk
from arbiter_sdk import ArbiterClient, Blocked, event_input_sha256
from harness import ArbiterServer, Rest, wait_until

SETUP = {
    "mode": "hitl",
    "default_action": "review",
    "allow_edits": True,
    "rules": [
        {"kind": "tool", "tool": "web.search", "action": "allow", "reason": "web search"},
        {"kind": "tool", "tool": "shell.exec", "input_pattern": "^rm ", "action": "block", "reason": "no rm"},
    ],
}


@pytest.fixture()
def project(rest: Rest) -> dict[str, Any]:
    return rest.project_for(SETUP, f"py-clients-{uuid.uuid4().hex[:8]}")


def test_sync_client_decides_and_guards_plain_functions(server: ArbiterServer, project: dict[str, Any]) -> None:
    key = project["keys"]["main"]["key"]
    with ArbiterClient(url=server.url, api_key=key, session_id="sync") as client:
        verdict = client.decide(kind="tool", tool="web.search", input={"q": "x"}, timeout=30)
        assert (verdict.decision, verdict.source, verdict.reason, verdict.input) == ("allow", "policy", "web search", {"q": "x"})

        ran: list[str] = []

        @client.guard("shell.exec")
        def shell(cmd: str, cwd: str = "/tmp") -> str:
            ran.append(cmd)
            return f"ran {cmd} in {cwd}"

        with pytest.raises(Blocked) as blocked:
            shell("rm -rf /")
        assert (blocked.value.reason, blocked.value.source, blocked.value.review_id) == ("no rm", "policy", None)
        assert ran == []


async def test_guard_runs_the_reviewers_edit_on_async_functions(server: ArbiterServer, rest: Rest, project: dict[str, Any]) -> None:
    key = project["keys"]["main"]["key"]
    async with arbiter_sdk.connect(url=server.url.replace("http://", "ws://"), api_key=key, session_id="guard") as client:
        calls: list[tuple[str, str]] = []

        @client.guard("shell.exec", timeout=60)
        async def shell(cmd: str, cwd: str = "/srv") -> str:
            calls.append((cmd, cwd))
            return "done"

        running = asyncio.ensure_future(shell("npm publish"))
        session = client.session
        assert session is not None
        review = await asyncio.to_thread(
            wait_until, "the review", lambda: next(iter(rest.ok("GET", f"/api/reviews?status=pending&project={project['id']}")["items"]), None)
        )
        assert review["session_id"] == session
        res = await asyncio.to_thread(rest.decide_review, review["id"], "approve", None, {"cmd": "npm publish --dry-run", "cwd": "/srv"})
        assert res.status == 200, res.body
        assert await running == "done"
        assert calls == [("npm publish --dry-run", "/srv")]


def test_sync_client_guards_async_functions_too(server: ArbiterServer, project: dict[str, Any]) -> None:
    key = project["keys"]["main"]["key"]
    client = ArbiterClient(url=f"{server.url}/ws", api_key=key, session_id="sync-async")
    try:

        @client.guard("web.search")
        async def search(q: str) -> str:
            return f"results for {q}"

        assert asyncio.run(search(q="arbiter")) == "results for arbiter"
    finally:
        client.close()
    assert client.decide(tool="web.search", input={"q": "late"}).source == "client_error"


# --- a scripted peer ------------------------------------------------------------------------------------------------

Script = Callable[[Any, list[dict[str, Any]]], Any]


async def _peer(script: Script, protocol: Any = "1.1") -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    async def handler(ws: Any, *_: Any) -> None:
        login = json.loads(await ws.recv())
        received.append(login)
        await ws.send(json.dumps({"type": "login_ok", "session": "s-1", "connection_id": "c", "epoch": 1, "resume_token": "t", "mode": "hitl", "protocol": protocol}))
        await script(ws, received)
        try:
            async for message in ws:
                received.append(json.loads(message))
        except websockets.ConnectionClosed:
            pass

    server = await websockets.serve(handler, "127.0.0.1", 0)
    port = list(server.sockets)[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}", received
    finally:
        server.close()
        await server.wait_closed()


async def _next_event(ws: Any, received: list[dict[str, Any]]) -> dict[str, Any]:
    while True:
        frame = json.loads(await ws.recv())
        received.append(frame)
        if frame["type"] == "event":
            return frame


def _verdict_for(event: dict[str, Any], **extra: Any) -> str:
    sha = event_input_sha256(event["kind"], event.get("tool"), event.get("input"))
    return json.dumps({"type": "verdict", "event_id": event["event_id"], "decision": "allow", "reason": "ok", "source": "review", "review_id": "r-1", "input_sha256": sha, **extra})


async def test_a_verdict_after_the_timeout_is_acked_as_discarded_and_the_action_withdrawn() -> None:
    async def script(ws: Any, received: list[dict[str, Any]]) -> None:
        event = await _next_event(ws, received)
        await ws.send(json.dumps({"type": "pending", "event_id": event["event_id"], "review_id": "r-1"}))
        while not any(f["type"] == "cancel" for f in received):
            received.append(json.loads(await ws.recv()))
        await ws.send(_verdict_for(event))

    async for url, received in _peer(script):
        async with arbiter_sdk.connect(url=url, api_key="arb_x_y", session_id="late") as client:
            verdict = await client.decide(tool="shell.exec", input={"cmd": "make"}, timeout=0.3, event_id="e-1")
            assert (verdict.decision, verdict.source) == ("block", "client_timeout")
            await asyncio.wait_for(_until(lambda: any(f["type"] == "ack" for f in received)), 5)
        assert {"type": "cancel", "event_id": "e-1", "reason": "client_timeout"} in received
        assert {"type": "ack", "event_id": "e-1", "status": "discarded"} in received


async def test_an_edited_verdict_for_another_call_is_refused_and_acked_discarded() -> None:
    async def script(ws: Any, received: list[dict[str, Any]]) -> None:
        event = await _next_event(ws, received)
        edited = {"cmd": "make install"}
        await ws.send(_verdict_for(event, edited=True, input=edited, original_input_sha256="0" * 64, input_sha256=event_input_sha256("tool", "shell.exec", edited)))

    async for url, received in _peer(script):
        async with arbiter_sdk.connect(url=url, api_key="arb_x_y", session_id="tampered") as client:
            verdict = await client.decide(tool="shell.exec", input={"cmd": "make"}, timeout=5, event_id="e-2")
            assert (verdict.decision, verdict.source, verdict.input) == ("block", "client_error", {"cmd": "make"})
            assert "different call" in verdict.reason
            await asyncio.wait_for(_until(lambda: any(f["type"] == "ack" for f in received)), 5)
        assert {"type": "ack", "event_id": "e-2", "status": "discarded"} in received


async def test_a_1_0_server_gets_no_cancel_and_no_ack_status() -> None:
    async def script(ws: Any, received: list[dict[str, Any]]) -> None:
        event = await _next_event(ws, received)
        await ws.send(_verdict_for(event))
        await _next_event(ws, received)  # the second one is left to time out

    async for url, received in _peer(script, protocol=1):
        async with arbiter_sdk.connect(url=url, api_key="arb_x_y", session_id="old") as client:
            assert (await client.decide(tool="t", input=1, event_id="e-3")).decision == "allow"
            assert (await client.decide(tool="t", input=2, event_id="e-4", timeout=0.3)).source == "client_timeout"
        assert {"type": "ack", "event_id": "e-3"} in received
        assert not any(f["type"] == "cancel" or "status" in f for f in received)


async def test_a_session_ended_by_a_person_is_not_reconnected() -> None:
    logins = 0

    async def script(ws: Any, received: list[dict[str, Any]]) -> None:
        nonlocal logins
        logins += 1
        await _next_event(ws, received)
        await ws.close(4002, "session_ended")

    async for url, received in _peer(script):
        async with arbiter_sdk.connect(url=url, api_key="arb_x_y", session_id="ended", reconnect_initial_delay=0.05) as client:
            verdict = await client.decide(tool="shell.exec", input={"cmd": "make"}, timeout=5, event_id="e-6")
            assert (verdict.decision, verdict.source) == ("block", "client_error")
            assert "ended by a person" in verdict.reason
            later = await client.decide(tool="shell.exec", input={"cmd": "make"}, timeout=5, event_id="e-7")
            assert (later.decision, later.source) == ("block", "client_error")
            await asyncio.sleep(0.3)
        assert logins == 1


async def _until(check: Callable[[], bool]) -> None:
    while not check():
        await asyncio.sleep(0.02)


async def test_close_withdraws_the_calls_still_waiting() -> None:
    async def script(ws: Any, received: list[dict[str, Any]]) -> None:
        await _next_event(ws, received)  # never answered

    async for url, received in _peer(script):
        client = await arbiter_sdk.connect(url=url, api_key="arb_x_y", session_id="closing")
        waiting = asyncio.ensure_future(client.decide(tool="shell.exec", input={"cmd": "make"}, timeout=30, event_id="e-5"))
        await asyncio.wait_for(_until(lambda: any(f["type"] == "event" for f in received)), 5)
        await client.close()
        verdict = await asyncio.wait_for(waiting, 5)
        assert (verdict.decision, verdict.source, verdict.reason) == ("block", "client_error", "client closed")
        assert {"type": "cancel", "event_id": "e-5", "reason": "client_closed"} in received


@pytest.mark.parametrize(
    "given, used",
    [
        ("ws://127.0.0.1:3000", "ws://127.0.0.1:3000/ws"),
        ("http://localhost:3000/", "ws://localhost:3000/ws"),
        ("https://arbiter.example.com", "wss://arbiter.example.com/ws"),
        ("wss://arbiter.example.com/agents/ws", "wss://arbiter.example.com/agents/ws"),
    ],
)
def test_url_forms(given: str, used: str) -> None:
    from arbiter_sdk._failures import agent_url

    assert agent_url(given) == used


def test_a_url_that_is_not_websocket_or_http_is_refused() -> None:
    with pytest.raises(ValueError):
        arbiter_sdk.AsyncArbiterClient("ftp://example.com", "arb_x_y", "s")
