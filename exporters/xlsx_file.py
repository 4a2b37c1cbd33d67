"""XLSX: the flat layout of ``exporters.flat_rows`` in one sheet, streamed.

Why not openpyxl here: its write-only mode keeps memory flat but assembles the zip on
``save``, so no byte could leave before the last variant was read, and it spends ~5 µs per
cell. This writer emits the SpreadsheetML parts itself (inline strings, no shared-string
table) through ``zipfile`` in streaming mode (data descriptors instead of seeking back), so
the first chunk leaves after ~64 KB of sheet and memory stays constant. openpyxl reads the
result back in the tests.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, cast

from exporters.base import CHUNK_SIZE, FeedInfo, restore_neutralised, xml_attribute, xml_text
from exporters.flat_rows import NUMERIC_COLUMNS, PLAIN_NUMBER, flat_header, flat_rows
from pim.records import ChannelVariant

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CELL_LIMIT = 32767  # Excel refuses longer cells
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
    '.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Style 0: plain; style 1: bold (the header row).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def write_xlsx(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[bytes]:
    sink = _ChunkSink()
    with zipfile.ZipFile(cast(IO[bytes], sink), "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=5) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        zf.writestr("xl/workbook.xml", _workbook(feed.channel))
        yield from sink.drain()
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for text in _sheet_xml(variants, feed):
                sheet.write(text.encode("utf-8"))
                if sink.size >= CHUNK_SIZE:
                    yield from sink.drain()
    yield from sink.drain()


def _sheet_xml(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[str]:
    header = flat_header(feed)
    letters = [_column_letter(i) for i in range(len(header))]
    numeric = [name in NUMERIC_COLUMNS for name in header]
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<worksheet xmlns="{_MAIN_NS}"><sheetViews><sheetView workbookViewId="0">',
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>',
        "</sheetView></sheetViews><sheetData>",
        '<row r="1">',
    ]
    for letter, name in zip(letters, header, strict=True):
        parts.append(f'<c r="{letter}1" t="inlineStr" s="1"><is><t>{xml_text(name)}</t></is></c>')
    parts.append("</row>")
    size = 0
    for number, row in enumerate(flat_rows(variants, feed), start=2):
        parts.append(f'<row r="{number}">')
        for letter, is_number, text in zip(letters, numeric, row, strict=True):
            if not text:
                continue
            if is_number and PLAIN_NUMBER.match(text):
                parts.append(f'<c r="{letter}{number}"><v>{text}</v></c>')
                continue
            if text[0] == "'":
                # flat_rows quotes formula-like text for CSV; an inline string cell is text
                # by its type and never a formula, so the quote would only show.
                text = restore_neutralised(text)
            if len(text) > CELL_LIMIT:
                text = text[:CELL_LIMIT]
            text = xml_text(text)
            if not text:  # nothing but characters a sheet cannot hold
                continue
            space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
            parts.append(f'<c r="{letter}{number}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
            size += len(text)
        parts.append("</row>")
        size += 200
        if size >= CHUNK_SIZE:
            yield "".join(parts)
            parts.clear()
            size = 0
    parts.append("</sheetData></worksheet>")
    yield "".join(parts)


def _workbook(channel: str) -> str:
    title = "".join(ch for ch in channel if ch not in "[]:*?/\\")[:31] or "feed"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
        f'<sheet name="{xml_attribute(title)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class _ChunkSink:
    """A write-only, unseekable file for ``zipfile``: it collects what the zip writes so the
    generator can hand it on. ``zipfile`` falls back to data descriptors when it cannot seek.
    """

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self._pieces.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def tell(self) -> int:
        raise OSError("unseekable stream")  # tells zipfile to stream

    def drain(self) -> Iterator[bytes]:
        if self._pieces:
            chunk = b"".join(self._pieces)
            self._pieces.clear()
            self.size = 0
            yield chunk
