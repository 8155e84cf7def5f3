"""The canonical JSON and hash against the TypeScript module the server itself imports (sdk/typescript/dist)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from arbiter_sdk import canonical_json, event_input_sha256
from arbiter_sdk.canonical import js_number
from harness import REPO_ROOT

# Parsed by both sides from the same JSON text, then canonicalised by each.
CASES = [
    "1e21", "1e20", "-0.0", "0.1", "1e-7", "0.000001", "1.0", "9007199254740993", "-9007199254740993",
    "123456789012345678901234567890", "5e-324", "1.7976931348623157e308", "2.5e-10", "-1.5", "100", "1e400",
    '"\\u0001\\u001f\\u007f\\u2028\\u2029\\"\\\\/\\t\\n\\b\\f\\r"', '"\\ud800"', '"\\udc00x\\ud83d"', '"\\ud83d\\ude00"',
    '{"é": 1, "😀": 2, "\\uffff": 3, "Z": 4, "a": 5, "": 6, "aa": 7, "a\\u0000": 8}',
    '{"b": [1, {"d": null, "c": true}], "a": {"z": false, "y": []}}',
    "[]", "{}", "null", "true", '"plain"',
]


def node_canonical(texts: list[str]) -> list[list[str]]:
    script = """
      import { canonicalJson, eventInputSha256 } from './sdk/typescript/dist/canonical.js';
      const texts = JSON.parse(process.argv[1]);
      console.log(JSON.stringify(texts.map((t) => { const v = JSON.parse(t); return [canonicalJson(v), eventInputSha256({ kind: 'tool', tool: 'x.y', input: v })]; })));
    """
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(texts)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    return list(json.loads(out.stdout))


def test_matches_the_typescript_canonical_form_and_hash() -> None:
    expected = node_canonical(CASES)
    for text, (canonical, sha) in zip(CASES, expected):
        value: Any = json.loads(text)
        assert canonical_json(value) == canonical, text
        assert event_input_sha256("tool", "x.y", value) == sha, text


@pytest.mark.parametrize(
    "value, text",
    [(1e21, "1e+21"), (-0.0, "0"), (0.1, "0.1"), (1e-7, "1e-7"), (123.0, "123"), (float("nan"), "null"), (float("inf"), "null")],
)
def test_numbers_as_javascript_writes_them(value: float, text: str) -> None:
    assert js_number(value) == text


def test_refuses_what_has_no_json_form() -> None:
    with pytest.raises(TypeError):
        canonical_json({1: "x"})
    with pytest.raises(TypeError):
        canonical_json({"when": object()})
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(TypeError):
        canonical_json(cyclic)


def test_hash_of_absent_tool_and_input() -> None:
    assert canonical_json({"input": None, "kind": "llm", "tool": None}) == '{"input":null,"kind":"llm","tool":null}'
    import hashlib

    assert event_input_sha256("llm", None, None) == hashlib.sha256(b'{"input":null,"kind":"llm","tool":null}').hexdigest()
