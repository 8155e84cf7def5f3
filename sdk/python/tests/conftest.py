"""One Arbiter process for the whole pytest run (scenarios that restart it restart this one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import ArbiterServer, Rest


@pytest.fixture(scope="session")
def server() -> Iterator[ArbiterServer]:
    arbiter = ArbiterServer()
    try:
        arbiter.start()
        yield arbiter
    except BaseException:
        print(f"\n--- the server's last lines ---\n{arbiter.tail()}")
        raise
    finally:
        arbiter.remove()


@pytest.fixture()
def rest(server: ArbiterServer) -> Rest:
    api = Rest(server.url)
    api.sign_in()
    return api
