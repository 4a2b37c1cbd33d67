"""Channel completeness: project and check generated products in four channels, pure code.

Items are (product, channel) pairs; each pair projects and checks every channel locale
(distributor-eu has two, so 5 variants per product). The baseline is a bare ``json.dumps``
of the same records, once per pair: the floor for touching each record at all.
"""

from __future__ import annotations

import json
import random
import time
from decimal import Decimal

from channels import (
    build_validator,
    check_variant,
    in_assortment,
    load_presets,
    load_schema,
    project_product,
)
from tests.bench.harness import Measurement, workload
from tests.unit.channels.catalog import (
    apparel_chain,
    demo_context,
    electronics_product,
    spare_part,
    value,
)

CHANNELS = ("webshop-uk", "webshop-ie", "google-retail", "distributor-eu")


def generated_products(size: int, seed: int = 7):
    """(product, ancestors) pairs: a third each electronics, shirt variants, spare parts;
    about one in five with a gap or a broken value, so the error path is measured too."""
    rng = random.Random(seed)
    _, shirt_models = apparel_chain()
    for n in range(size):
        kind = n % 3
        if kind == 0:
            product, ancestors = electronics_product(sku=f"EL-{n:07d}"), []
            product.values["name"] = [value(f"Headphones {n}", "en_GB")]
        elif kind == 1:
            product, _ = apparel_chain()
            product.sku = f"SH-{n:07d}"
            ancestors = shirt_models
        else:
            product, ancestors = spare_part(sku=f"SP-{n:07d}"), []
        product.stock = {"warehouse_uk": Decimal(rng.randint(0, 5)), "warehouse_de": Decimal(3)}
        roll = rng.random()
        if roll < 0.1:
            product.values["ean"] = [value("5012345678901")]  # wrong check digit
        elif roll < 0.2:
            product.values.pop("name", None)
        yield product, ancestors


@workload("completeness_pure", size=20_000, unit="product-channels")
def completeness_pure(size: int) -> Measurement:
    context = demo_context()
    presets = load_presets()
    channels = [presets[code] for code in CHANNELS]
    validators = {c.code: build_validator(load_schema(c.schema_file)) for c in channels}
    requirements = {
        (family.code, c.code): family.requirements.get(c.code, ())
        for family in context.families.values()
        for c in channels
    }
    products = list(generated_products(size))

    started = time.perf_counter()
    checks = failed = 0
    for product, ancestors in products:
        family = product.family or ancestors[-1].family
        for channel in channels:
            in_assortment(product, ancestors, channel, context)
            for variant in project_product(product, ancestors, channel, context):
                result = check_variant(
                    variant,
                    channel,
                    validators[channel.code],
                    family_requirements=requirements[(family, channel.code)],
                    context=context,
                )
                checks += 1
                failed += not result.passed
    seconds = time.perf_counter() - started

    started = time.perf_counter()
    for product, _ in products:
        for _ in channels:
            json.dumps(product.values, default=str)
    baseline = time.perf_counter() - started
    engine = next(iter(validators.values())).engine
    return Measurement(
        items=len(products) * len(channels),
        seconds=seconds,
        baseline_seconds=baseline,
        notes=(
            f"{checks} variant checks ({checks / seconds:.0f}/s, {failed} failing), engine={engine}"
        ),
    )
