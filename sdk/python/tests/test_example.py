"""The README's Python example is examples/python/guarded_shell.py, and it runs against a real Arbiter and exits 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

from harness import REPO_ROOT, ArbiterServer, Rest

EXAMPLE = REPO_ROOT / "examples" / "python" / "guarded_shell.py"


def test_the_readme_shows_the_example_program() -> None:
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    section = readme.split("\n### Python\n", 1)
    assert len(section) == 2, "README.md has no '### Python' section"
    block = re.search(r"```python\n(.*?)```", section[1], re.S)
    assert block, "the README's Python section has no python block"
    assert block.group(1) == EXAMPLE.read_text("utf-8"), "README.md's Python example differs from examples/python/guarded_shell.py"


def test_the_example_runs_and_exits_0(server: ArbiterServer, rest: Rest) -> None:
    setup = {
        "mode": "hitl",
        "default_action": "review",
        "rules": [
            {"kind": "tool", "tool": "shell.exec", "input_pattern": "^echo ", "action": "allow", "reason": "echo is harmless"},
            {"kind": "tool", "tool": "shell.*", "input_pattern": "\\brm\\s+-\\S*[rR]", "action": "block", "reason": "recursive delete"},
        ],
    }
    project = rest.project_for(setup, f"py-example-{uuid.uuid4().hex[:8]}")
    env = {**os.environ, "ARBITER_URL": server.url, "ARBITER_KEY": project["keys"]["main"]["key"]}
    run = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == [
        "echo hello from a guarded call: allowed, printed 'hello from a guarded call\\n'",
        "rm -rf ./build: blocked (policy: recursive delete)",
    ]
