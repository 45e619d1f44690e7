"""Build the catalogue of hostile and broken files from a good rendered form.

    python3 -m tests.hostile.build OUTDIR     (from the repository's root)

Each :class:`Case` is one file: how it is made from the good form, and what
reading it must give.  Nothing here is committed as a binary: the catalogue
is made afresh (tests build it into a temporary folder), except that a real
.xls needs LibreOffice and an encrypted workbook needs msoffcrypto-tool.

Expected outcomes:

- ``("read", None)``: reads; its problems are not this catalogue's concern;
- ``("read", frozenset({(cell, code), ...}))``: reads with exactly these problems;
- ``("refused", reason)``: a RefusedFileError with that reason code;
- ``("unreadable", None)``: an UnreadableWorkbookError that is not a refusal
  of the gate (openpyxl met something it cannot read, such as a cell whose
  number is not a number, and the reader turned it into one clean error).
"""

from __future__ import annotations

import importlib.util
import random
import re
import struct
import sys
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SHEET = "xl/worksheets/sheet1.xml"
STYLES = "xl/styles.xml"
TYPES = "[Content_Types].xml"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NONE: frozenset[tuple[str, str]] = frozenset()

Office = Callable[[Path, str], Path]
Make = Callable[[Path, Path], None]
"""Make the case's file at ``target`` (second) from the good form (first)."""


@dataclass(frozen=True)
class Case:
    name: str
    why: str
    expected: tuple[str, object]
    make: Make | None = None
    office: bool = False
    """Made with LibreOffice: ``make_office(good, target, office)``."""
    make_office: Callable[[Path, Path, Office], None] | None = None
    requires: str = ""
    """A module the maker needs (a test extra); without it the case is left out."""


# -- zip surgery ----------------------------------------------------------------


def parts(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def write_zip(target: Path, entries: list[tuple[str, bytes]], stored: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """A zip of ``entries`` in order, deflated except the ``stored`` ones (stored
    entries defeat any inflate-ratio check: they are what a careful attacker sends)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED)


def edit(part: str, change: Callable[[bytes], bytes], *, stored: bool = False) -> Make:
    """A maker that changes one part of the good form."""

    def make(good: Path, target: Path) -> None:
        entries = [(name, change(data) if name == part else data) for name, data in parts(good)]
        write_zip(target, entries, {part} if stored else set())

    return make


def edit_sheet(change: Callable[[str], str], *, stored: bool = False) -> Make:
    return edit(SHEET, lambda data: change(data.decode()).encode(), stored=stored)


def add_parts(extra: list[tuple[str, bytes]], *, stored: bool = False, types: str = "", change: dict[str, Callable[[bytes], bytes]] | None = None) -> Make:
    """A maker adding parts (and content-type overrides) to the good form."""

    def make(good: Path, target: Path) -> None:
        entries = []
        for name, data in parts(good):
            if name == TYPES and types:
                data = data.replace(b"</Types>", types.encode() + b"</Types>")
            if change and name in change:
                data = change[name](data)
            entries.append((name, data))
        write_zip(target, entries + extra, {name for name, _ in extra} if stored else set())

    return make


def replace_in_row(row: int, cells: str) -> Callable[[str], str]:
    """Put ``cells`` at the start of a row of the sheet."""

    def change(xml: str) -> str:
        found = re.search(rf'<row r="{row}"[^>]*>', xml)
        assert found, row
        return xml[: found.end()] + cells + xml[found.end() :]

    return change


def set_cell(ref: str, cell_xml: str) -> Callable[[str], str]:
    """Replace the cell ``ref`` of the sheet with ``cell_xml``."""

    def change(xml: str) -> str:
        new, count = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', cell_xml, xml, count=1)
        assert count == 1, ref
        return new

    return change


def append_rows(rows: Callable[[], str], *, dimension: str | None = "keep") -> Callable[[str], str]:
    def change(xml: str) -> str:
        if dimension is None:
            xml = re.sub(r"<dimension [^>]*/>", "", xml)
        elif dimension != "keep":
            xml = re.sub(r"<dimension [^>]*/>", f'<dimension ref="{dimension}" />', xml)
        return xml.replace("</sheetData>", rows() + "</sheetData>")

    return change


def patch_sizes(part: str, declared: Callable[[int, int], int]) -> Make:
    """A maker whose zip declares another inflated size for ``part`` (local
    header and central directory alike): ``declared(compressed, real)``."""

    def make(good: Path, target: Path) -> None:
        entries = [(name, zeros(20 << 20) if name == part else data) for name, data in parts(good)]
        if part not in {name for name, _ in entries}:
            entries.append((part, zeros(20 << 20)))
        write_zip(target, entries)
        data = bytearray(target.read_bytes())
        with zipfile.ZipFile(target) as archive:
            info = archive.getinfo(part)
        size = declared(info.compress_size, info.file_size)
        struct.pack_into("<I", data, info.header_offset + 22, size)
        central = data.find(b"PK\x01\x02")
        while central >= 0:
            name_length = struct.unpack_from("<H", data, central + 28)[0]
            if data[central + 46 : central + 46 + name_length] == part.encode():
                struct.pack_into("<I", data, central + 24, size)
            central = data.find(b"PK\x01\x02", central + 46)
        target.write_bytes(bytes(data))

    return make


def zeros(size: int) -> bytes:
    return bytes(size)


def set_flag(bit: int) -> Make:
    """A maker setting a general-purpose flag bit on every entry (bit 0: encrypted)."""

    def make(good: Path, target: Path) -> None:
        data = bytearray(good.read_bytes())
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.find(signature)
            while at >= 0:
                flags = struct.unpack_from("<H", data, at + offset)[0]
                struct.pack_into("<H", data, at + offset, flags | 1 << bit)
                at = data.find(signature, at + 4)
        target.write_bytes(bytes(data))

    return make


def raw(content: Callable[[Path], bytes]) -> Make:
    def make(good: Path, target: Path) -> None:
        target.write_bytes(content(good))

    return make


# -- the cases' contents ----------------------------------------------------------


def billion_laughs(xml: str) -> str:
    lol = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    doctype = f'<!DOCTYPE worksheet [<!ENTITY lol0 "lol">{lol}]>'
    return doctype + set_cell("B2", '<c r="B2" t="inlineStr"><is><t>&lol9;</t></is></c>')(xml)


def external_entity(xml: str) -> str:
    doctype = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return doctype + set_cell("B2", '<c r="B2" t="inlineStr"><is><t>&xxe;</t></is></c>')(xml)


def million_rows() -> str:
    return "".join(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(40, 1_048_577))


def wide_row() -> str:
    return "<c/>" * 100_000


def many_rows() -> str:
    """2,000 rows of 1,100 empty cells: more elements than the gate lets any parser build."""
    row = "<c/>" * 1_100
    return "".join(f'<row r="{n}">{row}</row>' for n in range(40, 2_040))


def styles_flood(data: bytes) -> bytes:
    xfs = "".join(f'<xf numFmtId="{n % 50}" fontId="0" fillId="0" borderId="0" xfId="0"/>' for n in range(400_000))
    return re.sub(rb"<cellXfs count=\"\d+\">", lambda m: m[0] + xfs.encode(), data, count=1)


def shared_strings(strings: list[str]) -> bytes:
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return f'<sst xmlns="{MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'.encode()


SST_TYPE = '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'


def deep(xml: str) -> str:
    nest = "<x:a>" * 1000 + "</x:a>" * 1000
    ext = f'<extLst><ext uri="{{00000000-0000-0000-0000-000000000000}}" xmlns:x="urn:deep">{nest}</ext></extLst>'
    return xml.replace("</worksheet>", ext + "</worksheet>")


def macro_enabled(good: Path, target: Path) -> None:
    xlsm = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # the start of a vbaProject.bin
    rel = '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
    add_parts(
        [("xl/vbaProject.bin", vba)],
        types='<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
        change={
            TYPES: lambda data: data.replace(xlsx.encode(), xlsm.encode()),
            WORKBOOK_RELS: lambda data: data.replace(b"</Relationships>", rel.encode() + b"</Relationships>"),
        },
    )(good, target)


def strict(good: Path, target: Path) -> None:
    """The same workbook in Strict Open XML's namespaces, as Excel's 'Strict Open XML Spreadsheet' writes."""
    swaps = [
        (MAIN, "http://purl.oclc.org/ooxml/spreadsheetml/main"),
        (RELS, "http://purl.oclc.org/ooxml/officeDocument/relationships"),
    ]
    entries = []
    for name, data in parts(good):
        if name.endswith((".xml", ".rels")) and name != TYPES:
            for old, new in swaps:
                data = data.replace(old.encode(), new.encode())
        entries.append((name, data))
    write_zip(target, entries)


def external_link(good: Path, target: Path) -> None:
    link = f'<externalLink xmlns="{MAIN}" xmlns:r="{RELS}"><externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>'
    link_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELS}/externalLinkPath" Target="file:///C:/%E9%A2%84%E7%AE%97.xlsx" TargetMode="External"/></Relationships>'
    )
    rel = f'<Relationship Id="rIdLink" Type="{RELS}/externalLink" Target="externalLinks/externalLink1.xml"/>'
    add_parts(
        [("xl/externalLinks/externalLink1.xml", link.encode()), ("xl/externalLinks/_rels/externalLink1.xml.rels", link_rels.encode())],
        types='<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/>',
        change={
            WORKBOOK_RELS: lambda data: data.replace(b"</Relationships>", rel.encode() + b"</Relationships>"),
            WORKBOOK: lambda data: data.replace(b"</sheets>", b'</sheets><externalReferences><externalReference r:id="rIdLink"/></externalReferences>'),
        },
    )(good, target)


def ods(good: Path) -> bytes:
    from io import BytesIO

    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
        archive.writestr("META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return out.getvalue()


def other_ooxml(content_type: str, part: str) -> Callable[[Path], bytes]:
    def content(good: Path) -> bytes:
        from io import BytesIO

        out = BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            types = (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
            )
            archive.writestr(TYPES, types)
            archive.writestr(part, b"<document/>")
        return out.getvalue()

    return content


CSV = "部门名称,湛江市信访局\r\n基本支出,776.8\r\n项目支出,356.69\r\n"
HTML = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
    "<body><table><tr><td>部门名称</td><td>湛江市信访局</td></tr></table></body></html>"
)
XML_2003 = (
    '<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
    '<Worksheet ss:Name="绩效目标表"><Table><Row><Cell><Data ss:Type="String">部门名称</Data></Cell></Row></Table></Worksheet></Workbook>'
)


def encrypted(good: Path, target: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile  # test extra: msoffcrypto-tool

    with good.open("rb") as source, target.open("wb") as out:
        OOXMLFile(source).encrypt("密码Passw0rd", out)


def real_xls(good: Path, target: Path, office: Office) -> None:
    target.write_bytes(office(good, "xls").read_bytes())


def truncated_xls(good: Path, target: Path, office: Office) -> None:
    data = office(good, "xls").read_bytes()
    target.write_bytes(data[: len(data) // 2])


def utf32(data: bytes) -> bytes:
    return data.decode().replace('encoding="UTF-8"', 'encoding="UTF-32"').encode("utf-32-be")


# -- the catalogue -------------------------------------------------------------------

CATALOGUE: list[Case] = [
    Case("good.xlsx", "the rendered sample itself", ("read", NONE), raw(lambda good: good.read_bytes())),
    Case("good-named-as.xls", "a good workbook whose name says .xls: files are known by content", ("read", NONE), raw(lambda good: good.read_bytes())),
    Case("zip-bomb.xlsx", "20 MiB of zeros in 20 KiB: inflates 1000 times", ("refused", "zip-bomb"), add_parts([("xl/media/image1.bin", zeros(20 << 20))])),
    Case(
        "zip-bomb-declared-small.xlsx",
        "a bomb whose zip declares an innocent size: inflation stops there and the CRC fails",
        ("refused", "damaged"),
        patch_sizes("xl/media/image1.bin", lambda packed, real: packed * 2),
    ),
    Case(
        "zip-declares-3-gib.xlsx",
        "an entry declaring 3 GiB inflated",
        ("refused", "too-large"),
        patch_sizes("xl/media/image1.bin", lambda packed, real: 3 << 30),
    ),
    Case("xml-entity-bomb.xlsx", "billion laughs: ten-fold entities nine deep in the sheet", ("refused", "xml-entities"), edit_sheet(billion_laughs)),
    Case("xml-external-entity.xlsx", "an external entity reading /etc/passwd into 部门名称", ("refused", "xml-entities"), edit_sheet(external_entity)),
    Case(
        "duplicate-entries.xlsx", "the sheet twice, the second with another department", ("refused", "duplicate-entries"), add_parts([(SHEET, b"<worksheet/>")])
    ),
    Case(
        "duplicate-entries-case.xlsx",
        "the sheet again as XL/Worksheets/Sheet1.xml (part names ignore case)",
        ("refused", "duplicate-entries"),
        add_parts([("XL/Worksheets/Sheet1.xml", b"<worksheet/>")]),
    ),
    Case(
        "too-many-entries.xlsx", "1,500 extra entries", ("refused", "too-many-entries"), add_parts([(f"customXml/item{n}.xml", b"<a/>") for n in range(1500)])
    ),
    Case(
        "dimension-claims-one-cell.xlsx",
        "<dimension ref='A1'> over a full form (as some WPS saves do)",
        ("read", NONE),
        edit_sheet(lambda xml: re.sub(r"<dimension [^>]*/>", '<dimension ref="A1" />', xml)),
    ),
    Case(
        "dimension-claims-whole-grid.xlsx",
        "<dimension ref='A1:XFD1048576'> over a 36-row form",
        ("read", NONE),
        edit_sheet(lambda xml: re.sub(r"<dimension [^>]*/>", '<dimension ref="A1:XFD1048576" />', xml)),
    ),
    Case(
        "cell-outside-grid-column.xlsx",
        "a cell XFE3, one column right of Excel's last",
        ("refused", "cell-outside-grid"),
        edit_sheet(replace_in_row(3, '<c r="XFE3"><v>1</v></c>')),
    ),
    Case(
        "cell-outside-grid-row.xlsx",
        "a row 1048577, one below Excel's last",
        ("refused", "cell-outside-grid"),
        edit_sheet(append_rows(lambda: '<row r="1048577"><c r="A1048577"><v>1</v></c></row>')),
    ),
    Case(
        "cell-outside-grid-row-huge.xlsx",
        "a row numbered 1e18 (openpyxl would read it as that)",
        ("refused", "cell-outside-grid"),
        edit_sheet(append_rows(lambda: '<row r="1e18"><c><v>1</v></c></row>')),
    ),
    Case(
        "row-inside-row.xlsx",
        "a row nested in row 3 whose cell claims row 99,999,999 (openpyxl reads any <row> it meets)",
        ("refused", "damaged"),
        edit_sheet(replace_in_row(3, '<row r="4"><c r="B99999999"><v>1</v></c></row>')),
    ),
    Case(
        "row-outside-sheet-data.xlsx",
        "a <row> hidden in the sheet's extLst, its cell in row 999,999,999",
        ("refused", "cell-outside-grid"),
        edit_sheet(
            lambda xml: xml.replace(
                "</worksheet>", f'<extLst><ext uri="x"><row r="5" xmlns="{MAIN}"><c r="B999999999"><v>1</v></c></row></ext></extLst></worksheet>'
            )
        ),
    ),
    Case(
        "cell-claims-last-row.xlsx",
        "a cell of row 3 whose reference says F1048576: in the grid, outside the form",
        ("read", NONE),
        edit_sheet(replace_in_row(3, '<c r="F1048576"><v>1</v></c>')),
    ),
    Case(
        "million-empty-rows.xlsx",
        "1,048,537 empty formatted rows below the form",
        ("read", NONE),
        edit_sheet(append_rows(million_rows, dimension="A1:E1048576")),
    ),
    Case(
        "million-empty-rows-no-dimension.xlsx",
        "the same without a <dimension>: openpyxl scans the whole sheet for one",
        ("read", NONE),
        edit_sheet(append_rows(million_rows, dimension=None)),
    ),
    Case(
        "wide-row.xlsx", "a row of 100,000 cells, stored uncompressed", ("refused", "cell-outside-grid"), edit_sheet(replace_in_row(3, wide_row()), stored=True)
    ),
    Case(
        "too-many-elements.xlsx",
        "2,000 rows of 1,100 cells, stored: 2.2 million elements",
        ("refused", "too-complex"),
        edit_sheet(append_rows(many_rows), stored=True),
    ),
    Case("styles-flood.xlsx", "400,000 cell formats, stored", ("refused", "too-complex"), edit(STYLES, styles_flood, stored=True)),
    Case(
        "shared-strings-flood.xlsx",
        "400,000 shared strings, stored",
        ("refused", "too-complex"),
        add_parts([("xl/sharedStrings.xml", shared_strings([f"s{n}" for n in range(400_000)]))], stored=True, types=SST_TYPE),
    ),
    Case("xml-nested-deep.xlsx", "elements nested 1,000 deep in an extension: harmless to every parser here, read", ("read", NONE), edit_sheet(deep)),
    Case(
        "xml-utf32.xlsx",
        "docProps/app.xml in UTF-32, which expat cannot read but another parser might",
        ("refused", "damaged"),
        edit("docProps/app.xml", utf32),
    ),
    Case("truncated.xlsx", "the first half of the file", ("refused", "damaged"), raw(lambda good: good.read_bytes()[: len(good.read_bytes()) // 2])),
    Case("truncated-end.xlsx", "all but the last 100 bytes (the zip directory's end)", ("refused", "damaged"), raw(lambda good: good.read_bytes()[:-100])),
    Case("empty.xlsx", "0 bytes", ("refused", "empty"), raw(lambda good: b"")),
    Case("random.xlsx", "64 KiB of random bytes", ("refused", "not-a-workbook"), raw(lambda good: random.Random(7).randbytes(64 << 10))),
    Case(
        "random-after-zip-magic.xlsx",
        "PK\\x03\\x04 then random bytes",
        ("refused", "damaged"),
        raw(lambda good: b"PK\x03\x04" + random.Random(8).randbytes(64 << 10)),
    ),
    Case("csv-renamed.xlsx", "a CSV in GBK, as Chinese Windows saves it, named .xlsx", ("refused", "csv"), raw(lambda good: CSV.encode("gb18030"))),
    Case(
        "html-saved-as.xls", "a web page named .xls, as Excel's 'Web Page' and many systems' exports are", ("refused", "html"), raw(lambda good: HTML.encode())
    ),
    Case("excel-2003-xml.xls", "an Excel 2003 XML spreadsheet named .xls", ("refused", "xml-spreadsheet"), raw(lambda good: XML_2003.encode())),
    Case("pdf-renamed.xlsx", "a PDF named .xlsx", ("refused", "not-a-workbook"), raw(lambda good: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")),
    Case(
        "docx-renamed.xlsx",
        "a Word document named .xlsx",
        ("refused", "not-a-workbook"),
        raw(other_ooxml("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/document.xml")),
    ),
    Case(
        "xlsb-renamed.xlsx",
        "an Excel binary workbook named .xlsx",
        ("refused", "xlsb"),
        raw(other_ooxml("application/vnd.ms-excel.sheet.binary.macroEnabled.main", "xl/workbook.bin")),
    ),
    Case("ods-renamed.xlsx", "an OpenDocument spreadsheet named .xlsx", ("refused", "ods"), raw(ods)),
    Case(
        "encrypted.xlsx",
        "the form saved with a password (ECMA-376 agile encryption in an OLE2 container)",
        ("refused", "encrypted"),
        encrypted,
        requires="msoffcrypto",
    ),
    Case("zip-entry-encrypted.xlsx", "zip entries flagged as encrypted", ("refused", "encrypted"), set_flag(0)),
    Case("macro-enabled.xlsm", "the form as .xlsm with a vbaProject.bin", ("refused", "macros"), macro_enabled),
    Case("strict-open-xml.xlsx", "the form in Strict Open XML's namespaces", ("refused", "strict-ooxml"), strict),
    Case("external-link.xlsx", "a link to another workbook on the sender's disk (dropped, never followed)", ("read", NONE), external_link),
    Case(
        "shared-string-out-of-range.xlsx",
        "部门名称 points at shared string 99 of 1",
        ("unreadable", None),
        add_parts(
            [("xl/sharedStrings.xml", shared_strings(["湛江市信访局"]))],
            types=SST_TYPE,
            change={SHEET: lambda d: set_cell("B2", '<c r="B2" t="s"><v>99</v></c>')(d.decode()).encode()},
        ),
    ),
    Case(
        "number-cell-not-a-number.xlsx", "基本支出 is a number cell holding 'abc'", ("unreadable", None), edit_sheet(set_cell("C5", '<c r="C5"><v>abc</v></c>'))
    ),
    Case(
        "control-character-reference.xlsx",
        "部门名称 holds &#1;, which XML 1.0 forbids",
        ("unreadable", None),
        edit_sheet(set_cell("B2", '<c r="B2" t="inlineStr"><is><t>湛江&#1;信访局</t></is></c>')),
    ),
    Case(
        "control-character-escape.xlsx",
        "部门名称 holds a bell as Excel's _x0007_ escape: read as typed",
        ("read", None),
        edit_sheet(set_cell("B2", '<c r="B2" t="inlineStr"><is><t>湛江市_x0007_信访局</t></is></c>')),
    ),
    Case(
        "defined-name-whole-columns.xlsx",
        "the form's name for its first indicator group covers whole columns D:E (open-ended rows)",
        ("read", None),
        edit(WORKBOOK, lambda data: data.replace("'绩效目标表'!$D$20:$E$22".encode(), "'绩效目标表'!$D:$E".encode())),
    ),
    Case("real.xls", "the form saved as Excel 97-2003 by LibreOffice", ("read", None), office=True, make_office=real_xls),
    Case("truncated.xls", "the first half of that .xls: its directory is gone", ("refused", "damaged"), office=True, make_office=truncated_xls),
]


def build(good: Path, outdir: Path, office: Office | None = None, names: set[str] | None = None) -> dict[str, Path]:
    """Make the catalogue's files in ``outdir`` from ``good``; cases needing
    LibreOffice only when ``office`` is given.  Returns name to path."""
    outdir.mkdir(parents=True, exist_ok=True)
    made = {}
    for case in CATALOGUE:
        if names is not None and case.name not in names:
            continue
        target = outdir / case.name
        if case.requires and importlib.util.find_spec(case.requires) is None:
            continue
        if case.office:
            if office is None:
                continue
            assert case.make_office is not None
            case.make_office(good, target, office)
        else:
            assert case.make is not None
            case.make(good, target)
        made[case.name] = target
    return made


def main(argv: list[str]) -> int:
    from xlsxform import Form, render

    if len(argv) != 1:
        print("usage: python3 -m tests.hostile.build OUTDIR", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parents[2]
    outdir = Path(argv[0])
    outdir.mkdir(parents=True, exist_ok=True)
    good = outdir / "good-source.xlsx"
    render(Form.model_validate_json((root / "samples" / "zhanjiang-xinfang-2023.json").read_bytes()), good)
    for name, path in build(good, outdir).items():
        expected = next(c.expected for c in CATALOGUE if c.name == name)
        print(f"{path}\t{expected[0]}\t{expected[1] if isinstance(expected[1], str) else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
