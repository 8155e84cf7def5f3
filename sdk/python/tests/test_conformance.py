"""The shared SDK conformance scenarios (sdk/conformance/scenarios.json), run with the Python SDK; the TypeScript SDK
runs the same file in test/sdk/conformance.spec.ts."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

import arbiter_sdk
from arbiter_sdk import ArbiterConnectError, AsyncArbiterClient, Verdict
from harness import ArbiterServer, Rest, free_port, load_scenarios, wait_until

SCENARIOS = load_scenarios()


@dataclass
class Call:
    client: str
    event_id: str
    task: asyncio.Task[Verdict]
    review_id: str | None = None
    pendings: int = 0


@dataclass
class Run:
    server: ArbiterServer
    rest: Rest
    project: dict[str, Any]
    clients: dict[str, AsyncArbiterClient] = field(default_factory=dict)
    sessions: dict[str, str | None] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)

    async def off_loop(self, fn: Any, *args: Any) -> Any:
        """REST calls and process control block: run them off the event loop, which keeps the clients going."""
        return await asyncio.to_thread(fn, *args)


async def _connect(run: Run, step: dict[str, Any]) -> None:
    name = step["client"]
    key = run.project["keys"][step.get("key", "main")]["key"]

    def on_pending(event_id: str, review_id: str) -> None:
        for call in run.calls.values():
            if call.client == name and call.event_id == event_id:
                call.pendings += 1

    client = await arbiter_sdk.connect(
        url=run.server.url, api_key=key, session_id=step.get("session", f"conformance-{name}"), on_pending=on_pending
    )
    run.clients[name] = client
    run.sessions[name] = client.session


async def _connect_fails(run: Run, step: dict[str, Any]) -> None:
    where = step.get("url", "server")
    url = {
        "server": run.server.url,
        "wrong_path": f"{run.server.url}/agents",
        "closed_port": f"ws://127.0.0.1:{free_port()}",
        "tls_to_plain": run.server.url.replace("http://", "wss://"),
    }[where]
    key = run.project["keys"][step.get("key", "main")]["key"]
    with pytest.raises(ArbiterConnectError) as caught:
        client = await arbiter_sdk.connect(url=url, api_key=key, session_id=step.get("session", "conformance-fails"))
        await client.close()
    expect = step["expect"]
    err = caught.value
    assert err.code == expect["code"], str(err)
    if "status" in expect:
        assert err.status == expect["status"], str(err)
    if "message_contains" in expect:
        assert expect["message_contains"] in str(err)


async def _step(run: Run, step: dict[str, Any]) -> None:
    do = step["do"]
    if do == "connect":
        await _connect(run, step)
    elif do == "connect_fails":
        await _connect_fails(run, step)
    elif do == "decide":
        client = run.clients[step["client"]]
        event_id = step.get("event_id", str(uuid.uuid4()))
        task = asyncio.ensure_future(
            client.decide(
                kind=step.get("kind", "tool"),
                tool=step.get("tool"),
                input=step.get("input"),
                timeout=step.get("timeout_s", 30),
                fail_open=step.get("fail_open", False),
                event_id=event_id,
            )
        )
        run.calls[step["as"]] = Call(step["client"], event_id, task)
    elif do == "wait_pending":
        call = run.calls[step["decision"]]
        session = run.sessions[call.client]
        assert session is not None
        review = await run.off_loop(
            wait_until, f"the review of {step['decision']}", lambda: run.rest.pending_review(run.project["id"], session, call.event_id)
        )
        call.review_id = review["id"]
    elif do == "review":
        call = run.calls[step["decision"]]
        assert call.review_id, f"{step['decision']} has no review (wait_pending first)"
        res = await run.off_loop(run.rest.decide_review, call.review_id, step["verdict"], step.get("note"), step.get("input"))
        assert res.status == step.get("expect_status", 200), f"{res.status} {res.body}"
        if "expect_code" in step:
            assert res.body["error"]["code"] == step["expect_code"], res.body
    elif do == "await":
        await asyncio.wait_for(asyncio.shield(run.calls[step["decision"]].task), 120)
    elif do == "wait_review_status":
        call = run.calls[step["decision"]]
        await run.off_loop(
            wait_until,
            f"review status {step['status']}",
            lambda: True if run.rest.review(call.review_id)["status"] == step["status"] else None,
        )
    elif do == "expect_waiting":
        call = run.calls[step["decision"]]
        await asyncio.sleep(0.3)  # a wrong delivery would have come with the one awaited before this step
        assert not call.task.done(), f"{step['decision']} was answered: {call.task.result()}"
    elif do == "restart_server":
        await run.off_loop(run.server.restart)
    elif do == "wait_connected":
        client = run.clients[step["client"]]
        deadline = asyncio.get_running_loop().time() + 30
        while not client.connected:
            assert asyncio.get_running_loop().time() < deadline, "the client did not reconnect within 30 s"
            await asyncio.sleep(0.05)
    elif do == "revoke_key":
        await run.off_loop(run.rest.revoke_key, run.project["keys"][step["key"]]["id"])
    else:
        raise AssertionError(f"unknown step {do!r}")


def _check_verdict(alias: str, call: Call, verdict: Verdict, expected: dict[str, Any]) -> None:
    where = f"{alias}: {verdict}"
    assert verdict.decision == expected["decision"], where
    assert verdict.source == expected["source"], where
    assert verdict.event_id == call.event_id, where
    if "reason" in expected:
        assert verdict.reason == expected["reason"], where
    if "reason_contains" in expected:
        assert expected["reason_contains"] in verdict.reason, where
    if "review" in expected:
        assert verdict.review_id == (call.review_id if expected["review"] else None), where
    if "edited" in expected:
        assert verdict.edited is expected["edited"], where
    if "input" in expected:
        assert verdict.input == expected["input"], where
    if "input_sha256" in expected:
        assert verdict.input_sha256 == expected["input_sha256"], where


async def _run_scenario(scenario: dict[str, Any], server: ArbiterServer, rest: Rest) -> None:
    project = await asyncio.to_thread(rest.project_for, scenario["setup"], f"py-{uuid.uuid4().hex[:8]}")
    run = Run(server, rest, project)
    try:
        for step in scenario["steps"]:
            await _step(run, step)
        expected = scenario["expected"]
        for alias, want in expected.get("verdicts", {}).items():
            call = run.calls[alias]
            verdict = await asyncio.wait_for(asyncio.shield(call.task), 120)
            _check_verdict(alias, call, verdict, want)
        for alias, status in expected.get("reviews", {}).items():
            review = await run.off_loop(run.rest.review, run.calls[alias].review_id)
            assert review["status"] == status, f"{alias}: review {review}"
        for alias, count in expected.get("pending_calls", {}).items():
            assert run.calls[alias].pendings == count, f"{alias}: on_pending called {run.calls[alias].pendings} times"
        for name in expected.get("same_session", []):
            assert run.clients[name].session == run.sessions[name], f"{name} resumed into another session"
        if "distinct_sessions" in expected:
            sessions = [run.sessions[name] for name in expected["distinct_sessions"]]
            assert len(set(sessions)) == len(sessions), f"shared sessions: {sessions}"
    finally:
        for call in run.calls.values():
            call.task.cancel()
        for client in run.clients.values():
            await client.close()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
async def test_scenario(scenario: dict[str, Any], server: ArbiterServer, rest: Rest) -> None:
    await _run_scenario(scenario, server, rest)
