"""Pulls as jobs, the ``pim erp`` commands, schedules, the API, and credentials kept out of
every record; a REST source pulled through the hub."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from importers.erp import load_connector_file, parse_connector
from pim.catalog.models import Product
from pim.cli import main
from pim.db import read_session
from pim.erp import list_connectors, pull
from pim.jobs import list_jobs
from pim.jobs.models import Job
from tests.integration.erp.conftest import catalogue, write_connector
from tests.rest_erp import TOKEN, RestErp, rest_items

SECRET = "admin-pass-for-tests"  # the template's admin password, written into files here


@pytest.fixture
def cli(hub):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def jobs(kind="erp.pull"):
    with read_session() as session:
        return list_jobs(session, kind=kind, limit=50)


def inline_password_file(tmp_path, tryton, password=SECRET, **overrides):
    data = tryton.connector(family="spare_parts", **overrides)
    del data["password_env"]
    data["password"] = password
    return write_connector(tmp_path, data)


@pytest.mark.slow
def test_pim_erp_pull_is_a_job_with_progress_and_a_result(cli, tryton, tmp_path):
    tryton.admin.create_products(catalogue(25))
    path = inline_password_file(tmp_path, tryton)
    result = cli("erp", "pull", path)
    assert result.exit_code == 0, result.output
    assert "full pull of tryton: 25 read, 25 created" in result.output
    [job] = jobs()
    assert job.status == "succeeded" and job.created_by == "cli"
    assert job.progress_done == 25
    assert job.payload == {"file": str(path.resolve()), "connector": "tryton", "full": False,
                           "scheduled": False}
    assert {k: job.result[k] for k in ("read", "created", "updated", "disabled", "refused")} \
        == {"read": 25, "created": 25, "updated": 0, "disabled": 0, "refused": 0}
    assert job.result["finished_at"] and job.result["watermark_after"]
    assert SECRET not in json.dumps(job.model_dump(mode="json"))

    again = cli("erp", "pull", path, "--full")
    assert again.exit_code == 0 and "full pull of tryton: 25 read, 0 created" in again.output


@pytest.mark.slow
def test_pim_erp_status_shows_watermark_and_last_pull(cli, tryton, tmp_path):
    tryton.admin.create_products(catalogue(3))
    cli("erp", "pull", inline_password_file(tmp_path, tryton))
    result = cli("erp", "status", "--json")
    [connector] = json.loads(result.output)
    assert connector["name"] == "tryton" and connector["kind"] == "tryton"
    assert connector["watermark"] and connector["products"] == 3
    assert connector["last_pull_status"] == "succeeded"
    assert connector["last_pull"]["created"] == 3
    table = cli("erp", "status")
    assert "tryton" in table.output and "succeeded" in table.output


@pytest.mark.slow
def test_a_refused_login_leaves_no_credentials_in_output_job_or_connector(cli, tryton,
                                                                          tmp_path):
    wrong = "wrong-pass-42-for-tests"
    path = inline_password_file(tmp_path, tryton, password=wrong)
    result = CliRunner().invoke(main, ["erp", "pull", str(path)])
    assert result.exit_code != 0 and "refused" in result.output
    [job] = jobs()
    assert job.status == "failed" and job.attempts == 1  # an auth error is not retried
    with read_session() as session:
        [connector] = list_connectors(session)
    assert connector.last_pull_status == "failed" and connector.watermark is None
    for text in (result.output, json.dumps(job.model_dump(mode="json")),
                 connector.model_dump_json()):
        assert wrong not in text


@pytest.mark.slow
def test_a_scheduled_connector_has_one_next_pull_per_slot(cli, tryton, tmp_path):
    from pim.erp.jobs import schedule_next_pull

    tryton.admin.create_products(catalogue(2))
    path = inline_password_file(tmp_path, tryton, schedule="every 15m")
    assert cli("erp", "pull", path).exit_code == 0
    scheduled = [j for j in jobs() if j.status == "scheduled"]
    assert len(scheduled) == 1
    run_at = scheduled[0].run_at
    assert run_at.minute % 15 == 0 and run_at.second == 0
    assert scheduled[0].payload["scheduled"] is True and scheduled[0].created_by == "scheduler"
    assert schedule_next_pull(load_connector_file(path)) == scheduled[0].id
    with read_session() as session:
        [connector] = list_connectors(session)
    assert connector.schedule == "every 15m" and connector.next_pull_at == run_at


def test_the_scheduled_pull_slot_is_aligned_on_the_interval():
    from datetime import UTC, datetime

    from pim.erp.jobs import next_slot

    now = datetime(2026, 12, 7, 10, 7, 30, tzinfo=UTC)
    assert next_slot(900, now) == datetime(2026, 12, 7, 10, 15, tzinfo=UTC)
    assert next_slot(3600, now) == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    assert next_slot(900, datetime(2026, 12, 7, 10, 15, tzinfo=UTC)) == \
        datetime(2026, 12, 7, 10, 30, tzinfo=UTC)


@pytest.fixture
def rest_source(monkeypatch):
    monkeypatch.setenv("PIM_TEST_REST_TOKEN", TOKEN)
    server = RestErp(rest_items(5), style="page")
    yield server
    server.close()


def rest_connector(server, **overrides):
    return parse_connector({
        "connector": "rest", "name": "shop-erp", "url": server.url, "family": "spare_parts",
        "auth": {"bearer_env": "PIM_TEST_REST_TOKEN"},
        "pagination": {"style": "page", "items": "data", "size": 2, "size_param": "limit"},
        "changed_since": {"param": "updated_since"},
        "fields": {"sku": "sku", "key": "id", "active": "active", "modified_at": "updated_at"},
        "mapping": {"title": "erp_name",
                    "pricing.net": {"attribute": "price", "currency": "EUR"}},
        "stock": {"stock.uk": "warehouse_uk"}, "retries": 0, **overrides})


def test_a_rest_source_pulled_through_the_hub(hub, rest_source):
    report = pull(rest_connector(rest_source), session_factory=hub)
    assert (report.created, report.disabled) == (5, 1)  # R-003 is inactive at the source
    with hub() as session:
        stored = {p.sku: p for p in session.scalars(select(Product))}
    assert stored["R-002"].values["price"][0]["data"] == [{"amount": "2.50", "currency": "EUR"}]
    assert stored["R-003"].enabled is False and stored["R-001"].enabled is True
    rest_source.items = [i for i in rest_source.items if i["sku"] != "R-004"]
    incremental = pull(rest_connector(rest_source), session_factory=hub)
    assert incremental.disabled == 0  # an incremental pull cannot see deletions
    full = pull(rest_connector(rest_source), session_factory=hub, full=True)
    assert full.disabled == 1
    with hub() as session:
        assert session.scalar(select(Product.enabled).where(Product.sku == "R-004")) is False


def test_a_source_listing_nothing_disables_nothing(hub, rest_source):
    pull(rest_connector(rest_source), session_factory=hub)
    rest_source.items = []
    report = pull(rest_connector(rest_source), session_factory=hub, full=True)
    assert report.disabled == 0 and "listed no products" in report.warnings[0]["message"]
    with hub() as session:
        assert session.scalar(select(Product.enabled).where(Product.sku == "R-001")) is True


def test_the_api_lists_connectors_to_editors(db, monkeypatch):
    from litestar.testing import TestClient

    from pim.app import create_app
    from pim.db import session_factory
    from tests.integration.api.factories import build_world

    world = build_world(products=0)
    monkeypatch.setenv("PIM_TEST_REST_TOKEN", TOKEN)
    server = RestErp(rest_items(3), style="page")
    try:
        pull(rest_connector(server), session_factory=session_factory())
    finally:
        server.close()
    with TestClient(create_app(start_jobs=False)) as client:
        answer = client.get("/api/v1/erp/connectors", headers=world.auth("editor"))
        assert answer.status_code == 200
        [connector] = answer.json()
        assert connector["name"] == "shop-erp" and connector["watermark"]
        assert connector["last_pull"]["created"] == 3 and TOKEN not in answer.text
        one = client.get("/api/v1/erp/connectors/shop-erp", headers=world.auth("admin"))
        assert one.status_code == 200 and one.json()["products"] == 3
        assert client.get("/api/v1/erp/connectors",
                          headers=world.auth("viewer")).status_code == 403
        missing = client.get("/api/v1/erp/connectors/nope", headers=world.auth("editor"))
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")


def test_a_job_payload_never_holds_credentials(hub, rest_source, tmp_path):
    from pim.erp.jobs import pull_payload
    from pim.jobs import run_inline

    path = write_connector(tmp_path, {
        "connector": "rest", "name": "shop-erp", "url": rest_source.url,
        "family": "spare_parts", "auth": {"bearer": TOKEN},
        "pagination": {"style": "page", "items": "data", "size": 2, "size_param": "limit"},
        "mapping": {"title": "erp_name"}}, name="shop.yaml")
    job = run_inline("erp.pull", pull_payload(load_connector_file(path)), created_by="tests",
                     show_progress=False)
    assert job.status == "succeeded" and job.result["created"] == 5
    with read_session() as session:
        record = session.scalar(select(Job).where(Job.id == job.id))
        assert TOKEN not in json.dumps(record.payload) + json.dumps(record.result)
