"""The canonical JSON of an agent's action and its hash, byte for byte as the server computes them.

The rules are the TypeScript SDK's (sdk/typescript/src/canonical.ts, which the server imports): object keys sorted
recursively by UTF-16 code units (as JavaScript sorts strings), no whitespace, and everything else exactly as
JavaScript's ``JSON.stringify`` writes it: numbers in their shortest round-trip form (``1e+21``, ``1e-7``, ``-0`` as
``0``), non-finite numbers as ``null``, non-ASCII characters as themselves and lone surrogates escaped.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["canonical_json", "event_input_sha256", "js_number"]

# Integers beyond this are doubles in JavaScript: they are written as the nearest double is.
_MAX_SAFE_INTEGER = 2**53 - 1
# A Python str holds a surrogate only when built from one (e.g. json.loads of "\ud800"); a pair written as two
# characters is one character to JavaScript, a lone one is escaped.
_SURROGATES = re.compile("([\ud800-\udbff][\udc00-\udfff])|[\ud800-\udfff]")


def _surrogate(match: re.Match[str]) -> str:
    pair = match.group(1)
    if pair is not None:
        return pair.encode("utf-16-be", "surrogatepass").decode("utf-16-be")
    return "\\u%04x" % ord(match.group(0))


def _string(text: str) -> str:
    # json.dumps escapes exactly what JSON.stringify does (", \\, control characters, \b\f\n\r\t short forms,
    # lowercase \u00xx), and with ensure_ascii=False leaves the rest as it is.
    out = json.dumps(text, ensure_ascii=False)
    return _SURROGATES.sub(_surrogate, out) if _SURROGATES.search(out) else out


def js_number(value: float) -> str:
    """A finite or non-finite number as JavaScript's ``JSON.stringify`` writes it (Number::toString)."""
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == 0:
        return "0"  # -0 too
    # repr() is the shortest string that reads back as the same double, as JavaScript's is; only its layout differs.
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    all_digits = "".join(map(str, digit_tuple))
    n = int(exponent) + len(all_digits)  # value = 0.d1d2… × 10^n
    digits = all_digits.rstrip("0")
    k = len(digits)
    minus = "-" if sign else ""
    if k <= n <= 21:
        return minus + digits + "0" * (n - k)
    if 0 < n <= 21:
        return minus + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return minus + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{minus}{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _int(value: int) -> str:
    if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
        return str(value)
    try:
        return js_number(float(value))  # correctly rounded, as JavaScript reads the digits
    except OverflowError:
        return "null"  # beyond the largest double: JavaScript reads Infinity, which JSON.stringify writes as null


def _utf16_key(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare as the code units do: JavaScript's default string order.
    return key.encode("utf-16-be", "surrogatepass")


def _write(value: Any, out: list[str], on_path: set[int]) -> None:
    if value is None or value is True or value is False:
        out.append("null" if value is None else ("true" if value else "false"))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(_int(value))
    elif isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, Mapping):
        if id(value) in on_path:
            raise TypeError("canonical_json: cyclic structure")
        on_path.add(id(value))
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"canonical_json: object keys must be strings, not {type(key).__name__}")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out, on_path)
        out.append("}")
        on_path.discard(id(value))
    elif isinstance(value, (list, tuple)):
        if id(value) in on_path:
            raise TypeError("canonical_json: cyclic structure")
        on_path.add(id(value))
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, on_path)
        out.append("]")
        on_path.discard(id(value))
    else:
        raise TypeError(f"canonical_json: {type(value).__name__} has no JSON form")


def canonical_json(value: Any) -> str:
    """JSON with object keys sorted recursively (UTF-16 code units), no whitespace, numbers as JavaScript writes them.

    Accepts what ``json.loads`` produces (dict, list, str, int, float, bool, None) plus tuples; anything else, and
    non-string keys, raise ``TypeError``.
    """
    out: list[str] = []
    try:
        _write(value, out, set())
    except RecursionError:
        raise ValueError("canonical_json: the value is nested too deeply") from None
    return "".join(out)


def event_input_sha256(kind: str, tool: str | None, input: Any, input_json: str | None = None) -> str:
    """SHA-256 hex of canonical_json({"input": input, "kind": kind, "tool": tool}), over its UTF-8 bytes."""
    text = input_json if input_json is not None else canonical_json(input)
    canonical = f'{{"input":{text},"kind":{_string(kind)},"tool":{"null" if tool is None else _string(tool)}}}'
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
