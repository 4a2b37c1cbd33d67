"""The product editor over Litestar's TestClient: what the page shows, saving (refusals at
the field, optimistic locking and the merge), roles and CSRF, the review actions."""

from __future__ import annotations

import re

from pim.auth.actor import Actor
from pim.catalog.edits import patch_product
from pim.catalog.schemas import ProductPatch
from pim.db import session_scope
from tests.integration.web.conftest import csrf_of


def editor(web, sku: str = "EL-1", **query):
    response = web.get(f"/products/{sku}", params=query)
    assert response.status_code == 200, response.text
    return response


def version_of(html: str) -> int:
    return int(re.search(r'name="version" value="(\d+)"', html).group(1))


def save(web, html: str, sku: str = "EL-1", **fields):
    data = {"_csrf_token": csrf_of(html), "version": str(version_of(html)),
            "locale": "en_GB", "channel": "webshop-uk", **fields}
    return web.post(f"/products/{sku}", data=data, headers={"HX-Request": "true"})


def test_the_editor_shows_the_product_by_attribute_group(signed_in):
    page = editor(signed_in("editor")).text
    assert 'id="group-marketing"' in page and 'id="f-name"' in page
    assert 'name="version"' in page
    assert "Completeness" in page and "Channel preview" in page


def test_a_save_writes_only_the_changed_field_and_a_new_version(signed_in):
    web = signed_in("editor")
    page = editor(web).text
    response = save(web, page, **{"v.brand": "Acme"})
    assert response.status_code == 200, response.text
    assert "Saved as version" in response.text
    assert 'value="Acme"' in response.text
    assert version_of(response.text) == version_of(page) + 1


def test_a_refused_value_says_why_at_its_field_and_keeps_what_was_typed(signed_in):
    web = signed_in("editor")
    page = editor(web).text
    response = save(web, page, **{"v.warranty_years": "eleventy", "v.brand": "Kept"})
    assert response.status_code == 422
    assert 'id="f-warranty_years-error"' in response.text
    assert "not a number" in response.text
    assert 'value="eleventy"' in response.text and 'value="Kept"' in response.text


def test_a_stale_save_shows_the_merge_and_writes_nothing(signed_in):
    web = signed_in("editor")
    page = editor(web).text
    with session_scope() as session:
        patch_product(session, "EL-1", ProductPatch.model_validate(
            {"values": {"brand": [{"data": "Theirs"}]}}), Actor("other", "editor"), None,
            source="api")
    response = save(web, page, **{"v.brand": "Mine"})
    assert response.status_code == 409
    assert 'id="merge"' in response.text and "Theirs" in response.text
    chosen = save(web, response.text, **{"v.brand": "Mine", "merge.brand": "yours"})
    assert chosen.status_code == 200, chosen.text
    assert 'value="Mine"' in chosen.text


def test_a_viewer_sees_no_edit_control_and_its_post_is_refused(signed_in):
    web = signed_in("viewer")
    page = editor(web).text
    assert 'id="editor-form"' not in page and "Submit for review" not in page
    response = web.post("/products/EL-1", data={"_csrf_token": csrf_of(page), "version": "1",
                                               "v.brand": "Nope"})
    assert response.status_code == 403


def test_an_unknown_product_is_a_404_page(signed_in):
    response = signed_in("viewer").get("/products/NOPE")
    assert response.status_code == 404


def test_a_product_model_page_edits_the_values_its_level_owns(signed_in):
    from pim.catalog.edits import put_product_model
    from pim.catalog.schemas import ProductModelIn

    with session_scope() as session:
        put_product_model(session, "MODEL-1", ProductModelIn.model_validate(
            {"family_variant": "apparel_colour_size",
             "values": {"brand": [{"data": "Northwind"}]}}), Actor("t", "admin"), source="t")
    web = signed_in("editor")
    page = web.get("/product-models/MODEL-1")
    assert page.status_code == 200, page.text
    assert 'value="Northwind"' in page.text and 'id="f-size"' not in page.text
    data = {"_csrf_token": csrf_of(page.text), "version": str(version_of(page.text)),
            "locale": "en_GB", "channel": "webshop-uk", "v.brand": "Oakline"}
    saved = web.post("/product-models/MODEL-1", data=data, headers={"HX-Request": "true"})
    assert saved.status_code == 200, saved.text
    assert 'value="Oakline"' in saved.text
    stale = web.post("/product-models/MODEL-1", data={**data, "v.brand": "Late"},
                     headers={"HX-Request": "true"})
    assert stale.status_code == 409


def _lock_waiter_seen(url: str) -> bool:
    """Whether a PostgreSQL backend of the test's database waits for a lock."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")))
    finally:
        engine.dispose()


def test_two_model_saves_over_one_version_never_lose_the_first(world, database):
    """Two editors save one product model over the version both read, at the same moment:
    the second waits for the first's write and then finds the version moved, so it gets
    the merge (stale) and writes nothing; the first's value stays."""
    import threading
    import time

    from pim.catalog.edits import put_product_model
    from pim.catalog.read import get_product_model
    from pim.catalog.schemas import ProductModelIn
    from pim.db import session_factory
    from pim.web.editor_page import model_view
    from pim.web.editor_save import model_writer, save_fields

    with session_scope() as session:
        put_product_model(session, "MODEL-1", ProductModelIn.model_validate(
            {"family_variant": "apparel_colour_size",
             "values": {"brand": [{"data": "Northwind"}]}}), Actor("t", "admin"), source="t")
    with session_scope() as session:  # both editors read the same version
        read = model_view(session, "MODEL-1", locale="en_GB", channel="webshop-uk",
                          may_write=True)

    def save_model(session, editor: str, brand: str):
        actor = Actor(editor, "editor")
        return save_fields(session, "MODEL-1", read.fields, read.version,
                           {"version": [str(read.version)], "v.brand": [brand]}, actor,
                           entity="product_model",
                           write=model_writer(session, "MODEL-1", actor))

    first = session_factory()()
    try:
        assert save_model(first, "first", "First").status == "saved"  # not committed yet
        second: dict = {}

        def save_second() -> None:
            with session_scope() as session:
                second["outcome"] = save_model(session, "second", "Second")

        racer = threading.Thread(target=save_second)
        racer.start()
        if database.url.startswith("postgresql"):
            # The second writer must be waiting on the first's row lock before it commits.
            # (On SQLite it waits for the write lock at its first statement, whenever that
            # comes: the first commits before the second reads anything.)
            deadline = time.monotonic() + 60
            while not _lock_waiter_seen(database.url):
                assert time.monotonic() < deadline, "the second save never waited"
                time.sleep(0.05)
        first.commit()
    finally:
        first.close()
    racer.join(timeout=120)
    assert not racer.is_alive()
    assert second["outcome"].status == "stale", second["outcome"]
    with session_scope() as session:
        stored = get_product_model(session, "MODEL-1")
    assert stored["values"]["brand"][0]["data"] == "First"
    assert stored["version"] == read.version + 1


def test_submitting_for_review_moves_the_channel_status(signed_in):
    web = signed_in("editor")
    page = editor(web).text
    response = web.post("/products/EL-1/workflow/submit", data={
        "_csrf_token": csrf_of(page), "channel": "webshop-uk", "locale": "en_GB"},
        headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text
    assert "submitted for review in webshop-uk" in response.text
    again = web.post("/products/EL-1/workflow/submit", data={
        "_csrf_token": csrf_of(page), "channel": "webshop-uk", "locale": "en_GB"})
    assert again.status_code == 409 and "EL-1 is in review in webshop-uk" in again.text


def test_the_review_panel_lists_the_carrying_channels_and_names_the_others(signed_in):
    page = editor(signed_in("editor")).text
    review = page[page.index('id="workflow"'):]
    review = review[:review.index("</section>")]
    # Electronics: the UK webshop carries it, the spare-parts distributor does not.
    assert 'id="wf-webshop-uk"' in review
    assert 'id="wf-distributor-eu"' not in review
    assert re.search(r"Not carried by [^<]*Distributor EU", review)
    assert "not in this channel's assortment" not in review
    assert re.search(r"<span>Family (?!electronics)[^<]+</span>", page)


def test_an_editor_may_not_approve(signed_in):
    web = signed_in("editor")
    page = editor(web).text
    response = web.post("/products/EL-1/workflow/approve", data={
        "_csrf_token": csrf_of(page), "channel": "webshop-uk"})
    assert response.status_code == 403


def test_a_reference_input_suggests_other_products(signed_in):
    from pim.db import session_factory
    from pim.search import index_pending

    index_pending(session_factory())  # the suggestions are the search slice's
    web = signed_in("editor")
    response = web.get("/products/EL-1/references", params={"attribute": "compatible_with",
                                                            "v.compatible_with": "EL-2"})
    assert response.status_code == 200
    assert '<option value="EL-2">' in response.text and "EL-1" not in response.text


def test_an_uploaded_image_becomes_the_field_value_with_its_thumbnail(signed_in):
    import io

    from PIL import Image

    web = signed_in("editor")
    page = editor(web).text
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    response = web.post("/products/EL-1/media", params={"attribute": "image"},
                        files={"file": ("red.png", buffer.getvalue(), "image/png")},
                        headers={"X-CSRF-Token": csrf_of(page), "HX-Request": "true"})
    assert response.status_code == 200, response.text
    path = re.search(r'name="v.image" value="([^"]+)"', response.text).group(1)
    thumbnail = re.search(r'src="(/web-media/[0-9a-f]{64})"', response.text).group(1)
    assert web.get(thumbnail).headers["content-type"] == "image/png"
    saved = save(web, page, **{"v.image": path})
    assert saved.status_code == 200 and thumbnail in saved.text
