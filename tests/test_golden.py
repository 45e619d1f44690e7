"""The sample's rendering matches the committed workbook, part by part.

Compared the way XlsxWriter compares against files made by Excel: the same
zip parts, each XML part equal after canonicalisation, timestamps ignored.
Regenerate on purpose only, after looking at the new rendering:
``python -m tests.test_golden``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree.ElementTree import canonicalize

import pytest

from xlsxform import Form, load_spec, render
from xlsxform.spec.generate import model_of

from .conftest import SAMPLE_JSON, SAMPLE_XLSX

_TIMESTAMPS = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def parts(path: Path) -> dict[str, str]:
    """Each zip part of a workbook, XML canonicalised and timestamps removed."""
    with zipfile.ZipFile(path) as archive:
        result = {}
        for name in sorted(archive.namelist()):
            data = _TIMESTAMPS.sub(b"", archive.read(name))
            result[name] = canonicalize(data.decode("utf-8"), strip_text=True) if name.endswith((".xml", ".rels")) else data.hex()
        return result


def test_the_sample_renders_like_the_golden_workbook(tmp_path: Path) -> None:
    """Rendering the sample gives the committed samples/*.xlsx, part by part."""
    target = tmp_path / "sample.xlsx"
    render(Form.model_validate_json(SAMPLE_JSON.read_bytes()), target)
    golden, fresh = parts(SAMPLE_XLSX), parts(target)
    assert sorted(fresh) == sorted(golden)
    for name in golden:
        assert fresh[name] == golden[name], f"part {name} differs from the golden workbook"


FAMILY = {"project-self-evaluation": "zhanjiang-xinfang-2023-self-evaluation", "project-performance-target": "zhanjiang-xinfang-2024-project-target"}


@pytest.mark.parametrize("form_id", FAMILY)
def test_each_project_form_sample_renders_like_its_committed_workbook(tmp_path: Path, form_id: str) -> None:
    """The project forms' samples render to the committed samples/*.xlsx, part by part."""
    spec = load_spec(form_id)
    stem = SAMPLE_XLSX.parent / FAMILY[form_id]
    target = tmp_path / "sample.xlsx"
    render(model_of(spec).model_validate_json(stem.with_suffix(".json").read_bytes()), target, spec=spec)
    golden, fresh = parts(stem.with_suffix(".xlsx")), parts(target)
    assert sorted(fresh) == sorted(golden)
    for name in golden:
        assert fresh[name] == golden[name], f"part {name} differs from the golden workbook"


def test_the_comparison_sees_a_changed_cell(tmp_path: Path) -> None:
    """A one-cell difference in the sheet makes the parts differ."""
    form = Form.model_validate_json(SAMPLE_JSON.read_bytes())
    target = tmp_path / "changed.xlsx"
    render(form.model_copy(update={"staff": 24}), target)
    assert parts(target)["xl/worksheets/sheet1.xml"] != parts(SAMPLE_XLSX)["xl/worksheets/sheet1.xml"]


def regenerate() -> None:
    render(Form.model_validate_json(SAMPLE_JSON.read_bytes()), SAMPLE_XLSX)
    print(f"wrote {SAMPLE_XLSX}")
    for form_id, name in FAMILY.items():
        spec = load_spec(form_id)
        stem = SAMPLE_XLSX.parent / name
        render(model_of(spec).model_validate_json(stem.with_suffix(".json").read_bytes()), stem.with_suffix(".xlsx"), spec=spec)
        print(f"wrote {stem.with_suffix('.xlsx')}")


if __name__ == "__main__":
    regenerate()
