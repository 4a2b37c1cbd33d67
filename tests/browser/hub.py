"""A live hub for the browser tests: a prepared SQLite database (migrated by ``pim db
upgrade``, the demo catalog loaded by ``pim demo``, a user per role) served by ``pim serve``
on a free port, as ``make run`` serves it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PIM = str(Path(sys.executable).with_name("pim"))
PASSWORD = "correct horse 1"
ROLES = ("admin", "editor", "reviewer", "viewer")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveHub:
    directory: Path
    url: str = ""
    database_url: str = ""
    process: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)

    def email(self, role: str) -> str:
        return f"{role}@pim.test"

    def run(self, *args: str) -> str:
        done = subprocess.run([PIM, *args], env=self.env, capture_output=True, text=True,
                              timeout=300, cwd=ROOT)
        if done.returncode != 0:
            raise RuntimeError(f"pim {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def prepare(self, products: int) -> None:
        from pim.auth.service import create_user
        from pim.db import dispose_engines, session_scope

        self.database_url = f"sqlite:///{self.directory / 'pim.db'}"
        self.env = {**os.environ, "PIM_DATABASE_URL": self.database_url,
                    "PIM_VAR_DIR": str(self.directory / "var"),
                    "PIM_BASE_URL": "http://127.0.0.1"}
        self.env.pop("PIM_REDIS_URL", None)
        self.run("db", "upgrade")
        self.run("demo", "--products", str(products))  # completeness and index included
        with session_scope(self.database_url) as session:
            for role in ROLES:
                create_user(session, self.email(role), role=role, password=PASSWORD)
        dispose_engines()

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = open(self.directory / "serve.log", "w")  # noqa: SIM115 (kept open while it runs)
        self.process = subprocess.Popen(
            [PIM, "serve", "--host", "127.0.0.1", "--port", str(port)], env=self.env,
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("pim serve exited:\n" + (self.directory / "serve.log").read_text())
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("pim serve did not answer /health within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
