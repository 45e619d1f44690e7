"""Excel 97-2003 workbooks (.xls): read exactly like the same form saved as .xlsx."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
import xlrd

from xlsxform import Form, UnreadableWorkbookError, read
from xlsxform.cli.main import main
from xlsxform.safety import gate
from xlsxform.safety.ole2 import OLE2_MAGIC
from xlsxform.spec.layout import IDENTITY_PREFIX, IDENTITY_SHEET, NAME_PREFIX
from xlsxform.workbook.grid import ReadOptions, Value
from xlsxform.workbook.grid import read_grid as read_xlsx_grid
from xlsxform.workbook.xls import read_grid

from .helpers import fill, pairs, rendered

S = "绩效目标表!"
FIXTURE = Path(__file__).parent / "fixtures" / "sample-libreoffice.xls"
IDENTITY = {"name_prefix": NAME_PREFIX, "identity_sheet": IDENTITY_SHEET, "identity_prefix": IDENTITY_PREFIX}

BROKEN = {
    "C5": "七百",  # text in an amount
    "E5": "=C5+C6",  # a formula typed over an input
    "C3": -2,  # a negative count
    "D15": "１，２３４.５ 万元",  # a number typed as full-width text
    "E23": 1,  # 100% typed as a number into a 0% cell
    "E25": 0.95,
    "C28": "质量指标",  # outside the framework
    "D34": None,  # an indicator with a value and no name
}
PERCENT = {"E23": "0%", "E25": "0%"}


def test_the_fixture_is_a_real_biff8_xls() -> None:
    """The committed fixture is an OLE2 file holding a BIFF8 workbook, as Excel 97-2003 writes."""
    assert FIXTURE.read_bytes()[:8] == OLE2_MAGIC and gate.inspect(FIXTURE).format == "xls"
    with xlrd.open_workbook(FIXTURE, on_demand=True, logfile=io.StringIO()) as book:
        assert book.biff_version == 80


def test_the_libreoffice_xls_sample_reads_back_exactly(sample: Form, capsys) -> None:
    """The sample saved as .xls by LibreOffice reads to the sample with no problem, and prints nothing."""
    result = read(FIXTURE)
    assert result.form == sample and result.problems == []
    assert capsys.readouterr() == ("", "")


def test_percent_cells_read_as_the_percentages_shown() -> None:
    """Numbers in 0% cells come with their format, and read as the 100%, 95% and 0% the department saw."""
    grid = read_grid(FIXTURE, ReadOptions(preferred_sheet="绩效目标表", max_rows=100, max_cols=6))
    assert [grid.get(r, 5) for r in (23, 25, 35)] == [Value(1.0, "0%"), Value(0.95, "0%"), Value(0.0, "0%")]
    values = {i.name: i.value for i in read(FIXTURE).form.indicators}
    assert (values["信息日常维护率"], values["参加培训率"], values["投诉率"]) == ("100%", "95%", "0%")


def test_formulas_are_read_as_formulas() -> None:
    """The 合计 cells hold their formulas' text, as in an .xlsx, not their cached values."""
    grid = read_grid(FIXTURE, ReadOptions(preferred_sheet="绩效目标表", max_rows=100, max_cols=6))
    assert {k: v.value for k, v in grid.cells.items() if v.is_formula} == {
        (7, 3): "=SUM(C5,C6)",
        (7, 5): "=SUM(E5,E6)",
        (11, 3): "=SUM(C9,C10)",
        (11, 5): "=SUM(E9,E10)",
        (17, 4): "=SUM(D13:D16)",
    }


def test_defined_names_and_identity_come_as_from_an_xlsx() -> None:
    """The template's defined names and identity sheet survive in the .xls and are read, so inputs are located by name."""
    grid = read_grid(FIXTURE, ReadOptions(preferred_sheet="绩效目标表", max_rows=100, max_cols=6, **IDENTITY))
    assert (grid.names["xf_budget_basic"], grid.names["xf_key_tasks"]) == ((5, 3, 5, 3), (14, 2, 16, 5))
    assert grid.identity["xlsxform.template_id"] == "city-department-performance"
    assert read(FIXTURE).identity["department"] == "湛江市信访局"


def test_the_grid_is_bounded(sample: Form) -> None:
    """Rows and columns past the bounds are not read."""
    grid = read_grid(FIXTURE, ReadOptions(preferred_sheet="绩效目标表", max_rows=5, max_cols=3))
    assert max(r for r, _ in grid.cells) == grid.last_row == 5 and max(c for _, c in grid.cells) == 3


def test_the_first_visible_sheet_is_read_when_the_name_differs() -> None:
    """A form whose sheet has another name is still found (the only visible sheet)."""
    grid = read_grid(FIXTURE, ReadOptions(preferred_sheet="Sheet1", max_rows=3, max_cols=2))
    assert grid.name == "绩效目标表" and grid.get(2, 1) == Value("部门名称")


@pytest.mark.parametrize("size", [8, 100, 512, 4096, 8000])
def test_a_truncated_xls_is_an_unreadable_workbook(tmp_path: Path, size: int) -> None:
    """An .xls cut short raises UnreadableWorkbookError naming the file, from the gate or from xlrd, whatever xlrd raised."""
    path = tmp_path / "cut.xls"
    path.write_bytes(FIXTURE.read_bytes()[:size])
    with pytest.raises(UnreadableWorkbookError) as raised:
        read(path)
    assert raised.value.path == str(path) and "\n" not in raised.value.message("zh")
    with pytest.raises(UnreadableWorkbookError) as raised:
        read_grid(path, ReadOptions(preferred_sheet="绩效目标表", max_rows=100, max_cols=6))
    assert raised.value.path == str(path) and "\n" not in raised.value.message("zh")


@pytest.mark.parametrize("seed", range(20))
def test_a_scrambled_xls_is_an_unreadable_workbook_or_reads(tmp_path: Path, seed: int) -> None:
    """Bytes scrambled past the header give UnreadableWorkbookError or a grid, never another exception."""
    content = bytearray(FIXTURE.read_bytes())
    rng = random.Random(seed)
    for _ in range(40):
        content[rng.randrange(512, len(content))] = rng.randrange(256)
    path = tmp_path / "scrambled.xls"
    path.write_bytes(bytes(content))
    try:
        read_grid(path, ReadOptions(preferred_sheet="绩效目标表", max_rows=100, max_cols=6))
    except UnreadableWorkbookError as exc:
        assert exc.path == str(path)


def test_an_ole2_file_without_a_workbook_is_unreadable(tmp_path: Path) -> None:
    """The OLE2 magic followed by rubbish (a .doc, an encrypted .xlsx) is refused as unreadable, by the gate and by xlrd."""
    path = tmp_path / "other.xls"
    path.write_bytes(OLE2_MAGIC + bytes(4000))
    with pytest.raises(UnreadableWorkbookError):
        read(path)
    with pytest.raises(UnreadableWorkbookError):
        read_grid(path, ReadOptions(preferred_sheet="绩效目标表", max_rows=100, max_cols=6))


def test_check_reads_an_xls_from_the_command(capsys) -> None:
    """`xlsxform check` takes an .xls and passes the valid sample."""
    assert main(["check", str(FIXTURE)]) == 0
    assert "校验通过" in capsys.readouterr().out


def test_a_truncated_xls_is_exit_code_2_from_the_command(tmp_path: Path, capsys) -> None:
    """A damaged .xls is one line on stderr and exit code 2."""
    path = tmp_path / "cut.xls"
    path.write_bytes(FIXTURE.read_bytes()[:4096])
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1


# -- made by LibreOffice now ---------------------------------------------------------


@pytest.fixture
def as_xls(office):
    """Save an .xlsx as .xls through LibreOffice and check that a BIFF8 file came out."""

    def convert(path: Path) -> Path:
        target = office(path, "xls")
        assert target.read_bytes()[:8] == OLE2_MAGIC
        with xlrd.open_workbook(target, on_demand=True, logfile=io.StringIO()) as book:
            assert book.biff_version == 80
        return target

    return convert


@pytest.mark.office
def test_the_rendered_sample_as_xls_reads_like_the_xlsx(sample: Form, tmp_path: Path, as_xls) -> None:
    """The rendered sample and its .xls read to the same form, without problems."""
    source = rendered(sample, tmp_path)
    result = read(as_xls(source))
    assert result.form == read(source).form == sample and result.problems == []


@pytest.mark.office
def test_a_broken_form_as_xls_has_the_same_problems_on_the_same_cells(sample: Form, tmp_path: Path, office, as_xls) -> None:
    """Text amounts, a typed formula, a negative count, percents and indicator faults read alike from .xls and .xlsx.

    Both are saved by LibreOffice, so both carry the formulas' results as it calculated them.
    """
    source = fill(rendered(sample, tmp_path), BROKEN, formats=PERCENT)
    xlsx_result, xls_result = read(office(source, "xlsx")), read(as_xls(source))
    assert pairs(xls_result) == pairs(xlsx_result)
    assert {(f"{S}E5", "formula-unresolved"), (f"{S}C5", "not-a-number"), (f"{S}C3", "not-whole-number")} <= pairs(xls_result)
    assert xls_result.form == xlsx_result.form
    assert [i.value for i in xls_result.form.indicators[3:6]] == ["100%", "100%", "95%"]


@pytest.mark.office
def test_the_xls_grid_is_the_xlsx_grid(sample: Form, tmp_path: Path, as_xls) -> None:
    """Cell by cell (value, format, formula), and in names and identity, the .xls reads as the .xlsx it was saved from."""
    source = fill(rendered(sample, tmp_path), BROKEN, formats=PERCENT)
    bounds = ReadOptions(preferred_sheet="绩效目标表", max_rows=2000, max_cols=6, **IDENTITY)
    xlsx_grid, xls_grid = read_xlsx_grid(source, bounds), read_grid(as_xls(source), bounds)
    assert xls_grid.cells == xlsx_grid.cells
    assert (xls_grid.name, xls_grid.last_row, xls_grid.names, xls_grid.identity) == (xlsx_grid.name, xlsx_grid.last_row, xlsx_grid.names, xlsx_grid.identity)


def test_a_password_protected_xls_is_refused_like_an_encrypted_xlsx() -> None:
    """xlrd's 'Workbook is encrypted' becomes the gate's refusal with reason 'encrypted'."""
    from xlsxform.errors import RefusedFileError
    from xlsxform.workbook.xls import _damaged

    refusal = _damaged(xlrd.XLRDError("Workbook is encrypted"), "locked.xls")
    assert isinstance(refusal, RefusedFileError) and refusal.reason == "encrypted"


def unknown_biff_version(target: Path) -> Path:
    """The fixture with its workbook's BOF record giving a BIFF version xlrd does not know (LibreOffice and calamine read it)."""
    data = bytearray(FIXTURE.read_bytes())
    at = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00")  # BOF, 16 bytes: BIFF8, workbook globals
    assert at > 0
    data[at + 4 : at + 6] = (0x0700).to_bytes(2, "little")
    target.write_bytes(bytes(data))
    return target


def test_an_xls_xlrd_cannot_open_reads_through_calamine(sample: Form, tmp_path: Path) -> None:
    """An .xls that xlrd refuses is read by python-calamine: values, sections and identity (number formats are not known)."""
    pytest.importorskip("python_calamine")
    path = unknown_biff_version(tmp_path / "odd.xls")
    with pytest.raises(xlrd.XLRDError):
        xlrd.open_workbook(file_contents=path.read_bytes(), logfile=io.StringIO())
    result = read(path)
    assert result.form.model_copy(update={"indicators": []}) == sample.model_copy(update={"indicators": []})
    assert [i.name for i in result.form.indicators] == [i.name for i in sample.indicators]
    assert result.identity["department"] == sample.department
