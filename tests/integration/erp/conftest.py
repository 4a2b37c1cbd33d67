"""A real Tryton server for the ERP tests: installed when missing (``.ci/tryton.sh``), one
server per test session, a fresh database (a copy of the template) per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.tryton_server import (
    ADMIN_PASSWORD,
    TrytonAdmin,
    TrytonServer,
    database_name,
    ensure_tryton,
)

PASSWORD_ENV = "PIM_TEST_TRYTON_PASSWORD"


@pytest.fixture(scope="session")
def tryton_server(tmp_path_factory) -> Iterator[TrytonServer]:
    directory = tmp_path_factory.mktemp("tryton")
    server = TrytonServer(ensure_tryton(), directory).start()
    yield server
    server.stop()


@dataclass
class TrytonDatabase:
    server: TrytonServer
    name: str
    admin: TrytonAdmin

    @property
    def url(self) -> str:
        return self.server.url

    def connector(self, **overrides: Any) -> dict[str, Any]:
        """A connector file's content for this database (the password from the env)."""
        return {"connector": "tryton", "name": "tryton", "url": self.url,
                "database": self.name, "username": "admin", "password_env": PASSWORD_ENV,
                "family": "parts", "retries": 1, "timeout": 30, **overrides}


@pytest.fixture
def tryton(tryton_server, monkeypatch) -> Iterator[TrytonDatabase]:
    monkeypatch.setenv(PASSWORD_ENV, ADMIN_PASSWORD)
    name = tryton_server.new_database(database_name())
    admin = TrytonAdmin(tryton_server.url, name)
    yield TrytonDatabase(tryton_server, name, admin)
    admin.close()
    (tryton_server.database_dir / f"{name}.sqlite").unlink(missing_ok=True)


def catalogue(count: int, prefix: str = "P") -> list[dict[str, Any]]:
    """``count`` products as the tests create them in Tryton."""
    from pim.records import gtin_with_check_digit

    return [{"code": f"{prefix}-{i:04d}", "name": f"Pump seal {i}",
             "list_price": f"{10 + i}.50", "cost_price": f"{4 + i}.25",
             "ean": gtin_with_check_digit(f"400638133{i:03d}"), "category": "Pumps"}
            for i in range(1, count + 1)]


@pytest.fixture
def hub(demo_structure):
    """A session factory over a database with the demo's structure and channels (family
    spare_parts: erp_name and price ERP-owned; name, brand and ean pim-owned)."""
    from pim.db import session_factory

    return session_factory(demo_structure)


def write_connector(tmp_path, data: dict[str, Any], name: str = "tryton.yaml"):
    """A connector file on disk (jobs read their connector from a file)."""
    import yaml

    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path
