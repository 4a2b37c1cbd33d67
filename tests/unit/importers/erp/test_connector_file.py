"""The connector file: what a valid file gives, and errors that name the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from importers.erp import (
    TRYTON_DEFAULT_MAPPING,
    ConnectorConfigError,
    RestConnector,
    TrytonConnector,
    load_connector_file,
    parse_connector,
)
from importers.erp.config import Target, parse_duration

EXAMPLES = Path(__file__).resolve().parents[4] / "importers" / "erp" / "examples"
MINIMAL = {"connector": "tryton", "url": "http://erp.internal:8000", "database": "prod",
           "username": "pim", "password_env": "TRYTON_PASSWORD", "family": "spare_parts"}


def refused(data) -> ConnectorConfigError:
    with pytest.raises(ConnectorConfigError) as raised:
        parse_connector(data)
    return raised.value


def test_a_minimal_tryton_file_maps_the_defaults():
    config = parse_connector(MINIMAL)
    assert isinstance(config, TrytonConnector)
    assert config.connector_name == "tryton"
    assert config.schedule is None and config.page_size == 200
    assert {field: target.attribute for field, (target, _) in
            config.effective_mapping().items()} == TRYTON_DEFAULT_MAPPING
    assert all(default for _, default in config.effective_mapping().values())


def test_the_file_mapping_overrides_and_drops_defaults():
    config = parse_connector({**MINIMAL, "mapping": {
        "name": {"attribute": "name", "locale": "en_GB"}, "cost_price": None,
        "template.weight": {"attribute": "weight", "unit": "KILOGRAM"}}})
    mapping = config.effective_mapping()
    assert mapping["name"] == (Target(attribute="name", locale="en_GB"), False)
    assert "cost_price" not in mapping
    assert mapping["template.weight"][0].unit == "KILOGRAM"
    assert mapping["list_price"] == (Target(attribute="price"), True)


def test_schedule_and_durations():
    config = parse_connector({**MINIMAL, "schedule": "every 15m", "overlap": "1h30m"})
    assert config.schedule == timedelta(minutes=15)
    assert config.schedule_text == "every 15m"
    assert config.overlap == timedelta(hours=1, minutes=30)
    assert parse_duration("2d") == timedelta(days=2)
    assert refused({**MINIMAL, "schedule": "hourly"}).key == "schedule"
    assert "more often than every minute" in str(refused({**MINIMAL, "schedule": "every 10s"}))


@pytest.mark.parametrize(("change", "key"), [
    ({"connector": "sap"}, "connector"),
    ({"url": "ftp://erp"}, "url"),
    ({"url": "http://pim:secret@erp.internal"}, "url"),
    ({"database": ""}, "database"),
    ({"family": "Spare Parts"}, "family"),
    ({"page_size": 0}, "page_size"),
    ({"mapping": {"name": {"attribute": "Name"}}}, "mapping.name.attribute"),
    ({"mapping": {"list_price": {"attribute": "price", "currency": "euro"}}},
     "mapping.list_price.currency"),
    ({"stock": {"WH": "Warehouse UK"}}, "stock"),
    ({"colour": "blue"}, "colour"),
    ({"path": "/elsewhere.yaml"}, "path"),
])
def test_errors_name_the_key(change, key):
    data = {k: v for k, v in {**MINIMAL, **change}.items()}
    assert refused(data).key == key


def test_exactly_one_password_source():
    data = {k: v for k, v in MINIMAL.items() if k != "password_env"}
    assert "exactly one of password and password_env" in str(refused(data))
    assert "exactly one" in str(refused({**MINIMAL, "password": "x"}))


def test_a_missing_key_is_named():
    data = {k: v for k, v in MINIMAL.items() if k != "username"}
    error = refused(data)
    assert error.key == "username" and "Field required" in str(error)


def test_credentials_never_show_in_the_public_form(monkeypatch):
    config = parse_connector({**{k: v for k, v in MINIMAL.items() if k != "password_env"},
                              "password": "hunter2-secret"})
    assert "hunter2" not in repr(config) and "hunter2" not in str(config.public())
    assert config.secrets() == ["hunter2-secret"]
    monkeypatch.setenv("TRYTON_PASSWORD", "from-the-env")
    assert parse_connector(MINIMAL).secrets() == ["from-the-env"]


def test_an_unset_password_variable_is_named_when_it_is_needed(monkeypatch):
    monkeypatch.delenv("TRYTON_PASSWORD", raising=False)
    config = parse_connector(MINIMAL)
    with pytest.raises(ConnectorConfigError) as raised:
        config.resolved_password()
    assert raised.value.key == "password_env" and "TRYTON_PASSWORD" in str(raised.value)


def test_rest_auth_takes_one_way():
    base = {"connector": "rest", "url": "https://erp.example.com/api/products",
            "family": "parts"}
    assert isinstance(parse_connector(base), RestConnector)
    error = refused({**base, "auth": {"bearer_env": "A", "header": "X-Key", "value": "v"}})
    assert error.key == "auth"
    assert refused({**base, "auth": {"header": "X-Key"}}).key == "auth"
    assert refused({**base, "pagination": {"style": "pages"}}).key == "pagination.style"


def test_the_name_defaults_to_the_file_stem(tmp_path):
    path = tmp_path / "Main ERP.yaml"
    path.write_text("connector: tryton\nurl: http://erp:8000\ndatabase: d\nusername: u\n"
                    "password: p\nfamily: parts\n")
    assert load_connector_file(path).connector_name == "main-erp"


def test_a_file_that_is_not_yaml_says_so(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("connector: [tryton\n")
    with pytest.raises(ConnectorConfigError, match="not valid YAML"):
        load_connector_file(path)
    with pytest.raises(ConnectorConfigError, match="cannot read"):
        load_connector_file(tmp_path / "missing.yaml")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_shipped_examples_are_valid(path, monkeypatch):
    assert load_connector_file(path).connector in ("tryton", "rest")
