"""The ``guard`` decorator shared by both clients: ask first, then run with the approved (possibly edited) arguments."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .errors import Blocked
from .verdict import Verdict

__all__ = ["guard_with"]

AsyncDecide = Callable[..., Awaitable[Verdict]]
SyncDecide = Callable[..., Verdict]


def _arguments_as_input(sig: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by parameter name (defaults included): the action's input."""
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    data: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = sig.parameters[name].kind
        data[name] = list(value) if kind is inspect.Parameter.VAR_POSITIONAL else dict(value) if kind is inspect.Parameter.VAR_KEYWORD else value
    return data


def _call_with(fn: Callable[..., Any], sig: inspect.Signature, approved: Any) -> Any:
    """Calls ``fn`` with the approved input, mapped back onto its parameters."""
    if not isinstance(approved, Mapping):
        raise TypeError(f"the approved input for {fn.__qualname__} is not an object of its arguments: {approved!r}")
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    positional = True  # positional while no earlier positional parameter is missing
    for name, param in sig.parameters.items():
        if name not in approved:
            positional = False
            continue
        value = approved[name]
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            args.extend(value)
        elif param.kind is inspect.Parameter.VAR_KEYWORD:
            kwargs.update(value)
        elif param.kind is inspect.Parameter.POSITIONAL_ONLY or (
            positional and param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        ):
            args.append(value)
        else:
            kwargs[name] = value
    return fn(*args, **kwargs)


def guard_with(
    decide_async: AsyncDecide,
    decide_sync: SyncDecide | None,
    tool: str,
    *,
    kind: str,
    timeout: float,
    fail_open: bool,
) -> Callable[[Callable[..., Any]], Any]:
    """A decorator over one client's decide. Coroutine functions get an async wrapper; plain functions get a plain
    one when the client can decide synchronously (``ArbiterClient``), else an async one (``AsyncArbiterClient``)."""

    def decorate(fn: Callable[..., Any]) -> Any:
        sig = inspect.signature(fn)

        def approved_input(verdict: Verdict) -> Any:
            if verdict.decision != "allow":
                raise Blocked(verdict)
            return verdict.input

        if inspect.iscoroutinefunction(fn) or decide_sync is None:
            is_async = inspect.iscoroutinefunction(fn)

            @functools.wraps(fn)
            async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                data = _arguments_as_input(sig, args, kwargs)
                verdict = await decide_async(kind=kind, tool=tool, input=data, timeout=timeout, fail_open=fail_open)
                result = _call_with(fn, sig, approved_input(verdict))
                return await result if is_async else result

            return guarded_async

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            data = _arguments_as_input(sig, args, kwargs)
            verdict = decide_sync(kind=kind, tool=tool, input=data, timeout=timeout, fail_open=fail_open)
            return _call_with(fn, sig, approved_input(verdict))

        return guarded

    return decorate
