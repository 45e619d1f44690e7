"""The project-level forms of the family: 项目支出绩效目标申报表 and
项目支出绩效自评表, each a spec file with its sample, guards and rules."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform import load_spec, read, render, render_template
from xlsxform.form.types import FormData
from xlsxform.spec.generate import model_of
from xlsxform.spec.loading import resource_dir

from .conftest import Fill, Office

SAMPLES = resource_dir("samples")
TARGET, EVALUATION = "project-performance-target", "project-self-evaluation"
SAMPLE = {TARGET: "zhanjiang-xinfang-2024-project-target.json", EVALUATION: "zhanjiang-xinfang-2023-self-evaluation.json"}
SHEET = {TARGET: "绩效目标申报表!", EVALUATION: "绩效自评表!"}


def sample(form_id: str) -> FormData:
    return model_of(load_spec(form_id)).model_validate_json((SAMPLES / SAMPLE[form_id]).read_bytes())


def rendered(form_id: str, directory: Path, form: FormData | None = None) -> Path:
    target = directory / f"{form_id}.xlsx"
    render(form or sample(form_id), target, spec=load_spec(form_id))
    return target


def edited(path: Path, edits: dict[str, object]) -> Path:
    """The workbook with some cells overwritten, as a department might (formulas typed over)."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    for ref, value in edits.items():
        sheet[ref] = value
    out = path.with_name("edited.xlsx")
    workbook.save(out)
    return out


def pairs(form_id: str, path: Path) -> set[tuple[str | None, str]]:
    return {(p.cell, p.code) for p in read(path, spec=load_spec(form_id)).problems}


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rendered(EVALUATION, tmp_path_factory.mktemp("evaluation"))


@pytest.mark.parametrize("form_id", [TARGET, EVALUATION])
def test_each_sample_renders_and_reads_back_unchanged_with_no_problems(form_id: str, tmp_path: Path) -> None:
    """The shipped sample comes back equal, with nothing to report."""
    result = read(rendered(form_id, tmp_path), spec=load_spec(form_id))
    assert result.form == sample(form_id) and result.problems == []
    assert result.form_id == form_id


@pytest.mark.parametrize("form_id", [TARGET, EVALUATION])
def test_each_template_carries_the_guards(form_id: str, tmp_path: Path) -> None:
    """Protection, validation on inputs, defined names, identity and a 填表说明 sheet, as the first form has."""
    path = tmp_path / "blank.xlsx"
    render_template(path, year=2025, department="测试局", spec=load_spec(form_id), form_id="f-1")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    assert sheet.protection.sheet and sheet.data_validations.dataValidation
    assert workbook.sheetnames[:2] == [SHEET[form_id][:-1], "填表说明"]
    assert any(name.startswith("xf_section_") for name in workbook.defined_names)
    props = {p.name: p.value for p in workbook.custom_doc_props}
    assert props["xlsxform.template_id"] == form_id and props["xlsxform.form_id"] == "f-1"
    result = read(path, spec=load_spec(form_id))
    assert {p.code for p in result.problems} <= {"required", "level1-without-indicator", "s4-weights-not-90"}


def test_the_self_evaluation_works_out_rate_scores_and_total(evaluation: Path) -> None:
    """执行率, the budget's 得分 and 总分 are formulas over their cells."""
    sheet = openpyxl.load_workbook(evaluation).worksheets[0]
    assert sheet["G5"].value == '=IF(N(D5)=0,"",ROUND(E5/D5,3))'
    assert sheet["H5"].value == '=IF(G5<>"",ROUND(10*MIN(G5,1),2),"")'
    assert sheet["C5"].value == "=SUM(C6,C7,C8)"
    total = read(evaluation, spec=load_spec(EVALUATION)).form
    assert total.model_dump(mode="json")["total"] == {"weight": "100", "score": "95.79"}


def test_funds_that_do_not_add_up_are_errors_on_their_total_cells(evaluation: Path) -> None:
    """A 年度资金总额 typed over its formula that is not the sum of its three sources is S1, on that cell."""
    s = SHEET[EVALUATION]
    found = pairs(EVALUATION, edited(evaluation, {"D5": 60, "C5": 50}))
    assert (f"{s}D5", "s1-funds-unbalanced") in found and (f"{s}C5", "s1-funds-unbalanced") not in found


def test_weights_that_do_not_reach_90_are_an_error_on_the_total_weight(tmp_path: Path) -> None:
    """S4: the indicators' 分值 must add up to 90."""
    form = sample(EVALUATION)
    form.indicators[0].weight = Decimal(10)  # type: ignore[attr-defined]
    form.indicators[0].score = Decimal(10)  # type: ignore[attr-defined]
    path = rendered(EVALUATION, tmp_path, form)
    result = read(path, spec=load_spec(EVALUATION))
    weight = result.cells["total.weight"]
    assert {(p.cell, p.code) for p in result.problems} == {(weight, "s4-weights-not-90")}


def test_an_unusual_split_of_90_is_a_warning(tmp_path: Path) -> None:
    """S4: 90 split other than 50/30/10 is pointed out on the total weight, as a warning."""
    form = sample(EVALUATION)
    form.indicators[0].weight = Decimal(10)  # type: ignore[attr-defined]
    form.indicators[0].score = Decimal(10)  # type: ignore[attr-defined]
    form.indicators[5].weight = Decimal(25)  # type: ignore[attr-defined]
    form.indicators[5].score = Decimal(25)  # type: ignore[attr-defined]
    result = read(rendered(EVALUATION, tmp_path, form), spec=load_spec(EVALUATION))
    assert {(p.cell, p.code) for p in result.problems} == {(result.cells["total.weight"], "s4-unusual-split")} and result.ok


def test_scores_are_checked_row_by_row(evaluation: Path) -> None:
    """S5: a 得分 above its 分值 is an error on it; S7: one below it with no reason is a warning on the reason."""
    s = SHEET[EVALUATION]
    result = read(evaluation, spec=load_spec(EVALUATION))
    score, reason = result.cells["indicators[0].score"], result.cells["indicators[2].reason"]
    third_score = result.cells["indicators[2].score"]
    found = pairs(EVALUATION, edited(evaluation, {score.removeprefix(s): 16, third_score.removeprefix(s): 8}))
    assert (score, "s5-score-out-of-range") in found and (reason, "s7-reason-missing") in found


@pytest.mark.parametrize(("typed", "codes"), [("87.9%", set()), (0.879, set()), ("88%", {"s2-rate-mismatch"}), (5000, {"too-large"})])
def test_a_rate_typed_over_its_formula_is_read_and_checked(evaluation: Path, typed: object, codes: set[str]) -> None:
    """执行率 typed as text or as a number reads as a share; a wrong one is S2 on its cell, one over 100,000% too large."""
    s = SHEET[EVALUATION]
    assert pairs(EVALUATION, edited(evaluation, {"G5": typed})) == {(f"{s}G5", c) for c in codes}


def test_the_declaration_checks_p1_and_its_choice(tmp_path: Path) -> None:
    """P1: a 年度资金总额 typed over its formula must be 财政拨款 + 其他资金; 项目属性 comes from its list."""
    s = SHEET[TARGET]
    path = rendered(TARGET, tmp_path)
    assert pairs(TARGET, edited(path, {"C5": 60, "B4": "老项目"})) == {(f"{s}C5", "p1-funds-unbalanced"), (f"{s}B4", "not-a-choice")}


def test_what_departments_send_is_tolerated(evaluation: Path) -> None:
    """Numbers typed as text with 万元, labels with stray spaces and a shortened 服务对象 read as meant."""
    s = SHEET[EVALUATION]
    result = read(evaluation, spec=load_spec(EVALUATION))
    level2 = result.cells["indicators[7].level2"].removeprefix(s)
    path = edited(evaluation, {"D6": "４８ 万元", "A9": "年度总体\n目标", level2: "服务对象"})
    back = read(path, spec=load_spec(EVALUATION))
    assert back.form == result.form
    assert {p.code for p in back.problems} <= {"number-as-text"}


def test_several_projects_in_one_workbook_read_as_several_forms(tmp_path: Path) -> None:
    """Each sheet of a workbook holding one project each is one form, recognised by its labels."""
    from xlsxform.reading.reader import read_workbook

    first = rendered(EVALUATION, tmp_path)
    workbook = openpyxl.load_workbook(first)
    copy = workbook.copy_worksheet(workbook.worksheets[0])
    copy.title = "项目2"
    copy["B2"] = "第二个项目"
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    results = read_workbook(path)
    assert [(r.form_id, r.sheet, r.form.project) for r in results] == [  # type: ignore[attr-defined]
        (EVALUATION, "绩效自评表", "信访事项复查复核专项经费"),
        (EVALUATION, "项目2", "第二个项目"),
    ]


# -- LibreOffice -------------------------------------------------------------


@pytest.mark.office
@pytest.mark.parametrize("form_id", [TARGET, EVALUATION])
def test_libreoffice_recalculates_and_the_save_reads_back_unchanged(form_id: str, office: Office, tmp_path: Path) -> None:
    """LibreOffice works out every formula without an error value; its save reads back to the sample."""
    saved = office(rendered(form_id, tmp_path), "xlsx")
    values = openpyxl.load_workbook(saved, data_only=True).worksheets[0]
    errors = [c.coordinate for row in values.iter_rows() for c in row if c.data_type == "e" or str(c.value).startswith(("#", "Err:"))]
    assert errors == []
    result = read(saved, spec=load_spec(form_id))
    assert result.form == sample(form_id) and result.problems == []
    if form_id == EVALUATION:
        assert (values["G5"].value, values["H5"].value) == (pytest.approx(0.879), pytest.approx(8.79))


@pytest.mark.office
@pytest.mark.parametrize("form_id", [TARGET, EVALUATION])
def test_libreoffice_prints_each_form_one_page_wide(form_id: str, office: Office, tmp_path: Path) -> None:
    """The printed form's first page is A4 (portrait for the declaration, landscape for the evaluation), the sheet one page wide."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    pdf = office(rendered(form_id, tmp_path), "pdf")
    info = subprocess.run([pdfinfo, "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = {tuple(round(float(x)) for x in m) for m in re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts", info)}
    assert sizes == ({(595, 842)} if form_id == TARGET else {(842, 595)})
    with zipfile.ZipFile(rendered(form_id, tmp_path)) as archive:
        assert b'fitToWidth="1"' in archive.read("xl/worksheets/sheet1.xml") or b"fitToPage" in archive.read("xl/worksheets/sheet1.xml")


@pytest.mark.office
def test_a_row_inserted_in_libreoffice_counts_in_the_total_score(libreoffice_fill: Fill, tmp_path: Path) -> None:
    """An indicator row inserted inside a group and filled in LibreOffice is read, and 总分 includes its 得分."""
    spec = load_spec(EVALUATION)
    form = sample(EVALUATION)
    form.indicators[1].weight = Decimal(5)  # type: ignore[attr-defined]
    form.indicators[1].score = Decimal(5)  # type: ignore[attr-defined]
    form.indicators[1].reason = ""  # type: ignore[attr-defined]
    path = rendered(EVALUATION, tmp_path, form)
    cells = read(path, spec=spec).cells
    row = int(re.sub(r"\D", "", cells["indicators[1].name"]))
    steps = [
        {"insert_rows_above": f"D{row}", "count": 1},
        {"text": f"D{row}", "value": "新增指标"},
        {"text": f"E{row}", "value": "≥1项"},
        {"number": f"G{row}", "value": 5},
        {"number": f"H{row}", "value": 5},
    ]
    result = read(libreoffice_fill(path, tmp_path / "inserted.xlsx", steps), spec=spec)
    assert [i.name for i in result.form.indicators[:3]] == ["复查复核事项办结数", "新增指标", "信访积案化解数"]  # type: ignore[attr-defined]
    assert result.problems == []
    assert result.form.model_dump(mode="json")["total"] == {"weight": "100", "score": "97.79"}


@pytest.mark.parametrize("form_id", [TARGET, EVALUATION])
def test_a_form_pasted_into_a_new_workbook_is_recognised_and_reads_the_same(form_id: str, tmp_path: Path) -> None:
    """The form pasted into a new workbook (no names, no identity, no guards, sheet 'Sheet') reads as the same form."""
    original = rendered(form_id, tmp_path)
    expected = read(original, spec=load_spec(form_id))
    pasted = openpyxl.Workbook()
    sheet = pasted.active
    for row in openpyxl.load_workbook(original).worksheets[0].iter_rows():
        for cell in row:
            if cell.value is not None:
                sheet.cell(cell.row, cell.column, cell.value)
    path = tmp_path / "pasted.xlsx"
    pasted.save(path)
    result = read(path)
    assert result.form_id == form_id and result.sheet == "Sheet"
    assert result.form == expected.form and result.problems == []


def test_issue_writes_a_chosen_form_for_each_department(tmp_path: Path) -> None:
    """issue --form writes each department a template of that form, with its identity."""
    from xlsxform.cli.main import main

    roster = tmp_path / "名单.csv"
    roster.write_text("部门名称,邮箱\n湛江市信访局,a@zj.gov.cn\n湛江市财政局,b@zj.gov.cn\n", encoding="utf-8")
    outbox = tmp_path / "outbox"
    assert main(["--form", EVALUATION, "issue", str(roster), "-o", str(outbox), "--year", "2025"]) == 0
    written = sorted(outbox.glob("*.xlsx"))
    assert len(written) == 2
    for path in written:
        props = {p.name: p.value for p in openpyxl.load_workbook(path).custom_doc_props}
        assert props["xlsxform.template_id"] == EVALUATION
        assert read(path).form_id == EVALUATION


@pytest.mark.office
def test_the_self_evaluation_saved_as_xls_by_libreoffice_reads_back(office: Office, tmp_path: Path) -> None:
    """An old .xls save of the 自评表 (Excel 97-2003, from LibreOffice) reads back to the sample with nothing to report."""
    saved = office(rendered(EVALUATION, tmp_path), "xls")
    result = read(saved)
    assert result.form_id == EVALUATION
    assert result.form == sample(EVALUATION) and result.problems == []
