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

from xlsxform import Form, render

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


def test_the_comparison_sees_a_changed_cell(tmp_path: Path) -> None:
    """A one-cell difference in the sheet makes the parts differ."""
    form = Form.model_validate_json(SAMPLE_JSON.read_bytes())
    target = tmp_path / "changed.xlsx"
    render(form.model_copy(update={"staff": 24}), target)
    assert parts(target)["xl/worksheets/sheet1.xml"] != parts(SAMPLE_XLSX)["xl/worksheets/sheet1.xml"]


def regenerate() -> None:
    render(Form.model_validate_json(SAMPLE_JSON.read_bytes()), SAMPLE_XLSX)
    print(f"wrote {SAMPLE_XLSX}")


if __name__ == "__main__":
    regenerate()
