"""Large files stream: records come one at a time and memory stays flat."""

import csv
import resource

import pytest

from importers import open_source
from tests.unit.importers.conftest import CHANNELS

ROWS = 200_000


def write_large_csv(path, rows: int) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sku", "family", "name", "title-en_US", "stock_level", "organic",
                         "weight", "weight-unit", "price-EUR", "color"])
        writer.writerows(
            (f"SKU-{i:07d}", "shirts", f"Shirt {i}", f"Title {i}", i % 97, i % 2, i % 900,
             "GRAM", f"{i % 50}.99", "red")
            for i in range(rows))


@pytest.mark.slow
def test_a_large_csv_streams_with_flat_memory(tmp_path, context):
    path = tmp_path / "large.csv"
    write_large_csv(path, ROWS)
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    count = errors = 0
    for item in open_source(path, context=context, channels=CHANNELS).records():
        if item.__class__.__name__ == "RowError":
            errors += 1
        else:
            count += 1
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1024
    assert (count, errors) == (ROWS, 0)
    # Holding every record would take well over 500 MB; the duplicate-SKU index is ~30 MB.
    assert growth_mb < 120, f"peak memory grew by {growth_mb:.0f} MB"
