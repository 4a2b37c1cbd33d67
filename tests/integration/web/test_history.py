"""A product's history page: versions with who, when and source, a readable diff per locale
and channel, and restoring a version as a new one (editors only, CSRF, never over a save
made meanwhile)."""

from __future__ import annotations

import re

from pim.catalog.versions import product_history
from pim.db import read_session, session_scope
from tests.factories import electronics, one, write
from tests.integration.web.conftest import csrf_of


def rename(name: str, sku: str = "EL-1") -> None:
    with session_scope() as session:
        [result] = write(session, electronics(sku, name=one(name, "en_GB")), source="import:7",
                         actor="importer")
        assert result.status == "updated"


def versions_of(sku: str = "EL-1") -> list:
    with read_session() as session:
        return [(e.version, e.source, e.changed_by) for e in product_history(session, sku)]


def test_history_lists_versions_newest_first_with_who_when_and_source(signed_in):
    rename("Voltia speaker mk II")
    web = signed_in("viewer")
    page = web.get("/products/EL-1/history")
    assert page.status_code == 200
    html = page.text
    assert html.index('id="v2"') < html.index('id="v1"')
    assert "importer" in html and "Import" in html and "job 7" in html
    assert 'badge-source-import' in html


def test_a_change_reads_as_the_attribute_label_with_its_locale_before_and_after(signed_in):
    rename("Voltia speaker mk II")
    html = signed_in("viewer").get("/products/EL-1/history").text
    version2 = html[html.index('id="v2"'):html.index('id="v1"')]
    assert re.search(r'<span class="diff-label">Name</span>\s*<span class="chip"[^>]*>en_GB</span>',
                     version2)
    assert "<del>Voltia speaker</del>" in version2
    assert "<ins>Voltia speaker mk II</ins>" in version2


def test_an_editor_restores_a_version_as_a_new_version(signed_in):
    rename("Voltia speaker mk II")
    web = signed_in("editor")
    page = web.get("/products/EL-1/history")
    assert "Restore version 1" in page.text
    assert "Restore version 2" not in page.text  # the current one
    response = web.post("/products/EL-1/restore", data={
        "version": "1", "current": "2", "_csrf_token": csrf_of(page.text)},
        follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/products/EL-1/history?restored=1&as_version=3"
    after = web.get(response.headers["location"]).text
    assert "Version 1 restored: the product is now at version 3." in after
    assert versions_of()[-1] == (3, "ui (restore of v1)", "editor@pim.test")
    with read_session() as session:
        state = product_history(session, "EL-1")[-1].state
    assert state["values"]["name"][0]["data"] == "Voltia speaker"


def test_restoring_after_someone_else_saved_is_refused_and_says_so(signed_in):
    rename("Voltia speaker mk II")
    web = signed_in("editor")
    token = csrf_of(web.get("/products/EL-1/history").text)
    rename("Voltia speaker mk III")  # version 3, saved by someone else meanwhile
    response = web.post("/products/EL-1/restore", data={
        "version": "1", "current": "2", "_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 409
    assert "someone changed the product meanwhile" in response.text
    assert "now at version 3" in response.text
    assert [v for v, _, _ in versions_of()] == [1, 2, 3]


def test_a_viewer_sees_no_restore_control_and_its_restore_is_refused(signed_in):
    rename("Voltia speaker mk II")
    web = signed_in("viewer")
    page = web.get("/products/EL-1/history")
    assert "Restore version" not in page.text
    response = web.post("/products/EL-1/restore", data={
        "version": "1", "current": "2", "_csrf_token": csrf_of(page.text)},
        follow_redirects=False)
    assert response.status_code == 403
    assert [v for v, _, _ in versions_of()] == [1, 2]


def test_restoring_without_the_csrf_token_is_refused(signed_in):
    rename("Voltia speaker mk II")
    web = signed_in("editor")
    response = web.post("/products/EL-1/restore", data={"version": "1", "current": "2"},
                        follow_redirects=False)
    assert response.status_code == 403
    assert [v for v, _, _ in versions_of()] == [1, 2]


def test_a_bad_version_number_is_a_clear_422_not_a_500(signed_in):
    web = signed_in("editor")
    token = csrf_of(web.get("/products/EL-1/history").text)
    response = web.post("/products/EL-1/restore", data={
        "version": "one", "current": "1", "_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 422
    assert "version" in response.text


def test_the_history_of_an_unknown_product_is_a_404_page(signed_in):
    response = signed_in("viewer").get("/products/NOPE/history")
    assert response.status_code == 404
    assert "NOPE" in response.text


def test_a_long_history_pages_by_version(signed_in, monkeypatch):
    from pim.web import history

    monkeypatch.setattr(history, "PAGE_SIZE", 2)
    for n in range(2, 6):
        rename(f"Voltia speaker {n}")
    web = signed_in("viewer")
    first = web.get("/products/EL-1/history").text
    assert 'id="v5"' in first and 'id="v4"' in first and 'id="v3"' not in first
    assert "?before=4" in first
    older = web.get("/products/EL-1/history?before=4").text
    assert 'id="v3"' in older and 'id="v2"' in older and 'id="v4"' not in older
