"""Arbiter's agent SDK: ask before acting, wait for a policy or a human reviewer, act only on allow.

    import arbiter_sdk

    async with arbiter_sdk.connect(url="http://localhost:3000", api_key=KEY, session_id="build-42") as client:
        verdict = await client.decide(kind="tool", tool="shell.exec", input={"cmd": "npm run build"}, timeout=60)
        if verdict.decision == "allow":
            ...

``ArbiterClient`` is the same for code that is not async.
"""

from .async_client import AsyncArbiterClient
from .connect import connect
from .canonical import canonical_json, event_input_sha256
from .errors import ArbiterConnectError, Blocked, ConnectErrorCode
from .sync_client import ArbiterClient
from .verdict import Verdict, VerdictSource

__version__ = "0.1.0"

__all__ = [
    "ArbiterClient",
    "ArbiterConnectError",
    "AsyncArbiterClient",
    "Blocked",
    "ConnectErrorCode",
    "Verdict",
    "VerdictSource",
    "canonical_json",
    "connect",
    "event_input_sha256",
]
