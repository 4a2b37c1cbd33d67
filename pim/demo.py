"""A realistic, deterministic demo catalog: apparel with colour/size variants, electronics with
measurements and GTINs, B2B spare parts with GBP and EUR (tiered) prices, two category
trees, four locales and the shipped channel presets. Same seed, same catalog."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels.definition import load_presets
from pim.catalog.models import Product
from pim.catalog.product_models import write_product_models
from pim.catalog.products import CatalogCache, WritePolicy, write_products
from pim.catalog.structure import apply_structure
from pim.catalog.units import ensure_unit_families
from pim.media.demo_images import demo_image_for, store_demo_images
from pim.records import AssociationLink, ProductRecord, gtin_with_check_digit
from pim.workflow.channels import apply_channel

LOCALES = ["en_GB", "en_IE", "de_DE", "fr_FR"]
CURRENCIES = ["GBP", "EUR", "USD"]

# Labels that are not the code capitalized (acronyms).
LABELS = {"ean": "EAN", "mpn": "MPN", "erp": "ERP", "erp_name": "ERP name",
          "map_price": "MAP price"}

ATTRIBUTES: list[tuple[str, str, dict[str, Any]]] = [
    # code, type, flags
    ("name", "text", {"localizable": True, "group": "marketing"}),
    ("description", "textarea", {"localizable": True, "group": "marketing"}),
    ("short_description", "textarea", {"localizable": True, "scopable": True,
                                       "group": "marketing"}),
    ("brand", "text", {"group": "marketing"}),
    ("ean", "identifier", {"validation": {"format": "gtin"}, "unique": True,
                           "group": "identifiers"}),
    ("mpn", "identifier", {"group": "identifiers"}),
    ("part_number", "identifier", {"owner": "erp", "group": "identifiers"}),
    ("erp_name", "text", {"owner": "erp", "group": "erp"}),
    ("price", "price", {"owner": "erp", "group": "prices"}),
    ("sale_price", "price", {"group": "prices"}),
    ("map_price", "price", {"group": "prices"}),
    ("image", "media", {"group": "media"}),
    ("colour", "select", {"group": "specs"}),
    ("size", "select", {"group": "specs"}),
    ("material", "text", {"localizable": True, "group": "specs"}),
    ("care_instructions", "textarea", {"localizable": True, "group": "specs"}),
    ("condition", "select", {"group": "specs"}),
    ("weight", "measurement", {"unit_family": "Weight", "default_unit": "KILOGRAM",
                               "group": "specs"}),
    ("screen_size", "measurement", {"unit_family": "Length", "default_unit": "INCH",
                                    "group": "specs"}),
    ("power", "measurement", {"unit_family": "Power", "default_unit": "WATT", "group": "specs"}),
    ("voltage", "measurement", {"unit_family": "Voltage", "default_unit": "VOLT",
                                "group": "specs"}),
    ("warranty_years", "number", {"validation": {"decimals": 0, "min": "0", "max": "10"},
                                  "group": "specs"}),
    ("release_date", "date", {"group": "marketing"}),
    ("features", "multiselect", {"group": "specs"}),
    ("compatible_with", "reference", {"group": "specs"}),
]

OPTIONS = {
    "colour": {"black": "Black", "white": "White", "navy": "Navy", "red": "Red",
               "green": "Green", "grey": "Grey"},
    "size": {"xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL"},
    "condition": {"new": "New", "refurbished": "Refurbished", "used": "Used"},
    "features": {"bluetooth": "Bluetooth", "wifi": "Wi-Fi", "usb_c": "USB-C",
                 "waterproof": "Waterproof", "hdr": "HDR", "noise_cancelling": "Noise cancelling"},
}
GERMAN = {"black": "Schwarz", "white": "Weiß", "navy": "Marineblau", "red": "Rot", "green": "Grün",
          "grey": "Grau", "new": "Neu", "refurbished": "Generalüberholt", "used": "Gebraucht"}

FAMILIES = {
    "apparel": ["name", "description", "short_description", "brand", "ean", "price",
                "sale_price", "map_price", "image", "colour", "size", "weight", "material",
                "care_instructions", "condition", "erp_name", "release_date"],
    "electronics": ["name", "description", "short_description", "brand", "ean", "mpn", "price",
                    "sale_price", "map_price", "image", "weight", "screen_size", "power",
                    "voltage", "warranty_years", "release_date", "features", "condition",
                    "erp_name", "part_number"],
    "spare_parts": ["name", "description", "short_description", "brand", "ean", "mpn", "price",
                    "image", "weight", "material", "part_number", "erp_name", "compatible_with",
                    "voltage", "condition", "warranty_years"],
}

CATEGORIES = [
    ("master", None, "Master catalogue"),
    ("clothing", "master", "Clothing"),
    ("clothing_men", "clothing", "Men"),
    ("clothing_women", "clothing", "Women"),
    ("clothing_kids", "clothing", "Kids"),
    ("electronics", "master", "Electronics"),
    ("audio", "electronics", "Audio"),
    ("tv", "electronics", "TV & video"),
    ("computing", "electronics", "Computing"),
    ("b2b", None, "B2B spare parts"),
    ("pumps", "b2b", "Pumps"),
    ("valves", "b2b", "Valves"),
    ("bearings", "b2b", "Bearings"),
    ("electrical", "b2b", "Electrical"),
]
BRANDS = {
    "apparel": ["Northwind", "Harbour & Co", "Fieldcraft", "Oakline"],
    "electronics": ["Voltia", "Sonara", "Pixelworks", "Brightcast"],
    "spare_parts": ["Ferrotec", "Hydra", "Kugel", "Sparkline"],
}
NOUNS = {
    "apparel": ["jacket", "shirt", "hoodie", "trousers", "dress", "jumper"],
    "electronics": ["headphones", "speaker", "monitor", "television", "laptop", "soundbar"],
    "spare_parts": ["pump seal", "ball valve", "bearing", "relay", "impeller", "gasket"],
}
ADJECTIVES = ["classic", "compact", "heavy-duty", "lightweight", "premium", "essential"]
GERMAN_NOUNS = {"jacket": "Jacke", "shirt": "Hemd", "hoodie": "Kapuzenpullover",
                "trousers": "Hose", "dress": "Kleid", "jumper": "Pullover",
                "headphones": "Kopfhörer", "speaker": "Lautsprecher", "monitor": "Monitor",
                "television": "Fernseher", "laptop": "Laptop", "soundbar": "Soundbar",
                "pump seal": "Pumpendichtung", "ball valve": "Kugelhahn", "bearing": "Lager",
                "relay": "Relais", "impeller": "Laufrad", "gasket": "Dichtung"}


def load_structure(session: Session) -> None:
    """Locales, currencies, units, attributes, families, categories, channels."""
    for code in LOCALES:
        apply_structure(session, "locale", code, {})
    for code in CURRENCIES:
        apply_structure(session, "currency", code, {})
    ensure_unit_families(session)
    for code in ("marketing", "identifiers", "erp", "prices", "media", "specs"):
        apply_structure(session, "attribute_group", code,
                        {"labels": {"en_GB": LABELS.get(code) or code.title()}})
    for position, (code, kind, flags) in enumerate(ATTRIBUTES):
        labels = {"en_GB": LABELS.get(code) or code.replace("_", " ").capitalize()}
        apply_structure(session, "attribute", code,
                        {"type": kind, "labels": labels, "sort_order": position, **flags})
    for attribute, options in OPTIONS.items():
        for position, (code, label) in enumerate(options.items()):
            labels = {"en_GB": label, "en_IE": label, "de_DE": GERMAN.get(code, label),
                      "fr_FR": label}
            apply_structure(session, "attribute_option", code,
                            {"attribute": attribute, "labels": labels, "sort_order": position})
    for position, (code, parent, label) in enumerate(CATEGORIES):
        apply_structure(session, "category", code,
                        {"parent": parent, "labels": {"en_GB": label}, "position": position})
    for code, label, quantified in (("X_SELL", "Cross-sell", False), ("UPSELL", "Upsell", False),
                                    ("ACCESSORY", "Accessory", False),
                                    ("REPLACEMENT", "Replacement", False),
                                    ("PACK", "Pack", True)):
        apply_structure(session, "association_type", code,
                        {"labels": {"en_GB": label}, "quantified": quantified})
    presets = load_presets()
    for definition in presets.values():
        apply_channel(session, definition)
    for family, attributes in FAMILIES.items():
        requirements = {
            code: [a for a in ("name", "description", "price", "image", "brand")
                   if a in attributes]
            for code, definition in presets.items()
            if not definition.assortment.families or family in definition.assortment.families
        }
        apply_structure(session, "family", family, {
            "attributes": attributes, "labels": {"en_GB": family.replace("_", " ").title()},
            "label_attribute": "name", "image_attribute": "image", "requirements": requirements,
        })
    apply_structure(session, "family_variant", "apparel_colour_size", {
        "family": "apparel", "axes": [["colour"], ["size"]],
        "level_attributes": [["colour", "image"], ["size", "ean", "weight"]],
        "labels": {"en_GB": "Apparel by colour and size"},
    })


def _texts(rng: random.Random, family: str, index: int) -> tuple[dict, dict, str]:
    noun = rng.choice(NOUNS[family])
    adjective = rng.choice(ADJECTIVES)
    brand = rng.choice(BRANDS[family])
    english = f"{brand} {adjective} {noun} {index:05d}"
    name = {"en_GB": english, "en_IE": english, "de_DE": f"{brand} {GERMAN_NOUNS[noun]} {index:05d}",
            "fr_FR": f"{brand} {noun} {index:05d}"}
    description = {
        locale: f"<p>{text}: built for everyday use.</p><ul><li>Model {index:05d}</li>"
                f"<li>{brand} quality</li></ul>"
        for locale, text in name.items()
    }
    return name, description, brand


def _localized(data: dict[str, str]) -> list[dict]:
    return [{"locale": locale, "scope": None, "data": text} for locale, text in data.items()]


def _one(data) -> list[dict]:
    return [{"locale": None, "scope": None, "data": data}]


def _gtin(rng: random.Random) -> str:
    return gtin_with_check_digit("50" + "".join(str(rng.randrange(10)) for _ in range(10)))


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100 + Decimal("0.00")


def generate(count: int, seed: int) -> Iterator[ProductRecord]:
    """Yield product models (first, parents before children) then products, ``count`` products
    in all: 40% apparel variants, 30% electronics, 30% spare parts."""
    rng = random.Random(seed)
    apparel = count * 4 // 10
    electronics = count * 3 // 10
    parts = count - apparel - electronics
    colours, sizes = list(OPTIONS["colour"]), list(OPTIONS["size"])
    per_style = 3 * len(sizes)  # three colours of five sizes
    styles = -(-apparel // per_style) if apparel else 0
    models: list[ProductRecord] = []
    variants: list[ProductRecord] = []
    made = 0
    for style in range(styles):
        name, description, brand = _texts(rng, "apparel", style)
        code = f"AP-{style:05d}"
        price = _money(rng, 15, 180)
        models.append(ProductRecord(
            sku=code, kind="product_model", family_variant="apparel_colour_size",
            categories=[rng.choice(["clothing_men", "clothing_women", "clothing_kids"])],
            values={"name": _localized(name), "description": _localized(description),
                    "brand": _one(brand), "material": _localized(
                        {"en_GB": "Cotton", "en_IE": "Cotton", "de_DE": "Baumwolle",
                         "fr_FR": "Coton"}),
                    "price": _one([{"amount": str(price), "currency": "GBP"},
                                   {"amount": str((price * Decimal("1.17")).quantize(
                                       Decimal("0.01"))), "currency": "EUR"}]),
                    "map_price": _one([{"amount": str((price * Decimal("0.8")).quantize(
                        Decimal("0.01"))), "currency": "GBP"}]),
                    "condition": _one("new")}))
        for colour in rng.sample(colours, 3):
            sub = f"{code}-{colour}"
            models.append(ProductRecord(
                sku=sub, kind="product_model", parent=code,
                values={"colour": _one(colour),
                        "image": _one(f"demo/{code.lower()}-{colour}.jpg")}))
            for size in sizes:
                if made >= apparel:
                    break
                sku = f"{sub}-{size}".upper()
                variants.append(ProductRecord(
                    sku=sku, parent=sub, values={
                        "size": _one(size), "ean": _one(_gtin(rng)),
                        "weight": _one({"amount": str(Decimal(rng.randrange(200, 1500)) / 1000),
                                        "unit": "KILOGRAM"}),
                        "erp_name": _one(sku.replace("-", " "))},
                    stock={"warehouse_uk": Decimal(rng.randrange(0, 40)),
                           "warehouse_de": Decimal(rng.randrange(0, 20))}))
                made += 1
    yield from models
    yield from variants
    for index in range(electronics):
        name, description, brand = _texts(rng, "electronics", index)
        price = _money(rng, 30, 1500)
        yield ProductRecord(
            sku=f"EL-{index:06d}", family="electronics",
            categories=[rng.choice(["audio", "tv", "computing"])],
            values={
                "name": _localized(name), "description": _localized(description),
                "brand": _one(brand), "ean": _one(_gtin(rng)),
                "mpn": _one(f"{brand[:3].upper()}-{rng.randrange(10**6):06d}"),
                "price": _one([{"amount": str(price), "currency": "GBP"},
                               {"amount": str((price * Decimal("1.17")).quantize(
                                   Decimal("0.01"))), "currency": "EUR"}]),
                "image": _one(f"demo/el-{index:06d}.jpg"),
                "weight": _one({"amount": str(Decimal(rng.randrange(100, 25000)) / 1000),
                                "unit": "KILOGRAM"}),
                "screen_size": _one({"amount": str(rng.choice([13, 15, 24, 27, 43, 55, 65])),
                                     "unit": "INCH"}),
                "power": _one({"amount": str(rng.randrange(5, 400)), "unit": "WATT"}),
                "voltage": _one({"amount": "230", "unit": "VOLT"}),
                "warranty_years": _one(str(rng.choice([1, 2, 3, 5]))),
                "release_date": _one(f"20{rng.randrange(19, 26)}-{rng.randrange(1, 13):02d}-15"),
                "features": _one(rng.sample(list(OPTIONS["features"]), 2)),
                "condition": _one(rng.choice(["new", "new", "new", "refurbished"])),
                "part_number": _one(f"P{index:07d}"),
            },
            stock={"warehouse_uk": Decimal(rng.randrange(0, 60)),
                   "warehouse_de": Decimal(rng.randrange(0, 60)),
                   "dropship": Decimal(rng.randrange(0, 5))},
            associations={"ACCESSORY": [AssociationLink(f"EL-{(index + 1) % electronics:06d}")]}
            if electronics > 1 else None,
        )
    for index in range(parts):
        name, description, brand = _texts(rng, "spare_parts", index)
        gbp = _money(rng, 2, 400)
        eur = (gbp * Decimal("1.17")).quantize(Decimal("0.01"))
        yield ProductRecord(
            sku=f"SP-{index:06d}", family="spare_parts",
            categories=[rng.choice(["pumps", "valves", "bearings", "electrical"])],
            values={
                "name": _localized(name), "description": _localized(description),
                "brand": _one(brand), "ean": _one(_gtin(rng)),
                "mpn": _one(f"{brand[:3].upper()}-{rng.randrange(10**6):06d}"),
                "price": _one([
                    {"amount": str(gbp), "currency": "GBP"},
                    {"amount": str(eur), "currency": "EUR"},
                    {"amount": str((eur * Decimal("0.95")).quantize(Decimal("0.01"))),
                     "currency": "EUR", "min_quantity": 10},
                    {"amount": str((eur * Decimal("0.90")).quantize(Decimal("0.01"))),
                     "currency": "EUR", "min_quantity": 50},
                ]),
                "image": _one(f"demo/sp-{index:06d}.jpg"),
                "weight": _one({"amount": str(Decimal(rng.randrange(10, 5000)) / 1000),
                                "unit": "KILOGRAM"}),
                "material": _localized({"en_GB": "Stainless steel", "en_IE": "Stainless steel",
                                        "de_DE": "Edelstahl", "fr_FR": "Acier inoxydable"}),
                "part_number": _one(f"SP{index:07d}"),
                "voltage": _one({"amount": str(rng.choice([12, 24, 230])), "unit": "VOLT"}),
                "warranty_years": _one(str(rng.choice([1, 2]))),
                "condition": _one("new"),
            },
            stock={"warehouse_de": Decimal(rng.randrange(0, 500)),
                   "warehouse_uk": Decimal(rng.randrange(0, 100))},
        )


def load_demo(
    session_factory: Callable[[], Session],
    *,
    products: int = 1000,
    seed: int = 1,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Load the demo catalog (once: a catalog that has products is left alone).

    Each batch is its own transaction. Returns the number of products written.
    """
    with session_factory() as session, session.begin():
        if session.scalar(select(func.count()).select_from(Product)):
            return 0
        load_structure(session)
    with session_factory() as session, session.begin():
        images = store_demo_images(session, products, seed)
    written = 0
    batch: list[ProductRecord] = []
    model_batch: list[ProductRecord] = []

    def flush() -> None:
        nonlocal written
        with session_factory() as session, session.begin():
            cache = CatalogCache(session)
            if model_batch:
                write_product_models(session, model_batch, actor="demo", source="demo",
                                     policy=WritePolicy("system"), cache=cache)
            if batch:
                results = write_products(session, batch, actor="demo", source="demo",
                                         policy=WritePolicy("system"), cache=cache)
                refused = [r for r in results if not r.ok]
                if refused:
                    raise RuntimeError(f"demo product refused: {refused[0]}")
        written += len(batch)
        batch.clear()
        model_batch.clear()
        if progress:
            progress(written, products)

    for record in generate(products, seed):
        _with_stored_image(record, images)
        if record.kind == "product_model":
            model_batch.append(record)
            if len(model_batch) >= batch_size:
                flush()
        else:
            if model_batch:
                flush()
            batch.append(record)
            if len(batch) >= batch_size:
                flush()
    if batch or model_batch:
        flush()
    return written


def _with_stored_image(record: ProductRecord, images: list[str]) -> None:
    """Point a generated ``demo/...`` image name at one of the drawn, stored images."""
    for entry in record.values.get("image", ()):
        if isinstance(entry.get("data"), str) and entry["data"].startswith("demo/"):
            entry["data"] = demo_image_for(entry["data"], images)
