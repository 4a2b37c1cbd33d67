"""A real Tryton server on 127.0.0.1 for the ERP tests and benchmark.

``ensure_tryton()`` installs Tryton into its own virtualenv (``.ci/tryton.sh``: pinned, never
mixed with the hub's packages) when it is missing. ``template_database()`` builds, once per
install, an SQLite database with the product, stock and price list modules activated
(``trytond-admin``, ~20 s), a EUR company and the admin user in it; every test copies it
under a new name, so tests never see each other's products. ``TrytonServer`` runs
``trytond`` on a free port over a directory of such databases; ``TrytonAdmin`` changes
data through Tryton's own JSON-RPC API (products in batches of 50, as SQLite needs).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import itertools
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / ".ci" / "tryton-requirements.txt"
HOME = Path(os.environ.get("PIM_TRYTON_HOME") or ROOT / "var" / "tryton")
ADMIN_PASSWORD = "admin-pass-for-tests"
CREATE_BATCH = 50  # Tryton on SQLite refuses bigger create batches
START_TIMEOUT = 60.0


def ensure_tryton() -> Path:
    """The Tryton virtualenv, installed first when missing or out of date (one installer
    at a time: pytest-xdist workers may all ask at once)."""
    HOME.mkdir(parents=True, exist_ok=True)
    with open(HOME / "install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(["bash", str(ROOT / ".ci" / "tryton.sh")], check=False,
                              capture_output=True, text=True,
                              env={**os.environ, "PIM_TRYTON_HOME": str(HOME)})
    if done.returncode != 0:
        raise RuntimeError(f"installing Tryton failed:\n{done.stderr[-3000:]}")
    venv = Path(done.stdout.strip().splitlines()[-1])
    return venv if venv.is_absolute() else ROOT / venv


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(path: Path, database_dir: Path, port: int) -> Path:
    path.write_text(f"[database]\nuri = sqlite://\npath = {database_dir}\n\n"
                    f"[web]\nlisten = 127.0.0.1:{port}\n\n"
                    # Failed logins are slowed down by default: tests refuse on purpose.
                    "[session]\nmax_attempt = 100\nmax_attempt_ip_network = 1000\n",
                    encoding="utf-8")
    return path


class TrytonServer:
    """``trytond`` serving every ``<name>.sqlite`` in ``database_dir``."""

    def __init__(self, venv: Path, database_dir: Path, *, port: int | None = None,
                 preload: tuple[str, ...] = ()):
        self.venv = venv
        self.preload = preload
        self.database_dir = database_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = database_dir / f"trytond-{self.port}.log"

    def start(self) -> TrytonServer:
        config = _config(self.database_dir / f"trytond-{self.port}.conf", self.database_dir,
                         self.port)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(self.venv / "bin" / "trytond"), "-c", str(config),
                 *(["-d", *self.preload] if self.preload else [])],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_it_answers()
        except BaseException:
            self.stop()  # never leave a server behind a failed start
            raise
        return self

    def _wait_until_it_answers(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"trytond exited: {self.log.read_text()[-2000:]}")
            try:
                httpx.post(f"{self.url}/rpc/", json={"id": 0, "method": "common.server.version",
                                                      "params": []}, timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"trytond did not answer within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def new_database(self, name: str, source: Path | None = None) -> str:
        """A fresh copy of the template database (or of ``source``), served as ``name``.

        Tryton serves a database only once its pool is loaded: at start (``-d``) or by a GET
        on ``/<name>/r/...``, which looks the name up in a database list it caches per
        host name for minutes. A Host header of the database's own makes that look-up see
        the new file (and answers 404 after loading the pool, which is all it is for)."""
        shutil.copyfile(source or template_database(self.venv),
                        self.database_dir / f"{name}.sqlite")
        host = re.sub(r"[^a-z0-9-]", "-", name.lower())  # a valid host name, or it is ignored
        httpx.get(f"{self.url}/{name}/r/load", headers={"Host": f"{host}.load"}, timeout=60)
        return name


_names = itertools.count(1)


def database_name(prefix: str = "t") -> str:
    return f"{prefix}{os.getpid()}_{next(_names)}"


def template_database(venv: Path) -> Path:
    """The SQLite template (built once per Tryton install; a lock keeps two test sessions
    from building it at once)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + b"v2").hexdigest()[:12]
    target = HOME / f"template-{digest}.sqlite"
    if target.exists():
        return target
    HOME.mkdir(parents=True, exist_ok=True)
    with open(HOME / "template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            _build_template(venv, target)
    return target


def seeded_database(venv: Path, count: int) -> Path:
    """A copy of the template with ``count`` products (``bench_products``), built once per
    install and size: creating thousands through the API takes minutes."""
    template = template_database(venv)
    target = HOME / f"{template.stem}-{count}-products.sqlite"
    if target.exists():
        return target
    with open(HOME / "template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            with tempfile.TemporaryDirectory(prefix="tryton-seeded-") as work:
                directory = Path(work)
                shutil.copyfile(template, directory / "seeded.sqlite")
                server = TrytonServer(venv, directory, preload=("seeded",)).start()
                try:
                    admin = TrytonAdmin(server.url, "seeded")
                    admin.create_products(bench_products(count))
                    admin.close()
                finally:
                    server.stop()
                _snapshot(directory / "seeded.sqlite", target)
    return target


def bench_products(count: int) -> Iterable[dict[str, Any]]:
    from pim.records import gtin_with_check_digit

    categories = ["Pumps", "Valves", "Bearings", "Electrical"]
    for i in range(1, count + 1):
        yield {"code": f"B-{i:06d}", "name": f"Spare part {i}",
               "list_price": f"{10 + i % 500}.{i % 100:02d}", "cost_price": f"{4 + i % 300}.25",
               "ean": gtin_with_check_digit(f"40{i:010d}"), "category": categories[i % 4]}


def _snapshot(source_path: Path, target: Path) -> None:
    """Copy a database Tryton served: the backup API reads through its WAL log, which a
    file copy would miss."""
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    partial.replace(target)


def _build_template(venv: Path, target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="tryton-template-") as work:
        directory = Path(work)
        (directory / "template.sqlite").touch()
        password_file = directory / "password"
        password_file.write_text(ADMIN_PASSWORD, encoding="utf-8")
        config = _config(directory / "trytond.conf", directory, free_port())
        done = subprocess.run(
            [str(venv / "bin" / "trytond-admin"), "-c", str(config), "-d", "template",
             "-u", "product", "stock", "product_price_list", "--activate-dependencies",
             "--email", "admin@example.com"],
            env={**os.environ, "TRYTONPASSFILE": str(password_file)},
            capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"trytond-admin failed:\n{done.stderr[-3000:]}")
        server = TrytonServer(venv, directory, preload=("template",)).start()
        try:
            admin = TrytonAdmin(server.url, "template", company=None)
            admin.set_up_company("EUR")
        finally:
            server.stop()
        _snapshot(directory / "template.sqlite", target)


def D(value: str | Decimal | int | float) -> dict[str, str]:  # noqa: N802 (Tryton's name)
    return {"__class__": "Decimal", "decimal": str(value)}


class TrytonError(Exception):
    pass


@dataclass
class TrytonAdmin:
    """Changes data in one Tryton database through its JSON-RPC API, as the admin user."""

    url: str
    database: str
    company: int | None = 1
    username: str = "admin"
    password: str = ADMIN_PASSWORD

    def __post_init__(self):
        self.client = httpx.Client(timeout=120)
        self._categories: dict[str, int] = {}
        self._auth: str | None = None
        self._id = 0

    def close(self) -> None:
        self.client.close()

    def _post(self, method: str, params: list[Any]) -> Any:
        if self._auth is None and method != "common.db.login":
            self.login()
        self._id += 1
        headers = {"Authorization": self._auth} if self._auth else {}
        response = self.client.post(f"{self.url}/{self.database}/rpc/", headers=headers,
                                    json={"id": self._id, "method": method, "params": params})
        if response.status_code != 200:
            raise TrytonError(f"{method}: HTTP {response.status_code}")
        message = response.json()
        if message.get("error"):
            raise TrytonError(f"{method}: {message['error']}")
        return message["result"]

    def login(self) -> None:
        user_id, session = self._post("common.db.login",
                                      [self.username, {"password": self.password}, "en"])[:2]
        token = base64.b64encode(f"{self.username}:{user_id}:{session}".encode()).decode()
        self._auth = f"Session {token}"

    def call(self, model: str, method: str, *args: Any, **context: Any) -> Any:
        ctx = {"company": self.company, "language": "en", **context} if self.company else {
            **context}
        return self._post(f"model.{model}.{method}", [*args, ctx])

    # -- set-up

    def set_up_company(self, currency: str) -> int:
        currency_id = self.call("currency.currency", "create", [{
            "name": currency, "code": currency, "symbol": currency, "digits": 2,
            "rounding": D("0.01")}])[0]
        party = self.call("party.party", "create", [{"name": "Hub Test Company"}])[0]
        company = self.call("company.company", "create",
                            [{"party": party, "currency": currency_id}])[0]
        self.call("res.user", "write", [1], {"companies": [["add", [company]]],
                                              "company": company})
        self.company = company
        return company

    # -- products

    def unit(self, symbol: str = "u") -> int:
        return self.call("product.uom", "search", [("symbol", "=", symbol)], 0, 1, None)[0]

    def category(self, name: str, parent: int | None = None) -> int:
        if name not in self._categories:
            found = self.call("product.category", "search", [("name", "=", name)], 0, 1, None)
            self._categories[name] = found[0] if found else self.call(
                "product.category", "create", [{"name": name, "parent": parent}])[0]
        return self._categories[name]

    def create_products(self, products: Iterable[dict[str, Any]]) -> dict[str, int]:
        """``{"code", "name", "list_price", "cost_price"?, "ean"?, "category"?}`` each, one
        template per product; returns code -> product id."""
        unit = self.unit()
        ids: dict[str, int] = {}
        batch: list[dict[str, Any]] = []
        for product in products:
            batch.append(product)
            if len(batch) == CREATE_BATCH:
                ids.update(self._create_batch(batch, unit))
                batch = []
        if batch:
            ids.update(self._create_batch(batch, unit))
        return ids

    def _create_batch(self, products: list[dict[str, Any]], unit: int) -> dict[str, int]:
        templates = []
        for product in products:
            variant: dict[str, Any] = {"suffix_code": product["code"]}
            if product.get("cost_price") is not None:
                variant["cost_price"] = D(product["cost_price"])
            if product.get("ean"):
                variant["identifiers"] = [["create", [{"type": "ean", "code": product["ean"]}]]]
            template: dict[str, Any] = {
                "name": product["name"], "type": "goods", "default_uom": unit,
                "list_price": D(product["list_price"]), "products": [["create", [variant]]]}
            if product.get("category"):
                template["categories"] = [["add", [self.category(product["category"])]]]
            templates.append(template)
        self.call("product.template", "create", templates)
        codes = [p["code"] for p in products]
        rows = self.call("product.product", "search_read", [("code", "in", codes)], 0, None,
                         None, ["id", "code"])
        return {row["code"]: row["id"] for row in rows}

    def product(self, code: str, *fields: str) -> dict[str, Any]:
        rows = self.call("product.product", "search_read", [("code", "=", code)], 0, 1, None,
                         ["id", "template", *fields], active_test=False)
        if not rows:
            raise TrytonError(f"no product {code}")
        return rows[0]

    def set_list_price(self, code: str, amount: str) -> None:
        template = self.product(code)["template"]
        self.call("product.template", "write", [template], {"list_price": D(amount)})

    def rename(self, code: str, name: str) -> None:
        template = self.product(code)["template"]
        self.call("product.template", "write", [template], {"name": name})

    def deactivate(self, code: str) -> None:
        self.call("product.product", "write", [self.product(code)["id"]], {"active": False},
                  _skip_warnings=True)

    def delete(self, code: str) -> None:
        self.call("product.template", "delete", [self.product(code)["template"]])

    def location(self, code: str) -> int:
        return self.call("stock.location", "search", [("code", "=", code)], 0, 1, None)[0]

    def receive(self, code: str, quantity: int | float, *, location: str = "STO") -> int:
        """A done move from the supplier into ``location``."""
        product = self.product(code)["id"]
        move = self.call("stock.move", "create", [{
            "product": product, "from_location": self.location("SUP"),
            "to_location": self.location(location), "quantity": float(quantity),
            "unit": self.unit(), "unit_price": D("1"), "currency": self._currency(),
            "company": self.company}])
        self.call("stock.move", "do", move)
        return move[0]

    def _currency(self) -> int:
        return self.call("company.company", "read", [self.company], ["currency"])[0]["currency"]

    def price_list(self, name: str, lines: list[dict[str, Any]], *,
                   base: str = "list_price") -> int:
        """``lines``: ``{"formula", "quantity"?, "product"? (code), "category"? (name)}``."""
        created = []
        for line in lines:
            row: dict[str, Any] = {"formula": line["formula"]}
            if line.get("quantity") is not None:
                row["quantity"] = float(line["quantity"])
            if line.get("product"):
                row["product"] = self.product(line["product"])["id"]
            if line.get("category"):
                row["category"] = self.category(line["category"])
            created.append(row)
        return self.call("product.price_list", "create", [{
            "name": name, "price": base, "lines": [["create", created]]}])[0]


@contextmanager
def running_tryton(directory: Path):
    """A started server over ``directory`` (stopped when the block ends)."""
    server = TrytonServer(ensure_tryton(), directory).start()
    try:
        yield server
    finally:
        server.stop()
