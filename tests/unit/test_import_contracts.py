"""The import contracts in pyproject.toml hold, and would fail on a new back-edge.

The graph is the project's real one (grimp, as ``lint-imports`` builds it); a synthetic
import added to it stands for the edge someone might write next."""

from __future__ import annotations

import copy
from pathlib import Path

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
CONTRACT_TYPES = {"layers": LayersContract, "forbidden": ForbiddenContract}


@pytest.fixture(scope="module")
def configuration() -> dict:
    return read_configuration(str(PYPROJECT))


@pytest.fixture(scope="module")
def project_graph(configuration) -> grimp.ImportGraph:
    roots = configuration["session_options"]["root_packages"]
    return grimp.build_graph(*roots, cache_dir=None)


def kept(configuration: dict, contract_id: str, graph: grimp.ImportGraph) -> bool:
    options = next(c for c in configuration["contracts_options"] if c.get("id") == contract_id)
    contract = CONTRACT_TYPES[options["type"]](
        name=options["name"], session_options=configuration["session_options"],
        contract_options=options)
    return contract.check(copy.deepcopy(graph), verbose=False).kept


@pytest.mark.parametrize("contract_id", ["slices", "pure"])
def test_the_project_keeps_its_contracts(configuration, project_graph, contract_id):
    assert kept(configuration, contract_id, project_graph)


@pytest.mark.parametrize(("importer", "imported"), [
    ("pim.catalog.products", "pim.workflow.hooks"),  # the catalog calling the workflow
    ("pim.history.service", "pim.catalog.products"),  # history below the catalog
    ("pim.media.fetch", "pim.webhooks.delivery"),  # media reaching into webhooks
    ("pim.workflow.status", "pim.publishing.snapshots"),  # workflow calling publishing
    ("pim.db", "pim.wiring"),  # the ground reaching the top
    ("pim.auth.service", "pim.jobs.dispatch"),  # two ground slices are independent
])
def test_a_new_back_edge_breaks_the_slices_contract(configuration, project_graph, importer,
                                                     imported):
    graph = copy.deepcopy(project_graph)
    graph.add_import(importer=importer, imported=imported, line_number=1,
                     line_contents=f"from {imported} import something")
    assert not kept(configuration, "slices", graph)


@pytest.mark.parametrize(("importer", "imported"), [
    ("channels.projection", "pim.db"),
    ("importers.csv_file", "pim.catalog.models"),
    ("exporters.base", "pim.config"),
])
def test_a_pure_package_reaching_the_hub_breaks_the_purity_contract(
        configuration, project_graph, importer, imported):
    graph = copy.deepcopy(project_graph)
    graph.add_import(importer=importer, imported=imported, line_number=1,
                     line_contents=f"import {imported}")
    assert not kept(configuration, "pure", graph)
