"""Structure a channel's definition names is not deleted: the refusal names the channel,
over the API (409) and the CLI (exit status 1), as it names products and families."""

import pytest
from click.testing import CliRunner

from channels.definition import load_presets
from pim.catalog.structure import apply_structure, load_context
from pim.cli import main
from pim.db import session_scope
from pim.workflow.channels import apply_channel, get_channel

# kind, code, where the channel "lamps-it" names it, the API path deleting it (or None)
NAMED = [
    ("attribute", "lamp_voltage", "mapping", "/api/v1/attributes/lamp_voltage"),
    ("family", "lamps", "assortment", "/api/v1/families/lamps"),
    ("category", "garden", "assortment", "/api/v1/categories/garden"),
    ("locale", "it_IT", "locales", None),
    ("currency", "CHF", "currency", None),
]


def lamps_channel(**changes):
    """A channel naming structure nothing else uses: a new attribute, family, category,
    locale and currency."""
    shop = load_presets()["webshop-uk"]
    definition = {
        "code": "lamps-it", "label": "Lamps Italy", "locales": ("it_IT",),
        "fallback_locales": {}, "currency": "CHF",
        "assortment": shop.assortment.model_copy(update={"families": ("lamps",),
                                                         "category_roots": ("garden",)}),
        "mapping": shop.mapping.model_copy(update={"attributes": ("lamp_voltage",)}),
    }
    return shop.model_copy(update={**definition, **changes})


@pytest.fixture
def lamps(world):
    with session_scope() as session:
        apply_structure(session, "locale", "it_IT", {})
        apply_structure(session, "currency", "CHF", {})
        apply_structure(session, "attribute", "lamp_voltage", {"type": "text"})
        apply_structure(session, "family", "lamps", {"attributes": ["name"]})
        apply_structure(session, "category", "garden", {"parent": "master"})
        apply_channel(session, lamps_channel())
    return world


@pytest.fixture
def cli():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def still_there(kind: str, code: str) -> bool:
    with session_scope() as session:
        context = load_context(session)
        return code in {"attribute": context.attributes, "family": context.families,
                        "category": context.categories, "locale": context.locales,
                        "currency": context.currencies}[kind]


@pytest.mark.parametrize(("kind", "code", "place", "path"),
                         [n for n in NAMED if n[3]], ids=[n[0] for n in NAMED if n[3]])
def test_deleting_what_a_channel_names_over_the_api_is_a_409_naming_it(
        client, lamps, kind, code, place, path):
    response = client.delete(path, headers=lamps.auth("admin"))
    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert detail == (f"{kind} {code!r} is still used by 1 channel (lamps-it: {place}): "
                      "nothing was deleted")
    assert still_there(kind, code)


@pytest.mark.parametrize(("kind", "code", "place", "path"), NAMED, ids=[n[0] for n in NAMED])
def test_deleting_what_a_channel_names_on_the_cli_is_refused_naming_it(
        cli, lamps, kind, code, place, path):
    result = cli("structure", "delete", kind, code)
    assert result.exit_code == 1
    assert (f"Error: {kind} {code!r} is still used by 1 channel (lamps-it: {place}): "
            "nothing was deleted") in result.output
    assert still_there(kind, code)


def test_every_place_and_channel_naming_an_attribute_is_named(cli, lamps):
    with session_scope() as session:
        apply_channel(session, lamps_channel(
            pricing=get_channel(session, "lamps-it").pricing.model_copy(
                update={"sale_price": "lamp_voltage"})))
        apply_channel(session, lamps_channel(code="lamps-ch"))
    result = cli("structure", "delete", "attribute", "lamp_voltage")
    assert result.exit_code == 1
    assert "2 channels (lamps-ch: mapping, lamps-it: mapping and pricing)" in result.output


def test_a_locale_a_channel_maps_from_or_falls_back_to_is_named(cli, lamps):
    with session_scope() as session:
        apply_structure(session, "locale", "fr_CH", {})
        mapping = lamps_channel().mapping
        title = mapping.fields["title"][0].model_copy(update={"locale": "fr_CH"})
        apply_channel(session, lamps_channel(
            fallback_locales={"it_IT": "fr_CH"},
            mapping=mapping.model_copy(update={"fields": {**mapping.fields,
                                                          "title": (title,)}})))
    result = cli("structure", "delete", "locale", "fr_CH")
    assert result.exit_code == 1
    assert "1 channel (lamps-it: locales and mapping)" in result.output


@pytest.mark.parametrize(("kind", "code", "place", "path"), NAMED, ids=[n[0] for n in NAMED])
def test_what_no_channel_names_any_more_is_deleted(cli, lamps, kind, code, place, path):
    shop = load_presets()["webshop-uk"]
    with session_scope() as session:
        apply_channel(session, shop.model_copy(update={"code": "lamps-it"}))
    result = cli("structure", "delete", kind, code)
    assert result.exit_code == 0, result.output
    assert result.output == f"deleted {kind} {code}\n"
    assert not still_there(kind, code)
