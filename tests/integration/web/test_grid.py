"""The product grid over the search slice: text, facets with counts, filters in the URL,
sorting, keyset pages, each channel's standing, and the swap htmx asks for."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from pim.catalog.models import Product
from pim.db import read_session
from pim.workflow.models import Completeness

pytestmark = pytest.mark.usefixtures("grid_world")



@pytest.fixture
def world(grid_world):  # the web fixtures' users live in the grid world
    return grid_world


def skus(html: str) -> list[str]:
    return re.findall(r'<td class="mono sku"><a href="/products/[^"]+">([^<]+)</a>', html)


def count_of(html: str) -> str:
    match = re.search(r'id="grid-status"[^>]*>\s*([^<]+?)\s*</p>', html)
    assert match, "no result count"
    return match.group(1)


def test_the_grid_lists_products_newest_first_with_the_count(signed_in):
    html = signed_in("viewer").get("/products").text
    assert count_of(html) == "60 products"
    assert len(skus(html)) == 50
    assert 'rel="next"' in html


def test_a_sku_fragment_ranks_its_products_first(signed_in):
    web = signed_in("viewer")
    found = skus(web.get("/products?q=EL-00000").text)
    assert set(found[:10]) == {f"EL-00000{n}" for n in range(10)}


def test_facets_count_the_matching_products(signed_in):
    html = signed_in("viewer").get("/products").text
    with read_session() as session:
        electronics = session.scalar(select(func.count()).select_from(Product)
                                     .where(Product.family_code == "electronics"))
    facet = re.search(r'id="facet-family-electronics"[^>]*>.*?facet-count">(\d+)', html, re.S)
    assert facet and int(facet.group(1)) == electronics


def test_a_facet_link_narrows_and_keeps_the_text_in_the_url(signed_in):
    web = signed_in("viewer")
    html = web.get("/products?q=Voltia").text
    link = re.search(r'id="facet-family-electronics" href="([^"]+)"', html)
    assert link
    url = link.group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(url).query) == {"q": ["Voltia"], "family": ["electronics"]}
    narrowed = web.get(url).text
    assert skus(narrowed) and all(s.startswith("EL-") for s in skus(narrowed))
    assert "Family: Electronics" in narrowed  # the chip that removes it


def test_the_dashboard_links_open_the_grid_filtered_in_the_channel(signed_in):
    web = signed_in("viewer")
    html = web.get("/products?channel=webshop-uk&errors=yes").text
    with read_session() as session:
        failing = session.scalar(
            select(func.count(func.distinct(Completeness.product_id))).where(
                Completeness.channel_code == "webshop-uk",
                Completeness.in_assortment.is_(True),
                func.json_array_length(Completeness.errors) > 0)
            if session.get_bind().dialect.name == "sqlite" else
            select(func.count(func.distinct(Completeness.product_id))).where(
                Completeness.channel_code == "webshop-uk",
                Completeness.in_assortment.is_(True),
                func.jsonb_array_length(Completeness.errors) > 0))
    assert count_of(html) == f"{failing} product{'' if failing == 1 else 's'}"
    assert "With errors" in html and "Channel: " in html
    for link in ("/products?channel=webshop-uk&changed=yes",
                 "/products?channel=webshop-uk&status=in_review",
                 "/products?channel=webshop-uk&locale=en_GB&band=complete"):
        assert web.get(link).status_code == 200, link


def test_the_dashboards_incomplete_link_lists_the_locales_incomplete_products(signed_in):
    # the dashboard's bars link to band=incomplete (pim/web/static/dashboard.js)
    from pim.db import session_factory, session_scope
    from pim.records import ProductRecord
    from pim.search import index_pending
    from tests.factories import one, write

    with session_scope() as session:  # a name only: incomplete in en_GB
        write(session, ProductRecord(sku="BARE-1", family="electronics", categories=["audio"],
                                     values={"name": one("Bare speaker", "en_GB")}))
    index_pending(session_factory())
    html = signed_in("viewer").get(
        "/products?channel=webshop-uk&locale=en_GB&band=incomplete").text
    with read_session() as session:
        below = session.scalar(select(func.count(func.distinct(Completeness.product_id)))
                               .where(Completeness.channel_code == "webshop-uk",
                                      Completeness.locale == "en_GB",
                                      Completeness.percent < 100))
    assert below  # the world has incomplete products there
    assert count_of(html) == f"{below} product{'' if below == 1 else 's'}"
    assert "Completeness: Incomplete" in html


def test_a_channel_shows_its_status_column_and_completeness_bars(signed_in):
    html = signed_in("viewer").get("/products?channel=webshop-uk&family=electronics").text
    assert '<th scope="col">Status</th>' in html
    assert re.search(r'<th scope="col" class="col-channel is-current"[^>]*>webshop-uk</th>', html)
    assert re.search(r'<td class="ch[^"]*"><span class="meter meter-\w+" aria-hidden="true">'
                     r'<span class="meter-fill w-\d+"></span></span> \d+%', html)
    assert "facet-status-draft" in html


def facet_count(html: str, option: str) -> int | None:
    """The count a facet option shows (None: the option is shown without one or not at
    all)."""
    found = re.search(rf'id="{option}"[^>]*>(.*?)</a>', html, re.S)
    count = found and re.search(r'facet-count">([\d,]+)', found.group(1))
    return int(count.group(1).replace(",", "")) if count else None


@pytest.mark.parametrize("view", ["", "&q=bare"])  # every product; a text's matches
def test_the_channel_shows_completeness_band_and_error_counts(signed_in, view):
    from pim.db import session_factory, session_scope
    from pim.records import ProductRecord
    from pim.search import index_pending
    from tests.factories import one, write

    with session_scope() as session:  # a name only: less complete than the demo's
        write(session, ProductRecord(sku="BARE-1", family="electronics", categories=["audio"],
                                     values={"name": one("Bare speaker", "en_GB")}))
    index_pending(session_factory())
    html = signed_in("viewer").get(f"/products?channel=webshop-uk{view}").text
    shown = set(skus(html)) if view else None  # the text matches fewer than a page
    with read_session() as session:
        length = (func.jsonb_array_length if session.get_bind().dialect.name == "postgresql"
                  else func.json_array_length)
        rows = session.execute(
            select(Product.sku, func.min(Completeness.percent),
                   func.max(length(Completeness.errors)))
            .join(Completeness, Completeness.product_id == Product.id)
            .where(Completeness.channel_code == "webshop-uk").group_by(Product.sku)).all()
        products = session.scalar(select(func.count()).select_from(Product))
    rows = [row for row in rows if shown is None or row[0] in shown]
    bands = {"complete": 0, "high": 0, "mid": 0, "low": 0}
    for _, percent, _ in rows:
        bands["complete" if percent >= 100 else "high" if percent >= 80
              else "mid" if percent >= 50 else "low"] += 1
    erring = sum(1 for *_, errors in rows if errors)
    matching = products if shown is None else len(shown)
    assert sum(1 for n in bands.values() if n) >= (1 if view else 2)  # they discriminate
    for band, expected in bands.items():
        assert facet_count(html, f"facet-band-{band}") == expected, band
    assert facet_count(html, "facet-errors-With-errors") == erring
    # (an option no product has is not shown)
    assert facet_count(html, "facet-errors-Without-errors") == (matching - erring or None)


def test_each_row_shows_its_main_image_as_the_editor_would(signed_in, tmp_path):
    from PIL import Image

    from pim.catalog.images import main_image_values
    from pim.db import session_factory, session_scope
    from pim.media.service import store_file
    from pim.search import index_pending
    from pim.web.editor_media import media_thumbnail_url
    from tests.factories import electronics, one, write

    Image.new("RGB", (4, 4), "red").save(tmp_path / "dot.png")
    with session_scope() as session:  # first by SKU, with a stored image
        asset = store_file(session, tmp_path / "dot.png")
        write(session, electronics("AAA-IMG", image=one(asset.path)))
    index_pending(session_factory())
    html = signed_in("viewer").get("/products?sort=sku").text
    cells = re.findall(r'<td class="col-thumb">(.*?)</td>\s*<td class="mono sku">'
                       r'<a href="/products/[^"]+">([^<]+)</a>', html, re.S)
    shown = {sku: (found.group(1) if (found := re.search(r'src="([^"]+)"', cell)) else "")
             for cell, sku in cells}
    with read_session() as session:
        ids = dict(session.execute(select(Product.sku, Product.id)
                                   .where(Product.sku.in_(list(shown)))).all())
        images = main_image_values(session, list(ids.values()))
        expected = {sku: media_thumbnail_url(session, images.get(pid, "")) or ""
                    for sku, pid in ids.items()}
    assert len(shown) == 50 and expected["AAA-IMG"] == f"/web-media/{asset.sha256}"
    assert shown == expected


def test_sorting_by_sku_both_ways(signed_in):
    web = signed_in("viewer")
    up = skus(web.get("/products?sort=sku").text)
    down = skus(web.get("/products?sort=-sku").text)
    assert up == sorted(up) and down == sorted(down, reverse=True)
    assert up[0] < down[0]


def test_keyset_pages_follow_each_other_without_overlap(signed_in):
    web = signed_in("viewer")
    first = web.get("/products?sort=sku").text
    link = re.search(r'href="([^"]+)" rel="next"', first)
    assert link
    second = web.get(link.group(1).replace("&amp;", "&")).text
    assert len(skus(first)) == 50 and len(skus(second)) == 10
    assert not set(skus(first)) & set(skus(second))
    assert 'rel="next"' not in second and "First page" in second


def test_an_htmx_swap_returns_the_grid_and_its_state_out_of_band(signed_in):
    web = signed_in("viewer")
    response = web.get("/products?q=Voltia&family=electronics",
                       headers={"HX-Request": "true", "HX-Target": "grid",
                                "HX-Trigger": "grid-search"})
    html = response.text
    assert html.lstrip().startswith("<div id=\"grid\"")
    assert "<html" not in html
    assert 'id="grid-status" class="grid-status" role="status" hx-swap-oob="true"' in html
    assert re.search(r'id="grid-state" hx-swap-oob="true">\s*<input type="hidden" '
                     r'name="family" value="electronics">', html)
    assert 'id="grid-q"' not in html  # never replaced while someone types in it
    by_link = web.get("/products?family=electronics",
                      headers={"HX-Request": "true", "HX-Target": "grid"}).text
    assert 'id="grid-q" name="q"' in by_link


def test_bad_filter_values_are_a_clear_422_naming_them(signed_in):
    web = signed_in("viewer")
    for url, name in (("/products?band=perfect", "band"), ("/products?errors=maybe", "errors"),
                      ("/products?status=in_review", "channel"),
                      ("/products?channel=webshop-uk&status=lost", "status")):
        response = web.get(url)
        assert response.status_code == 422, url
        assert name in response.text, url


def test_an_unknown_channel_is_a_404_page(signed_in):
    assert signed_in("viewer").get("/products?channel=nowhere").status_code == 404


def test_hostile_text_is_searched_as_text(signed_in):
    web = signed_in("viewer")
    for text in ('"', "*", "NEAR(", "%_\\", "a" * 5000, "-x -y", "é" * 300):
        response = web.get("/products", params={"q": text})
        assert response.status_code == 200, text
    assert web.get("/products", params={"q": "x\x00y"}).status_code == 400  # NUL: refused


def statuses(channel: str, wanted: list[str]) -> dict[str, str]:
    from pim.workflow.transitions import workflow_status

    with read_session() as session:
        return {sku: next(s["status"] for s in workflow_status(session, sku)
                          if s["channel"] == channel) for sku in wanted}


def test_an_editor_submits_the_selected_products_for_review_in_the_channel(signed_in):
    from tests.integration.web.conftest import csrf_of

    web = signed_in("editor")
    view = "/products?channel=webshop-uk&family=electronics&sort=sku"
    html = web.get(view).text
    assert 'id="bulk-form"' in html and "Submit for review in" in html
    chosen = skus(html)[:2]
    response = web.post("/workflow/bulk", data={
        "action": "submit", "channel": "webshop-uk", "sku": chosen, "back": view,
        "_csrf_token": csrf_of(html)}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == view + "&done=submit&n=2"
    after = web.get(response.headers["location"]).text
    assert "2 products submitted for review in" in after
    assert statuses("webshop-uk", chosen) == dict.fromkeys(chosen, "in_review")


def test_a_batch_with_one_product_in_the_wrong_status_changes_none(signed_in):
    from tests.integration.web.conftest import csrf_of

    web = signed_in("reviewer")
    html = web.get("/products?channel=webshop-uk&family=electronics&sort=sku").text
    assert "Approve" in html and "Submit for review" not in html
    chosen = skus(html)[:2]
    response = web.post("/workflow/bulk", data={
        "action": "approve", "channel": "webshop-uk", "sku": chosen,
        "_csrf_token": csrf_of(html)}, follow_redirects=False)
    assert response.status_code == 409
    assert chosen[0] in response.text and "draft" in response.text
    assert statuses("webshop-uk", chosen) == dict.fromkeys(chosen, "draft")


def test_a_refused_batch_answers_the_grid_with_the_selection_kept_and_the_reason(signed_in):
    from tests.integration.web.conftest import csrf_of

    web = signed_in("reviewer")
    view = "/products?channel=webshop-uk&family=electronics&sort=sku"
    html = web.get(view).text
    chosen = skus(html)[:2]
    response = web.post("/workflow/bulk", data={
        "action": "approve", "channel": "webshop-uk", "sku": chosen, "back": view,
        "_csrf_token": csrf_of(html)}, follow_redirects=False)
    assert response.status_code == 409
    assert skus(response.text) == skus(html)  # the same view of the grid
    checked = re.findall(r'name="sku" value="([^"]+)" form="bulk-form"[^>]* checked>',
                         response.text)
    assert checked == chosen
    error = re.search(r'<div id="bulk-error"[^>]*>(.*?)</div>', response.text, re.S)
    assert error and "Nothing was changed." in error.group(1) and chosen[0] in error.group(1)
    assert response.text.index('id="bulk-error"') < response.text.index("product-grid")


def test_a_viewer_sees_no_bulk_control_and_its_bulk_post_is_refused(signed_in):
    from tests.integration.web.conftest import csrf_of

    web = signed_in("viewer")
    html = web.get("/products?channel=webshop-uk&family=electronics").text
    assert 'id="bulk-form"' not in html and 'name="sku"' not in html
    chosen = skus(html)[:1]
    response = web.post("/workflow/bulk", data={
        "action": "submit", "channel": "webshop-uk", "sku": chosen,
        "_csrf_token": csrf_of(html)}, follow_redirects=False)
    assert response.status_code == 403
    assert statuses("webshop-uk", chosen) == dict.fromkeys(chosen, "draft")


def test_a_bulk_post_without_a_selection_says_so(signed_in):
    from tests.integration.web.conftest import csrf_of

    web = signed_in("editor")
    token = csrf_of(web.get("/products").text)
    response = web.post("/workflow/bulk", data={"action": "submit", "channel": "webshop-uk",
                                                "_csrf_token": token})
    assert response.status_code == 422 and "select at least one product" in response.text


def server_time_ms(response) -> float:
    """The ``app`` duration of a response's Server-Timing header, in milliseconds."""
    header = response.headers.get("server-timing")
    assert header, "the response says no server time"
    match = re.fullmatch(r"app;dur=(\d+\.\d)(, queue;dur=\d+\.\d)?", header)
    assert match, header
    return float(match.group(1))


def test_the_grid_page_says_its_server_time(signed_in):
    web = signed_in("viewer")
    started = time.perf_counter()
    response = web.get("/products?q=EL&family=electronics")
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 200
    # Plausible: some time was spent, and no more than the client waited in all.
    assert 0 < server_time_ms(response) <= elapsed_ms
