"""What a person or an operator does in the conformance scenarios, done by the tests: a real Arbiter process
(``node dist/src/main.js``, started, stopped and restarted here) and its REST API (sign in, projects, rules, keys,
review decisions, revocation). Standard library only."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(os.environ.get("ARBITER_REPO_ROOT") or Path(__file__).resolve().parents[3])
SCENARIOS_FILE = REPO_ROOT / "sdk" / "conformance" / "scenarios.json"
ADMIN_EMAIL = "admin@arbiter.test"
ADMIN_PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_scenarios() -> list[dict[str, Any]]:
    return list(json.loads(SCENARIOS_FILE.read_text("utf-8"))["scenarios"])


class ArbiterServer:
    """One ``node dist/src/main.js`` on a fixed port. Its database: ``ARBITER_TEST_DATABASE_URL`` (migrated here), or
    the embedded PostgreSQL in a data folder of its own (kept across restarts)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.work = Path(tempfile.mkdtemp(prefix="arbiter-pytest-"))
        # Reachable by the `postgres` user, so that as root the embedded cluster stays in here.
        self.work.chmod(0o755)
        self.log_path = self.work / "arbiter.log"
        # ARBITER_TEST_DATABASE_URL: a migrated database made for this run (test/sdk/python.spec.ts clones one).
        # DATABASE_URL: a fresh database is made on its server, migrated, and dropped afterwards. Neither: the embedded
        # PostgreSQL (the server migrates it).
        self.database_url = os.environ.get("ARBITER_TEST_DATABASE_URL", "")
        self.own_database: str | None = None
        if not self.database_url and os.environ.get("DATABASE_URL"):
            self.own_database = f"arbiter_pytest_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self.database_url = _admin_sql(os.environ["DATABASE_URL"], f'CREATE DATABASE "{self.own_database}"', self.own_database)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.own_database and self.starts == 0:
            migrate = subprocess.run(
                ["node", "scripts/prisma.mjs", "migrate", "deploy"],
                cwd=REPO_ROOT,
                env={**os.environ, "DATABASE_URL": self.database_url},
                capture_output=True,
                text=True,
            )
            if migrate.returncode != 0:
                raise RuntimeError(f"migrating {self.database_url} failed:\n{migrate.stdout}\n{migrate.stderr}")
        self.starts += 1
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "PUBLIC_URL": self.url,
            "ARBITER_ADMIN_EMAIL": ADMIN_EMAIL,
            "ARBITER_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ARBITER_INSTANCE_ID": f"pytest-{self.starts}",
            "ARBITER_DATA_DIR": str(self.work / "data"),
            "LOG_LEVEL": "warn",
        }
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        log = open(self.log_path, "ab")
        # A process group of its own: SIGTERM reaches the server, which stops its embedded PostgreSQL.
        self.process = subprocess.Popen(
            ["node", "dist/src/main.js"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        self.wait_ready()

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}) before it was ready:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=3) as res:
                    if res.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server was not ready within {timeout} s:\n{self.tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError:
            return "(no server output)"
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)
        if self.own_database:
            _admin_sql(os.environ["DATABASE_URL"], f'DROP DATABASE IF EXISTS "{self.own_database}" WITH (FORCE)', self.own_database)


def _admin_sql(admin_url: str, sql: str, database: str) -> str:
    """Runs one statement on DATABASE_URL's server (through node and the repository's pg: no Python driver needed);
    returns the URL of ``database`` on that server."""
    script = """
      const pg = require('pg');
      const [url, sql, name] = process.argv.slice(1);
      const c = new pg.Client({ connectionString: url });
      c.connect().then(() => c.query(sql)).then(() => c.end()).then(() => {
        const u = new URL(url); u.pathname = '/' + name; console.log(u.toString());
      }, (e) => { console.error(e.message); process.exit(1); });
    """
    done = subprocess.run(["node", "-e", script, admin_url, sql, database], cwd=REPO_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{sql} on DATABASE_URL's server failed: {done.stderr.strip()}")
    return done.stdout.strip()


@dataclass
class Response:
    status: int
    body: Any


class Rest:
    """The REST API as the admin (who is also a reviewer)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None) -> Response:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        if self.token:
            request.add_header("authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as res:
                raw = res.read()
                status = res.status
        except urllib.error.HTTPError as err:
            raw = err.read()
            status = err.code
        text = raw.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Response(status, parsed)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        res = self.call(method, path, body)
        if res.status != status:
            raise AssertionError(f"{method} {path}: expected {status}, got {res.status} {res.body}")
        return res.body

    def sign_in(self) -> None:
        self.token = self.ok("POST", "/api/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]

    def project_for(self, setup: dict[str, Any], name: str) -> dict[str, Any]:
        """A project as a scenario's setup describes it, its rules, and an API key per name in ``keys``."""
        body: dict[str, Any] = {"name": name, "mode": setup.get("mode", "hitl")}
        for field in ("review_timeout_seconds", "timeout_decision"):
            if field in setup:
                body[field] = setup[field]
        if setup.get("allow_edits"):
            body["allow_edits"] = True  # sent only when asked for: a server without the setting refuses the field
        project = self.ok("POST", "/api/projects", body, 201)
        self.ok(
            "PUT",
            f"/api/projects/{project['id']}/rules",
            {"default_action": setup.get("default_action", "review"), "rules": setup.get("rules", [])},
        )
        keys = {}
        for key_name in setup.get("keys", ["main"]):
            keys[key_name] = self.ok("POST", f"/api/projects/{project['id']}/api-keys", {"name": key_name}, 201)
        return {"id": project["id"], "keys": keys}

    def pending_review(self, project_id: str, session: str, event_id: str) -> dict[str, Any] | None:
        page = self.ok("GET", f"/api/reviews?status=pending&project={project_id}")
        for item in page["items"]:
            if item["event_id"] == event_id and item["session_id"] == session:
                return dict(item)
        return None

    def review(self, review_id: str) -> dict[str, Any]:
        return dict(self.ok("GET", f"/api/reviews/{review_id}"))

    def decide_review(self, review_id: str, verdict: str, note: str | None, edited: Any = None) -> Response:
        body: dict[str, Any] = {"decision": verdict}
        if note is not None:
            body["note"] = note
        if edited is not None:
            body["input"] = edited
        return self.call("POST", f"/api/reviews/{review_id}/decision", body)

    def revoke_key(self, key_id: str) -> None:
        res = self.call("DELETE", f"/api/api-keys/{key_id}")
        if res.status not in (200, 204):
            raise AssertionError(f"revoking key {key_id}: {res.status} {res.body}")


def wait_until(what: str, probe: Any, timeout: float = 10.0, every: float = 0.05) -> Any:
    """Polls ``probe`` until it returns something other than None; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)
