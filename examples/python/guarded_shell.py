"""The smallest guarded tool call: a shell command runs only when Arbiter allows it."""

import os
import subprocess

import arbiter_sdk

client = arbiter_sdk.ArbiterClient(
    url=os.environ.get("ARBITER_URL", "http://localhost:3000"),
    api_key=os.environ["ARBITER_KEY"],
    session_id="python-example",
)


@client.guard("shell.exec", timeout=300)  # waits up to 300 s for a reviewer, then blocks
def shell(cmd: str) -> str:
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=True).stdout


try:
    for cmd in ["echo hello from a guarded call", "rm -rf ./build"]:
        try:
            print(f"{cmd}: allowed, printed {shell(cmd)!r}")
        except arbiter_sdk.Blocked as blocked:
            print(f"{cmd}: blocked ({blocked.source}: {blocked.reason})")
finally:
    client.close()
