"""The connector file's mapping checked against the catalog before a pull reads anything.

A pull writes ERP-owned attributes only. A target the file names itself must exist and be
ERP-owned, or the pull stops before reading anything, naming the key. A default target
(Tryton's, for a minimal file) that the catalog lacks or that a person owns is left out
and said so in the pull's notes. A localizable target without a locale takes the file's
``locale``; a price target takes the ERP's currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from importers.erp import ConnectorConfigError, RestConnector, Target, TrytonConnector
from pim.records import CatalogContext

PRICE_FIELDS = frozenset({"list_price", "cost_price"})  # Tryton's: prices in its currency


@dataclass
class ResolvedMapping:
    targets: dict[str, Target]  # ERP field -> target, ready for the connector
    price_lists: dict[str, Target] = field(default_factory=dict)  # Tryton's, likewise
    notes: list[str] = field(default_factory=list)
    price_attributes: frozenset[str] = frozenset()  # whose other currencies are kept
    unused_stock_sources: list[str] = field(default_factory=list)


def resolve_mapping(config: TrytonConnector | RestConnector, context: CatalogContext, *,
                    families: dict[str, frozenset[str]],
                    stock_sources: set[str]) -> ResolvedMapping:
    """Check ``config`` against the catalog; raises ConnectorConfigError naming the key."""
    path = config.path
    if config.family not in families:
        raise ConnectorConfigError(f"the hub has no family {config.family!r}", key="family",
                                   path=path)
    targets: dict[str, Target] = {}
    price_lists: dict[str, Target] = {}
    notes: list[str] = []
    entries = [(f"mapping.{name}", name, target, default)
               for name, (target, default) in config.effective_mapping().items()]
    if isinstance(config, TrytonConnector):
        entries += [(f"price_lists.{name}", f"price_list:{name}", target, False)
                    for name, target in config.price_lists.items()]
    prices: set[str] = set()
    for key, name, target, default in entries:
        spec = context.attributes.get(target.attribute)
        problem = None
        if spec is None:
            problem = f"the hub has no attribute {target.attribute!r}"
        elif spec.owner != "erp":
            problem = (f"attribute {target.attribute!r} is owned by the PIM: ERP pulls write "
                       "ERP-owned attributes only")
        if problem is not None:
            if default:
                notes.append(f"default mapping {name} -> {target.attribute} left out: {problem}")
                continue
            raise ConnectorConfigError(problem, key=key, path=path)
        assert spec is not None
        if spec.localizable and target.locale is None:
            if config.locale is None:
                raise ConnectorConfigError(
                    f"attribute {target.attribute!r} is localizable: give its locale here or "
                    "`locale:` for the whole file", key=key, path=path)
            target = target.model_copy(update={"locale": config.locale})
        if spec.scopable and target.scope is None:
            raise ConnectorConfigError(f"attribute {target.attribute!r} is scopable: give "
                                       "its scope (a channel code)", key=key, path=path)
        if spec.type == "price":
            if not (target.currency or name in PRICE_FIELDS or name.startswith("price_list:")):
                raise ConnectorConfigError(f"attribute {target.attribute!r} is a price: give "
                                           "the currency of the ERP's amounts", key=key,
                                           path=path)
            prices.add(target.attribute)
        if spec.type == "measurement" and target.unit is None:
            raise ConnectorConfigError(f"attribute {target.attribute!r} is a measurement: give "
                                       "the unit of the ERP's numbers", key=key, path=path)
        if name.startswith("price_list:"):
            price_lists[name.split(":", 1)[1]] = target
        else:
            targets[name] = target
    unused = sorted(set(config.stock.values()) - stock_sources)
    if unused:
        notes.append(f"stock sources {', '.join(unused)} are in no channel's stock_sources")
    return ResolvedMapping(targets, price_lists, notes, frozenset(prices), unused)
