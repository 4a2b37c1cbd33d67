"""``pim search``: a query with filters and facets, reindex as a job, health."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select, update

from pim.catalog.models import Product
from pim.cli import main
from pim.db import session_scope
from pim.jobs.models import Job
from pim.search.models import SearchDocument
from tests.factories import electronics, one, write


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_search_prints_hits_and_facets(demo_structure):
    with session_scope() as session:
        write(session, electronics("Q-1", name=one("Quasar headphones", "en_GB")))
    assert _run("search", "index").exit_code == 0
    result = _run("search", "quasar", "--filter", "family=electronics", "--facets",
                  "family", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [item["sku"] for item in body["items"]] == ["Q-1"]
    assert body["facets"]["family"] == [{"value": "electronics", "count": 1}]


def test_an_unknown_filter_ends_the_command_naming_it(demo_structure):
    result = CliRunner().invoke(main, ["search", "x", "--filter", "colur=red"])
    assert result.exit_code == 1
    assert "colur" in result.output


def test_reindex_runs_as_a_job_and_rebuilds_every_document(demo_structure):
    with session_scope() as session:
        write(session, electronics("Q-1"), electronics("Q-2"))
        # as if indexed once, then the documents were lost
        session.execute(update(Product).values(search_dirty=False))
    result = _run("search", "reindex")
    assert result.exit_code == 0, result.output
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(SearchDocument)) == 2
        job = session.scalar(select(Job).where(Job.kind == "search.reindex"))
        assert (job.status, job.progress_done, job.progress_total) == ("succeeded", 2, 2)
    health = _run("search", "health")
    assert health.exit_code == 0 and json.loads(health.output)["ok"] is True
