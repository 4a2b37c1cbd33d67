"""A client generated from the hub's OpenAPI document by openapi-python-client (installed in
its own virtualenv by .ci/openapi-client.sh) lists and updates products, with a real bearer
token, over the ASGI app."""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
HOME = Path(os.environ.get("PIM_OPENAPI_CLIENT_HOME") or ROOT / "var" / "openapi-client")
# The generator's content types: it generates NDJSON bodies and image answers as bytes
# (application/octet-stream) when told to; without this it leaves those two operations out.
CONFIG = """\
post_hooks: []
content_type_overrides:
  application/x-ndjson: application/octet-stream
  image/png: application/octet-stream
  image/jpeg: application/octet-stream
  image/gif: application/octet-stream
  image/webp: application/octet-stream
  application/pdf: application/octet-stream
"""


def generator() -> Path:
    HOME.mkdir(parents=True, exist_ok=True)
    with open(HOME / "install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(["bash", str(ROOT / ".ci" / "openapi-client.sh")], check=False,
                              capture_output=True, text=True,
                              env={**os.environ, "PIM_OPENAPI_CLIENT_HOME": str(HOME)})
    assert done.returncode == 0, f"installing openapi-python-client failed:\n{done.stderr}"
    venv = Path(done.stdout.strip().splitlines()[-1])
    return (venv if venv.is_absolute() else ROOT / venv) / "bin" / "openapi-python-client"


class GeneratedClients:
    """The clients generated in this session, one per distinct OpenAPI document: both
    engines' runs serve the same document, so the generator (the slow part) runs once and
    its package is imported once; a different document gets a client of its own."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.document: str | None = None
        self.package = None

    def for_document(self, document: str):
        if document != self.document:
            self.forget()
            self.package = generate(document, Path(tempfile.mkdtemp(dir=self.directory)))
            self.document = document
        return self.package

    def forget(self) -> None:
        if self.package is not None:
            sys.path.remove(str(Path(self.package.__file__).parents[1]))
        for name in [n for n in sys.modules if n == "pim_client" or n.startswith("pim_client.")]:
            del sys.modules[name]
        self.document = self.package = None


def generate(document: str, directory: Path):
    """Run the generator on ``document`` into ``directory`` and import its package."""
    (directory / "openapi.json").write_text(document)
    (directory / "config.yaml").write_text(CONFIG)
    done = subprocess.run(
        [str(generator()), "generate", "--path", str(directory / "openapi.json"),
         "--output-path", str(directory / "pim_client"), "--meta", "none",
         "--config", str(directory / "config.yaml")],
        capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    # Every operation generated: the generator warns about each one it leaves out.
    assert "warning" not in (done.stdout + done.stderr).lower(), done.stdout + done.stderr
    sys.path.insert(0, str(directory))
    return importlib.import_module("pim_client")


@pytest.fixture(scope="session")
def generated_clients(tmp_path_factory):
    clients = GeneratedClients(tmp_path_factory.mktemp("generated-clients"))
    yield clients
    clients.forget()


@pytest.fixture
def generated(client, generated_clients):
    """The client generated from the document this test's hub serves."""
    return generated_clients.for_document(json.dumps(client.get("/schema/openapi.json").json()))


@pytest.mark.slow
def test_a_generated_client_lists_and_updates_products(generated, world, api_app):
    from pim_client.api.products import get_product, list_products, patch_product
    from pim_client.models import Problem, ProductOut, ProductPatch

    client = generated.AuthenticatedClient(
        base_url="http://hub.test", token=world.tokens["editor"],
        httpx_args={"transport": httpx.ASGITransport(app=api_app)})

    async def scenario():
        page = await list_products.asyncio_detailed(client=client, limit=2)
        assert page.status_code == 200, page.content
        assert [item.sku for item in page.parsed.items] == ["EL-1", "EL-2"]
        assert page.parsed.next_cursor
        rest = await list_products.asyncio(client=client, cursor=page.parsed.next_cursor)
        assert [item.sku for item in rest.items] == ["EL-3"]

        read = await get_product.asyncio_detailed("EL-1", client=client)
        assert isinstance(read.parsed, ProductOut)
        etag = read.headers["etag"]
        change = ProductPatch.from_dict(
            {"enabled": False, "values": {"name": [{"locale": "en_GB", "data": "Renamed"}]}})
        updated = await patch_product.asyncio_detailed("EL-1", client=client, body=change,
                                                       if_match=etag)
        assert updated.status_code == 200, updated.content
        product = updated.parsed
        assert isinstance(product, ProductOut)
        assert product.enabled is False
        assert product.version == read.parsed.version + 1
        names = product.values.additional_properties["name"]
        assert [(v.locale, v.data) for v in names] == [("en_GB", "Renamed")]

        stale = await patch_product.asyncio_detailed("EL-1", client=client, body=change,
                                                     if_match=etag)
        assert stale.status_code == 412
        assert isinstance(stale.parsed, Problem)
        assert stale.parsed.status == 412

    anyio.run(scenario)
