"""Reading builds no model: the plain data it gives is what the form's model
holds, and its JSON is the model's JSON, over every kind of workbook the
tests have."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xlsxform import RefusedFileError, UnreadableWorkbookError, load_spec, read_workbook, render
from xlsxform.reading.result import ReadResult
from xlsxform.spec.data import as_json, complete, json_text
from xlsxform.spec.generate import model_of

from .conftest import ROOT
from .helpers import fill
from .hostile.build import build
from .test_variant import PROJECT_VARIANT, VARIANT, project_variant_data, variant_data
from .test_xmlgrid import CORPUS, FIXTURES, official

SAMPLES = sorted((ROOT / "samples").glob("*.xlsx"))
PADDED = {
    "B2": "\u3000湛江市信访局\xa0",
    "C9": " 目标1：第一项 \n目标2：\u2003第二项\u3000",
    "C14": "\t名称 ",
    "E20": "\u205f≥95%\u200a",
}
"""Texts padded with the white space a model strips."""


def assert_model_holds_the_data(result: ReadResult) -> None:
    """The model built from the data holds the same values in the same order, and says the same JSON."""
    form = result.form
    assert form.model_dump() == result.data
    assert json_text(result.data) == form.model_dump_json()
    assert json.loads(form.model_dump_json()) == as_json(result.data)


def workbooks(path: Path) -> list[ReadResult]:
    try:
        return read_workbook(path)
    except (RefusedFileError, UnreadableWorkbookError):
        return []


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_each_sample_reads_as_its_model_holds_it(path: Path) -> None:
    """Each form's sample workbook reads to data its model holds unchanged."""
    (result,) = workbooks(path)
    assert_model_holds_the_data(result)


@pytest.mark.parametrize("variant", CORPUS, ids=[str(i) for i in range(len(CORPUS))])
def test_each_returned_form_reads_as_its_model_holds_it(sample: Any, tmp_path: Path, variant: dict[str, Any]) -> None:
    """Every variant of the returned-form corpus reads to data its model holds unchanged."""
    path = tmp_path / "returned.xlsx"
    official(sample, path, **variant)
    for result in workbooks(path):
        assert_model_holds_the_data(result)


def test_padded_text_reads_as_the_model_strips_it(sample: Any, tmp_path: Path) -> None:
    """Text padded with any Unicode white space reads stripped as the model strips it."""
    path = tmp_path / "padded.xlsx"
    official(sample, path)
    (result,) = workbooks(fill(path, PADDED))
    assert result.data["department"] == "湛江市信访局"
    assert_model_holds_the_data(result)


def test_the_office_suite_fixtures_read_as_their_model_holds_them() -> None:
    """The workbooks LibreOffice saved (.xlsx and .xls) read to data their model holds unchanged."""
    results = [r for path in sorted(FIXTURES.glob("*.xls*")) for r in workbooks(path)]
    assert len(results) == 2
    for result in results:
        assert_model_holds_the_data(result)


def test_the_hostile_catalogue_reads_as_its_model_holds_it(tmp_path: Path) -> None:
    """Every file of the hostile catalogue that is read at all reads to data its model holds unchanged."""
    built = build(ROOT / "samples" / "zhanjiang-xinfang-2023.xlsx", tmp_path)
    results = [r for path in built.values() for r in workbooks(path)]
    assert results
    for result in results:
        assert_model_holds_the_data(result)


@pytest.mark.parametrize(("path", "data"), [(VARIANT, variant_data), (PROJECT_VARIANT, project_variant_data)], ids=["department", "self-evaluation"])
def test_a_variant_spec_reads_as_its_compiled_model_holds_it(path: Path, data: Callable[[], dict[str, Any]], tmp_path: Path) -> None:
    """A filled form of a local variant spec (its model compiled at load time) reads to data that model holds unchanged."""
    spec = load_spec(path)
    target = tmp_path / "variant.xlsx"
    render(model_of(spec).model_validate(data()), target, spec=spec)
    (result,) = read_workbook(target, spec=spec)
    assert_model_holds_the_data(result)


def test_completed_data_is_what_the_model_makes_of_raw_data() -> None:
    """Data as gathered (padded text, 776.80, a whole number for an amount, parts missing) completes to what the model makes of it."""
    spec = load_spec()
    raw = {
        "year": 2023,
        "department": "\u3000湛江市信访局\xa0\u205f",
        "budget": {"basic": Decimal("776.80"), "project": 356},
        "goals": [" 目标一\u3000", "\t目标二"],
        "indicators": [{"level1": " 产出指标", "level2": "数量指标 ", "name": "\u2003件数", "value": "100件\u00a0"}],
    }
    data = complete(spec, raw)
    assert data["budget"]["basic"].as_tuple() == Decimal("776.8").as_tuple()
    assert model_of(spec).model_validate(raw).model_dump() == data
    assert model_of(spec).model_validate(data).model_dump() == data
