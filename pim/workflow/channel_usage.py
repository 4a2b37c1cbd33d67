"""Which channels name a structure entity, so that the catalog refuses to delete it.

Connected to the catalog's ``listeners.structure_users`` in ``pim.wiring``: deleting a
family, category, attribute, locale or currency a channel's assortment, mapping, pricing,
locales or currency names would leave the channel pointing at nothing (its completeness,
assortment and feeds then fail). The answer reads like the catalog's own users:
"1 channel (webshop-uk: mapping and pricing)".
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from channels.definition import ChannelDefinition
from pim.workflow.channels import list_channels

SHOWN = 3  # channels named in a refusal, as the catalog names its own users


def _attribute_places(channel: ChannelDefinition, code: str) -> list[str]:
    mapping = channel.mapping
    sources = [source.attribute for sources in mapping.fields.values() for source in sources]
    pricing = channel.pricing
    return [place for place, named in (
        ("mapping", code in sources or code in mapping.attributes),
        ("pricing", code in (pricing.price, pricing.sale_price, pricing.map_price)),
    ) if named]


def _family_places(channel: ChannelDefinition, code: str) -> list[str]:
    return ["assortment"] if code in channel.assortment.families else []


def _category_places(channel: ChannelDefinition, code: str) -> list[str]:
    return ["assortment"] if code in channel.assortment.category_roots else []


def _locale_places(channel: ChannelDefinition, code: str) -> list[str]:
    sources = [source for sources in channel.mapping.fields.values() for source in sources]
    return [place for place, named in (
        ("locales", code in channel.locales or code in channel.fallback_locales.values()),
        ("mapping", any(source.locale == code for source in sources)),
    ) if named]


def _currency_places(channel: ChannelDefinition, code: str) -> list[str]:
    return ["currency"] if channel.currency == code else []


_PLACES: dict[str, Callable[[ChannelDefinition, str], list[str]]] = {
    "attribute": _attribute_places,
    "family": _family_places,
    "category": _category_places,
    "locale": _locale_places,
    "currency": _currency_places,
}


def channels_naming(session: Session, kind: str, code: str,
                    attribute: str | None = None) -> list[tuple]:
    """The channels whose definition names ``code`` of ``kind``, as one use
    ``("channel", count, ["webshop-uk: mapping and pricing", ...])``; [] when none does
    (and for kinds no channel names: options, variants, unit families, groups)."""
    places_of = _PLACES.get(kind)
    if places_of is None:
        return []
    named = [(channel.code, places) for channel in list_channels(session)
             if (places := places_of(channel, code))]
    if not named:
        return []
    return [("channel", len(named),
             [f"{channel}: {' and '.join(places)}" for channel, places in named[:SHOWN]])]
