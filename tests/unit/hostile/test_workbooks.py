"""Hostile workbooks (issue #18 items 7 and 8): PIM_XLSX_MAX_UNCOMPRESSED_BYTES is the real
limit, also for a part that lies about its size, and an XXE in workbook.xml is a permanent
file error, never a crash retried as transient."""

from __future__ import annotations

import struct
import zipfile

import openpyxl
import pytest

from importers import open_source
from importers.errors import ImportFileError, UnsafeFileError
from tests.unit.importers.conftest import CHANNELS, make_context


def workbook(path, rows: int = 50):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["sku", "name"])
    for n in range(rows):
        sheet.append([f"SKU-{n}", "x" * 200])
    book.save(path)
    return path


def rewritten(source, target, change):
    """The workbook with each part's bytes passed through ``change(name, data)``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w",
                                                          zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, change(info.filename, old.read(info)))
    return target


def read(path, **options):
    return list(open_source(path, context=make_context(), channels=CHANNELS,
                            **options).records())


def test_a_workbook_inflating_past_the_limit_is_refused(tmp_path):
    path = workbook(tmp_path / "big.xlsx", rows=2000)

    with pytest.raises(UnsafeFileError, match="PIM_XLSX_MAX_UNCOMPRESSED_BYTES"):
        read(path, max_uncompressed_bytes=100_000)
    assert len(read(path, max_uncompressed_bytes=10_000_000)) == 2000


def test_a_part_that_inflates_to_more_than_it_declares_is_refused(tmp_path):
    path = workbook(tmp_path / "liar.xlsx", rows=2000)
    data = bytearray(path.read_bytes())
    # Declare the sheet 1,000 bytes long in the central directory and its local header.
    name = b"xl/worksheets/sheet1.xml"
    central = data.find(b"PK\x01\x02" + bytes(42) [:0])
    while central != -1:
        if data[central + 46:central + 46 + len(name)] == name:
            struct.pack_into("<I", data, central + 24, 1000)
        central = data.find(b"PK\x01\x02", central + 4)
    local = data.find(b"PK\x03\x04")
    while local != -1:
        if data[local + 30:local + 30 + len(name)] == name:
            struct.pack_into("<I", data, local + 22, 1000)
        local = data.find(b"PK\x03\x04", local + 4)
    path.write_bytes(bytes(data))

    with pytest.raises(UnsafeFileError, match="does not inflate"):
        read(path)


def test_an_xxe_in_workbook_xml_is_a_permanent_file_error(tmp_path):
    source = workbook(tmp_path / "plain.xlsx")

    def with_entity(name: str, data: bytes) -> bytes:
        if name == "xl/workbook.xml":
            doctype = b'<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            end = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
            return data[:end] + doctype + data[end:]
        return data

    path = rewritten(source, tmp_path / "xxe.xlsx", with_entity)

    with pytest.raises(ImportFileError, match="entities or a DTD"):
        read(path)


def test_broken_workbook_xml_is_a_file_error(tmp_path):
    source = workbook(tmp_path / "plain.xlsx")
    path = rewritten(source, tmp_path / "broken.xlsx",
                     lambda name, data: b"<workbook" if name == "xl/workbook.xml" else data)

    with pytest.raises(ImportFileError, match="not XML"):
        read(path)
