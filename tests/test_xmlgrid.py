"""The reader's grid, read from the gate's bytes, is openpyxl's grid cell by
cell: value, type, number format, cached value, merges, names and identity,
over every workbook the tests have (the corpus, the LibreOffice fixtures, the
hostile catalogue's readable files and generated workbooks)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from xlsxform import Form, render
from xlsxform.errors import RefusedFileError, UnreadableWorkbookError
from xlsxform.safety import gate
from xlsxform.spec.layout import IDENTITY_PREFIX, IDENTITY_SHEET, NAME_PREFIX
from xlsxform.spec.loading import load_spec
from xlsxform.workbook import grid as oracle
from xlsxform.workbook import xmlgrid
from xlsxform.workbook.cells import load

from .conftest import ROOT, SAMPLE_JSON, Office
from .corpus import official
from .hostile.build import CATALOGUE, build

FIXTURES = ROOT / "tests" / "fixtures"


def _options() -> oracle.ReadOptions:
    return oracle.ReadOptions(
        preferred_sheet=load_spec().form.sheet,
        max_rows=2000,
        max_cols=load_spec().width + 6,
        name_prefix=NAME_PREFIX,
        identity_sheet=IDENTITY_SHEET,
        identity_prefix=IDENTITY_PREFIX,
    )


def _plain(value: Any) -> Any:
    """openpyxl's formula objects as the formula text the reader sees."""
    if isinstance(value, ArrayFormula):
        return value.text
    if isinstance(value, DataTableFormula):
        return "="
    return value


def snapshot(grid: oracle.Grid) -> dict[str, Any]:
    """Everything a grid says, as comparable data (types included)."""
    cells = {key: (_plain(v.value), type(_plain(v.value)).__name__, v.number_format, v.is_formula, v.is_error) for key, v in grid.cells.items()}
    cached = {key: (grid.cached(*key), type(grid.cached(*key)).__name__) for key in grid.cells}
    return {"name": grid.name, "cells": cells, "last_row": grid.last_row, "names": grid.names, "identity": grid.identity, "cached": cached}


def merges_by_openpyxl(path: Path, title: str) -> tuple[tuple[int, int, int, int], ...]:
    """The sheet's merged ranges as openpyxl's normal mode reads them."""
    sheet = load(path, data_only=False, read_only=False)[title]
    return tuple(sorted({(r.min_row, r.min_col, r.max_row, r.max_col) for r in sheet.merged_cells.ranges}))


def outcome(reader: Any, path: Path) -> Any:
    try:
        return snapshot(reader(path))
    except UnreadableWorkbookError as exc:
        return ("unreadable", isinstance(exc, RefusedFileError))


def assert_same_grid(path: Path, *, merges: bool = True) -> None:
    """The grid from the gate's bytes equals openpyxl's, or both refuse the file."""
    options = _options()
    kind = gate.inspect(path, keep=True)
    ours = outcome(lambda p: xmlgrid.grid_reader(kind)(p, options), path)
    theirs = outcome(lambda p: oracle.read_grid(p, options), path)
    assert ours == theirs
    if merges and isinstance(ours, dict):
        got = xmlgrid.grid_reader(kind)(path, options)
        assert got.merges == merges_by_openpyxl(path, got.name)


@pytest.fixture(scope="module")
def form() -> Form:
    return Form.model_validate_json(SAMPLE_JSON.read_bytes())


CORPUS: list[dict[str, Any]] = [
    {},
    {"sheet": "2023年绩效目标"},
    {"other_rows": 2, "extra_task_rows": 3},
    {"labels": {"拟用于对下转移支付资金": "拟用于对下\n转移支付资金", "基本支出": " 基本支出 "}},
    {"omit_groups": ("生态效益指标",)},
    {"title_year": 2024},
    {"edits": {"C5": "776.8", "E5": "１，１３３.４９", "C6": "356.69万元", "E6": " 0 ", "C3": "２３"}},
    {"edits": {"E20": 1, "E22": 0.95, "E21": 0.955, "E31": "≥95%"}, "formats": {"E20": "0%", "E22": "0%", "E21": "0.0%"}},
    {"edits": {"E23": dt.datetime(2023, 12, 31), "E24": dt.date(2024, 1, 2)}, "formats": {"E23": "yyyy\\.mm\\.dd", "E24": "yyyy/m/d"}},
    {"edits": {"E5": "=C5+C6", "E6": "=SUM(C5:C6)", "E8": '=INDIRECT("C5")', "G3": 7, "A40": "below"}},
    {"edits": {"B2": None, "C9": "无", "C6": -1, "D30": True}},
    {"edits": {"E23": dt.time(12, 30), "E24": 1.5}, "formats": {"E23": "h:mm", "E24": "[h]:mm:ss", "C5": "@"}},
]


@pytest.mark.parametrize("variant", CORPUS, ids=[str(i) for i in range(len(CORPUS))])
def test_the_corpus_reads_alike(form: Form, tmp_path: Path, variant: dict[str, Any]) -> None:
    """Each returned-form variant of the corpus gives openpyxl's grid."""
    path = tmp_path / "returned.xlsx"
    official(form, path, **variant)
    assert_same_grid(path)


def test_the_rendered_form_reads_alike(form: Form, tmp_path: Path) -> None:
    """The rendered form, with its names and identity, gives openpyxl's grid."""
    path = tmp_path / "form.xlsx"
    render(form, path)
    assert_same_grid(path)


def test_the_libreoffice_fixture_reads_alike() -> None:
    """A workbook saved by LibreOffice (shared strings, its styles, cached values) gives openpyxl's grid."""
    assert_same_grid(FIXTURES / "sample-libreoffice.xlsx")


READABLE = [case.name for case in CATALOGUE if case.expected[0] in ("read", "unreadable") and not case.office]


@pytest.fixture(scope="module")
def catalogue(form: Form, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    good = folder / "good-source.xlsx"
    render(form, good)
    return build(good, folder, names=set(READABLE))


@pytest.mark.parametrize("name", READABLE)
def test_the_hostile_catalogue_reads_alike(catalogue: dict[str, Path], name: str) -> None:
    """Each file of the hostile catalogue the gate lets through gives openpyxl's grid, or is unreadable to both."""
    if name not in catalogue:
        pytest.skip("made only with a test extra")
    assert_same_grid(catalogue[name], merges=not name.startswith("million"))


# -- generated workbooks ---------------------------------------------------------

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12) | st.sampled_from(
    ["_x000D_", "a_x005F_x0041_b", " ", "=A1", "#N/A"]
)
numbers = st.integers(-(10**12), 10**12) | st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
values = texts | numbers | st.booleans() | st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)).map(lambda d: d.replace(microsecond=0))
formats = st.sampled_from(["General", "0%", "0.00%", "yyyy/m/d", "yyyy\\.mm\\.dd", "@", "0.000000", "h:mm", '"¥"#,##0.00'])
formulas = st.sampled_from(["=A1+B2", "=SUM(A1:C3)", "=$A$1*2", '=IF(A1>0,"yes","no")', "=Sheet1!B2", "=A:A", "=1:1"])


@st.composite
def workbooks(draw: st.DrawFn) -> dict[str, Any]:
    cells = draw(
        st.dictionaries(st.tuples(st.integers(1, 40), st.integers(1, 13)), st.tuples(values | formulas, formats), max_size=40),
    )
    return {
        "cells": cells,
        "merges": draw(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 12), st.integers(0, 3), st.integers(0, 2)), max_size=4)),
        "epoch1904": draw(st.booleans()),
        "title": draw(st.sampled_from(["Sheet1", "绩效目标表", "It's"])),
        "identity": draw(st.dictionaries(st.sampled_from(["template_id", "year", "department"]), texts.filter(bool), max_size=3)),
    }


def write(spec: dict[str, Any], path: Path) -> None:
    workbook = openpyxl.Workbook()
    if spec["epoch1904"]:
        workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.title = spec["title"]
    for (row, col), (value, number_format) in spec["cells"].items():
        cell = sheet.cell(row, col)
        cell.value = value
        cell.number_format = number_format
    done: list[tuple[int, int, int, int]] = []
    for row, col, down, right in spec["merges"]:
        box = (row, col, row + down, col + right)
        if all(box[2] < b[0] or b[2] < box[0] or box[3] < b[1] or b[3] < box[1] for b in done):
            sheet.merge_cells(start_row=box[0], start_column=box[1], end_row=box[2], end_column=box[3])
            done.append(box)
    for key, value in spec["identity"].items():
        workbook.custom_doc_props.append(openpyxl.packaging.custom.StringProperty(name=IDENTITY_PREFIX + key, value=value))
    workbook.save(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=workbooks())
def test_generated_workbooks_read_alike(tmp_path: Path, spec: dict[str, Any]) -> None:
    """Any workbook of values, formats, formulas, merges, epochs and identity gives openpyxl's grid."""
    path = tmp_path / "generated.xlsx"
    write(spec, path)
    assert_same_grid(path)


# -- hand-written packages -----------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/m/d"/></numFmts>'
    '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="9"/><xf numFmtId="164"/><xf numFmtId="49"/></cellXfs></styleSheet>'
)


def package(
    path: Path,
    rows: str,
    *,
    strings: list[str] = (),  # type: ignore[assignment]
    date1904: bool = False,
    folder: str = "xl/",
    rename: Any = None,
    defaults_only: bool = False,
    after_rows: str = "",
) -> Path:
    """A minimal workbook written by hand: one sheet of ``rows`` (XML), shared
    ``strings`` (XML items), styles with percent, date and text formats; its
    parts in ``folder`` and zip entries renamed by ``rename``."""
    sheet = f"{folder}worksheets/sheet1.xml"
    workbook = f"{folder}workbook.xml"
    overrides = "" if defaults_only else f'<Override PartName="/{workbook}" ContentType="{WORKBOOK_TYPE}"/>'
    xml_default = WORKBOOK_TYPE if defaults_only else "application/xml"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="{xml_default}"/>{overrides}</Types>'
        ),
        "_rels/.rels": f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" Type="{OFFICE_RELS}/officeDocument" Target="{workbook}"/></Relationships>',
        workbook: (
            f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE_RELS}"><workbookPr date1904="{int(date1904)}"/>'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        f"{folder}_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{OFFICE_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{OFFICE_RELS}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{OFFICE_RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        f"{folder}styles.xml": STYLES,
        f"{folder}sharedStrings.xml": f'<sst xmlns="{MAIN}">{"".join(f"<si>{s}</si>" for s in strings)}</sst>',
        sheet: f'<worksheet xmlns="{MAIN}" xmlns:r="{OFFICE_RELS}"><sheetData>{rows}</sheetData>{after_rows}</worksheet>',
    }
    if not defaults_only and folder == "xl/":
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(rename(name) if rename else name, data)
    return path


CELLS = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><r><t>行</t></r><r><t xml:space="preserve"> 内</t></r></is></c></row>'
    '<row r="2"><c r="A2" s="1"><v>0.95</v></c><c r="B2" s="2"><v>45291</v></c><c r="C2" s="3"><v>737</v></c><c r="D2" t="str"><v>text</v></c>'
    '<c r="E2" t="b"><v>1</v></c><c r="F2" t="e"><v>#DIV/0!</v></c><c r="G2" t="d"><v>2023-12-31T00:00:00</v></c></row>'
    '<row r="3"><c r="A3"><f t="shared" ref="A3:C4" si="0">B2+$C$2*SUM(A1:B1)</f><v>3</v></c><c r="B3"><f t="shared" si="0"/><v>4</v></c>'
    '<c r="C3"><f>"A1"&amp;A2</f><v>x</v></c></row>'
    '<row r="4"><c r="A4"><f t="shared" si="0"/></c><c r="B4"><f t="shared" si="0"/></c><c r="C4" t="s"><v>2</v></c></row>'
    '<row r="3"><c r="A3"><v>99</v></c></row>'
)
STRINGS = ["<t>部门名称</t>", '<r><rPr><b/></rPr><t>湛江市</t></r><r><t>信访局</t></r><rPh sb="0" eb="1"><t>ふり</t></rPh>', "<t>_x000D_line</t>"]


@pytest.mark.parametrize("date1904", [False, True])
def test_strings_formats_dates_and_shared_formulas_read_alike(tmp_path: Path, date1904: bool) -> None:
    """Shared, rich and inline strings, percent, date and text formats in both epochs, typed cells and shared formulas give openpyxl's grid."""
    path = package(tmp_path / "cells.xlsx", CELLS, strings=STRINGS, date1904=date1904, after_rows='<mergeCells count="1"><mergeCell ref="A5:B6"/></mergeCells>')
    assert_same_grid(path)
    grid = xmlgrid.grid_reader(gate.inspect(path, keep=True))(path, _options())
    assert (grid.get(1, 2).value, grid.get(1, 3).value, grid.get(4, 2).value) == ("湛江市信访局", "行 内", "=C3+$C$2*SUM(B2:C2)")
    assert grid.get(2, 2).value == (dt.datetime(2028, 1, 1) if date1904 else dt.datetime(2023, 12, 31))
    assert grid.merges == ((5, 1, 6, 2),)


# -- what Excel and LibreOffice read, and openpyxl does not ------------------------------


def expected_grid(tmp_path: Path) -> dict[str, Any]:
    """openpyxl's grid of the plain package every quirky one below stands for."""
    plain = package(tmp_path / "plain.xlsx", CELLS, strings=STRINGS)
    return snapshot(oracle.read_grid(plain, _options()))


def ours(path: Path) -> dict[str, Any]:
    return snapshot(xmlgrid.grid_reader(gate.inspect(path, keep=True))(path, _options()))


def test_zip_entries_named_with_backslashes_read(tmp_path: Path) -> None:
    """Entries named xl\\sharedStrings.xml, as some Windows export tools write them, are the parts they name."""
    path = package(tmp_path / "backslash.xlsx", CELLS, strings=STRINGS, rename=lambda name: name.replace("/", "\\") if name.startswith("xl/") else name)
    assert openpyxl_fails(path)
    assert ours(path) == expected_grid(tmp_path)


def test_part_names_in_another_case_read(tmp_path: Path) -> None:
    """xl/SharedStrings.xml is the shared strings part its relationship names in lower case."""
    path = package(
        tmp_path / "case.xlsx", CELLS, strings=STRINGS, rename=lambda name: name.replace("sharedStrings", "SharedStrings").replace("worksheets", "Worksheets")
    )
    assert openpyxl_fails(path)
    assert ours(path) == expected_grid(tmp_path)


def test_a_minimal_package_with_its_parts_at_the_root_reads(tmp_path: Path) -> None:
    """A package whose workbook, sheet and strings sit at the root is found through its relationships."""
    path = package(tmp_path / "root.xlsx", CELLS, strings=STRINGS, folder="")
    assert openpyxl_fails(path)
    assert ours(path) == expected_grid(tmp_path)


def test_an_empty_style_attribute_reads_as_the_default_style(tmp_path: Path) -> None:
    """A cell with s="" reads as a cell with no style, where openpyxl fails."""
    path = package(tmp_path / "empty-style.xlsx", CELLS.replace('<c r="D2" t="str">', '<c r="D2" s="" t="str">'), strings=STRINGS)
    assert openpyxl_fails(path)
    assert ours(path) == expected_grid(tmp_path)


SHAPES = (
    '<hyperlinks><hyperlink ref="A1" r:id="rId3" shape="rect"/></hyperlinks>'
    '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
    '<mc:Choice Requires="x14"><pageSetup paperSize="9" horizontalDpi="600" r:id="rId1" copiesX="1"/></mc:Choice>'
    '<mc:Fallback><pageSetup paperSize="9"/></mc:Fallback></mc:AlternateContent>'
    '<drawing r:id="rId8"/><legacyDrawing r:id="rId7"/>'
)
"""A hyperlink drawn as a shape and a page setup in alternate content, with attributes openpyxl's classes do not take."""


def openpyxl_fails(path: Path) -> bool:
    try:
        oracle.read_grid(path, _options())
    except UnreadableWorkbookError:
        return True
    return False


def test_shapes_and_alternate_content_are_not_read(tmp_path: Path) -> None:
    """Shapes, controls and alternate-content markup after the rows leave the grid as it is."""
    path = package(tmp_path / "shapes.xlsx", CELLS, strings=STRINGS, after_rows=SHAPES)
    assert openpyxl_fails(path)
    assert ours(path) == expected_grid(tmp_path)


def test_a_workbook_declared_by_a_default_content_type_is_a_workbook(tmp_path: Path) -> None:
    """A package declaring its workbook's type by a Default extension entry, as .NET packaging writes it, is an .xlsx and reads."""
    path = package(tmp_path / "defaults.xlsx", CELLS, strings=STRINGS, defaults_only=True)
    assert gate.inspect(path).format == "xlsx"
    assert openpyxl_fails(path)
    assert ours(path) == expected_grid(tmp_path)


def test_an_xlsb_declared_by_a_default_content_type_is_refused_as_xlsb(tmp_path: Path) -> None:
    """An .xlsb whose workbook's type comes from a Default entry is refused as an .xlsb, asking for .xlsx."""
    path = tmp_path / "book.xlsb"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" Type="{OFFICE_RELS}/officeDocument" Target="xl/workbook.bin"/></Relationships>',
        )
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00\x80\x01")
    with pytest.raises(RefusedFileError) as refused:
        gate.inspect(path)
    assert refused.value.reason == "xlsb"


def test_a_rendered_form_with_backslash_entries_reads_as_the_form(form: Form, tmp_path: Path) -> None:
    """The rendered form repacked with backslashes in its entry names reads back as the same form."""
    from xlsxform import read

    good = tmp_path / "form.xlsx"
    render(form, good)
    path = tmp_path / "backslash.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename.replace("/", "\\"), source.read(info))
    result = read(path)
    assert result.form == form and result.problems == []


@st.composite
def raw_rows(draw: st.DrawFn) -> str:
    """Sheet rows as programs really write them, quirks included: rows out of
    order or repeated, rows and cells without references, a cell naming
    another row, two cells in one column, every cell type and format."""
    xml = []
    for _ in range(draw(st.integers(0, 12))):
        number = draw(st.none() | st.integers(1, 30))
        cells = []
        for _ in range(draw(st.integers(0, 6))):
            col = draw(st.integers(1, 13))
            row = draw(st.sampled_from([number or 1, number or 1, draw(st.integers(1, 30))]))
            ref = draw(st.sampled_from([f' r="{oracle.column_letter(col)}{row}"', f' r="{oracle.column_letter(col).lower()}{row}"', ""]))
            style = draw(st.sampled_from(["", ' s="1"', ' s="2"', ' s="3"', ' s="0"']))
            body = draw(
                st.sampled_from(
                    [
                        "<v>42</v>",
                        "<v>0.95</v>",
                        "<v>1E3</v>",
                        "<v>45291.5</v>",
                        "",
                        't="s"><v>0</v>',
                        't="s"><v>1</v>',
                        't="s"><v>2</v>',
                        't="str"><v>  </v>',
                        't="b"><v>0</v>',
                        't="e"><v>#N/A</v>',
                        't="inlineStr"><is><t>内联</t></is>',
                        't="inlineStr"><v>ignored</v>',
                        "<f>A1+1</f><v>2</v>",
                        't="str"><f>"a"&amp;"b"</f><v>ab</v>',
                        '<f t="shared" ref="A1:C9" si="3">B$1*C2</f><v>1</v>',
                        '<f t="shared" si="3"/><v>1</v>',
                        '<f t="shared" ref="A1:M30" si="4">SUM(A1:B2)+Sheet1!$A1+\'My Sheet\'!B$2+SUM(A:A)+SUM(1:1)+LOG10(C3)+"A1"&amp;D4</f><v>1</v>',
                        '<f t="shared" si="4"/>',
                    ]
                )
            )
            if 't="shared"' in body and not ref:
                # A shared formula always names its cell (openpyxl cannot translate one that does not).
                ref = f' r="{oracle.column_letter(col)}{row}"'
            if body.startswith("t="):
                cells.append(f"<c{ref}{style} {body}</c>")
            else:
                cells.append(f"<c{ref}{style}>{body}</c>")
        xml.append(f"<row{'' if number is None else f' r={chr(34)}{number}{chr(34)}'}>{''.join(cells)}</row>")
    return "".join(xml)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=raw_rows(), date1904=st.booleans())
def test_generated_sheet_xml_reads_alike(tmp_path: Path, rows: str, date1904: bool) -> None:
    """Any sheet XML of these quirks gives openpyxl's grid, or is unreadable to both."""
    path = package(tmp_path / "raw.xlsx", rows, strings=STRINGS, date1904=date1904)
    assert_same_grid(path)


def test_merged_ranges_after_rows_below_the_form_are_read(tmp_path: Path) -> None:
    """Rows below the form are not read, yet the merged ranges written after them are openpyxl's."""
    rows = CELLS + "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1995, 2010))
    merges = '<mergeCells count="2"><mergeCell ref="A5:B6"/><mergeCell ref="C2000:E2008"/></mergeCells>'
    path = package(tmp_path / "long.xlsx", rows, strings=STRINGS, after_rows=merges)
    assert_same_grid(path)


@pytest.mark.office
def test_workbooks_saved_by_libreoffice_read_alike(form: Form, tmp_path: Path, office: Office) -> None:
    """The rendered form and a corpus form with formulas, saved by LibreOffice (its shared strings, styles and cached values), give openpyxl's grid."""
    rendered = tmp_path / "rendered.xlsx"
    render(form, rendered)
    returned = tmp_path / "returned.xlsx"
    official(form, returned, edits={"E5": "=C5+C6", "E6": "=SUM(C5:C6)*1", "E20": 0.95}, formats={"E20": "0%"})
    for path in (rendered, returned):
        assert_same_grid(office(path, "xlsx"))
