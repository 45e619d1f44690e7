"""Hostile and broken files: each is read or refused cleanly, within 20 s and 1 GiB.

The catalogue (tests/hostile/build.py) is built afresh from the rendered
sample.  Each file is read in its own process with a 1 GiB address-space
limit and a 20 s timeout, the way a batch on the bureau's machine meets it.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlsxform import Form, read, render
from xlsxform.errors import FormDataError, RefusedFileError, UnreadableWorkbookError
from xlsxform.safety.gate import Limits, inspect

from .conftest import ROOT, SAMPLE_JSON
from .hostile.build import CATALOGUE, SHEET, Case, build, write_zip

SECONDS, MEMORY = 20, 1 << 30
RSS_BUDGET = 512 << 20
"""Resident memory a file may take: the 1 GiB address-space limit itself can
never be reached (a process hits MemoryError first), so assert a real margin."""

CHILD = """
import json, resource, sys, time
start = time.perf_counter()
from xlsxform import read
from xlsxform.errors import NotThisFormError, RefusedFileError, UnreadableWorkbookError

def outcome(path):
    try:
        result = read(path)
    except RefusedFileError as exc:
        return ["refused", exc.reason]
    except NotThisFormError:
        return ["not-this-form", None]
    except UnreadableWorkbookError as exc:
        # A crash of our own code (the reader's last guard chains its cause)
        # or running out of memory is not a clean refusal.
        return ["unreadable", "unexpected" if exc.__cause__ is not None or "MemoryError" in exc.en else None]
    return ["read", sorted([p.cell, p.code] for p in result.problems)]

found = [outcome(path) for path in sys.argv[1:]]
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"outcomes": found, "seconds": time.perf_counter() - start,
                  "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss * 1024}))
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def read_in_child(*paths: Path, timeout: float = SECONDS) -> dict:
    """Read files in a fresh process limited to 1 GiB; its outcomes, time and peak memory."""
    run = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0 and "Traceback" not in run.stderr, f"the reader crashed:\n{run.stderr[-3000:]}"
    return json.loads(run.stdout)


@pytest.fixture(scope="session")
def good_form(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("good") / "good.xlsx"
    render(Form.model_validate_json(SAMPLE_JSON.read_bytes()), path)
    return path


@pytest.fixture(scope="session")
def files(good_form: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The catalogue's files that need no office suite."""
    return build(good_form, tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="session")
def office_files(good_form: Path, tmp_path_factory: pytest.TempPathFactory, office) -> dict[str, Path]:
    """The catalogue's files made with LibreOffice."""
    names = {case.name for case in CATALOGUE if case.office}
    return build(good_form, tmp_path_factory.mktemp("hostile-office"), office, names)


def _expected(case: Case) -> list:
    kind, detail = case.expected
    if kind == "read" and detail is not None:
        return ["read", sorted(map(list, detail))]
    return [kind, detail]


def _params() -> list:
    return [pytest.param(case, id=case.name, marks=[pytest.mark.office] if case.office else []) for case in CATALOGUE]


@pytest.mark.parametrize("case", _params())
def test_each_catalogue_file_is_read_or_refused_within_limits(case: Case, request: pytest.FixtureRequest) -> None:
    """Every hostile or broken file gives its expected outcome in a 1 GiB process, in under 20 s, without a traceback."""
    if case.requires:
        pytest.importorskip(case.requires)
    path = request.getfixturevalue("office_files" if case.office else "files")[case.name]
    report = read_in_child(path)
    (found,) = report["outcomes"]
    expected = _expected(case)
    if case.expected == ("read", None):
        found = [*found[:1], None]
    assert found == expected
    assert report["cpu"] < SECONDS and report["seconds"] < SECONDS and report["rss"] < RSS_BUDGET


def test_the_catalogue_covers_every_kind_of_file_the_issue_names() -> None:
    """At least 20 files, meeting every refusal reason but not-a-file (no file is one) and external-links (refused only by a setting)."""
    from xlsxform.safety.gate import REASONS

    reasons = {case.expected[1] for case in CATALOGUE if case.expected[0] == "refused"}
    assert len(CATALOGUE) >= 20
    assert set(REASONS) - reasons == {"not-a-file", "external-links"}


def test_a_batch_reads_every_good_form_and_refuses_every_bad_one(files: dict[str, Path], good_form: Path, tmp_path: Path) -> None:
    """All the catalogue plus good forms through one process (1 GiB): each good form is read, each bad file a typed refusal."""
    blank = tmp_path / "blank.xlsx"
    from xlsxform import render_template

    render_template(blank, year=2024, department="测试局")
    fixtures = [ROOT / "tests" / "fixtures" / name for name in ("sample-libreoffice.xlsx", "sample-libreoffice.xls")]
    good = [good_form, blank, *fixtures]
    batch = [*files.values(), *good]
    random.Random(3).shuffle(batch)
    report = read_in_child(*batch, timeout=180)
    outcomes = dict(zip(map(str, batch), report["outcomes"], strict=True))
    expected = {str(files[case.name]): _expected(case) for case in CATALOGUE if case.name in files}
    for path in good:
        assert outcomes[str(path)][0] == "read"
    for path in (good_form, *fixtures):
        assert outcomes[str(path)] == ["read", []]
    for path, want in expected.items():
        assert outcomes[path][0] == want[0] and (want[0] == "read" or outcomes[path][1] == want[1])
    assert report["rss"] < RSS_BUDGET


@pytest.mark.parametrize(
    ("name", "reason"),
    [("macro-enabled.xlsm", "macros"), ("zip-bomb.xlsx", "zip-bomb"), ("encrypted.xlsx", "encrypted"), ("csv-renamed.xlsx", "csv"), ("empty.xlsx", "empty")],
)
def test_the_command_refuses_in_one_line_with_exit_code_2(files: dict[str, Path], name: str, reason: str) -> None:
    """`xlsxform read` and `check` on a refused file print one line naming the file, exit 2, no traceback, in both languages."""
    if name not in files:
        pytest.skip(f"{name} needs a test extra that is not installed")
    path = files[name]
    for argv in (["read", str(path)], ["check", str(path)], ["--lang", "en", "check", str(path)]):
        run = subprocess.run([sys.executable, "-m", "xlsxform", *argv], capture_output=True, text=True, timeout=SECONDS, cwd=ROOT, check=False)
        lines = run.stderr.strip().splitlines()
        assert (run.returncode, run.stdout, len(lines)) == (2, "", 1)
        assert lines[0].startswith(f"{path}: ")
    with pytest.raises(RefusedFileError) as raised:
        read(path)
    zh, en = raised.value.message("zh"), raised.value.message("en")
    assert raised.value.reason == reason and "\n" not in zh + en and zh != en


def test_what_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    """A device or a folder is refused at once: reading /dev/zero would never end."""
    with pytest.raises(RefusedFileError) as raised:
        read("/dev/zero")
    assert raised.value.reason == "not-a-file"
    with pytest.raises(UnreadableWorkbookError):
        read(tmp_path)
    with pytest.raises(UnreadableWorkbookError):
        read(tmp_path / "missing.xlsx")


def test_the_gate_describes_what_it_lets_through(files: dict[str, Path]) -> None:
    """A good form is an .xlsx; a workbook linking to another is let through and flagged (the link is never followed)."""
    kind = inspect(files["good.xlsx"])
    assert (kind.format, kind.macros, kind.external_links) == ("xlsx", False, False) and kind.entries > 0
    assert inspect(files["external-link.xlsx"]).external_links is True


def test_limits_are_settings(files: dict[str, Path]) -> None:
    """Macros and external links can be allowed or refused; sizes can be tightened."""
    kind = inspect(files["macro-enabled.xlsm"], Limits(allow_macros=True))
    assert (kind.format, kind.macros) == ("xlsm", True)
    with pytest.raises(RefusedFileError) as raised:
        inspect(files["external-link.xlsx"], Limits(allow_external_links=False))
    assert raised.value.reason == "external-links"
    with pytest.raises(RefusedFileError) as raised:
        inspect(files["good.xlsx"], Limits(max_file_size=1000))
    assert raised.value.reason == "too-large"
    with pytest.raises(RefusedFileError) as raised:
        inspect(files["good.xlsx"], Limits(max_entries=5))
    assert raised.value.reason == "too-many-entries"


def test_a_department_name_with_a_control_character_is_cleaned_and_reported(files: dict[str, Path], tmp_path: Path) -> None:
    """A bell smuggled in as _x0007_ is dropped with a warning on its cell, and the form renders again; one put in by a program names the field."""
    result = read(files["control-character-escape.xlsx"])
    assert result.form.department == "湛江市信访局"
    assert ("control-characters", "department") in {(p.code, p.field) for p in result.problems}
    render(result.form, tmp_path / "again.xlsx")
    with pytest.raises(FormDataError) as raised:
        render(result.form.model_copy(update={"department": "湛江市\x07信访局"}), tmp_path / "again.xlsx")
    assert raised.value.zh.startswith("“部门名称”")


# -- fuzzing -------------------------------------------------------------------------
# Deterministic by default, so that a run fails for a change of code, not of
# luck; XLSXFORM_FUZZ=N runs N random examples per test instead.

FUZZ = int(os.environ.get("XLSXFORM_FUZZ", "0"))


def _fuzz_settings(examples: int) -> settings:
    return settings(max_examples=FUZZ or examples, derandomize=not FUZZ, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


NASTY = [
    "<!DOCTYPE x>",
    '<c r="XFE1"><v>1</v></c>',
    '<row r="0">',
    '<row r="1048577">',
    '<c r="A0"><v>1</v></c>',
    '<c t="s"><v>99</v></c>',
    '<c t="n"><v>abc</v></c>',
    "<v>1e309</v>",
    '<c t="d"><v>not a date</v></c>',
    '<c t="b"><v>2</v></c>',
    "<f>1/0</f>",
    "&#0;",
    "&#x1;",
    "_x0000_",
    "\x00",
    '<dimension ref="A1:ZZZZ9"/>',
    '<mergeCell ref="A1:XFD1048576"/>',
    "=cmd|' /C calc'!A0",
    '<c r="B2" t="inlineStr"><is><t>=1+1</t></is></c>',
]


def _good_bytes() -> bytes:
    out = io.BytesIO()
    render(Form.model_validate_json(SAMPLE_JSON.read_bytes()), out)
    return out.getvalue()


GOOD = _good_bytes()


def _read_cleanly(data: bytes) -> None:
    """Read bytes as a workbook: a ReadResult or an UnreadableWorkbookError, nothing else."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.xlsx"
        path.write_bytes(data)
        try:
            read(path)
        except UnreadableWorkbookError as exc:
            assert exc.__cause__ is None and "MemoryError" not in exc.en, f"not a clean refusal: {exc.en}"


@_fuzz_settings(60)
@given(st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=8), st.integers(1, len(GOOD)))
def test_fuzzed_bytes_are_read_or_refused_cleanly(flips: list[tuple[int, int]], keep: int) -> None:
    """Random byte changes and truncations of a good file give a reading or a typed refusal."""
    data = bytearray(GOOD)
    for at, value in flips:
        data[at] = value
    _read_cleanly(bytes(data[:keep]))


@_fuzz_settings(150)
@given(
    st.sampled_from([SHEET, "xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "docProps/custom.xml"]),
    st.lists(
        st.one_of(
            st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(NASTY)),
            st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 400)),
            st.tuples(st.just("repeat"), st.floats(0, 1), st.integers(1, 400)),
            st.tuples(st.just("number"), st.floats(0, 1), st.sampled_from(["0", "-1", "99999999999", "1.5", "x", ""])),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_fuzzed_xml_is_read_or_refused_cleanly(part: str, mutations: list[tuple]) -> None:
    """Broken, duplicated or poisoned XML in a good file's parts gives a reading or a typed refusal."""
    entries = _entries()
    index = [name for name, _ in entries].index(part)
    name, xml = entries[index]
    text = xml.decode("utf-8", "replace")
    for kind, where, what in mutations:
        at = int(where * len(text))
        if kind == "insert":
            text = text[:at] + what + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + what :]
        elif kind == "repeat":
            text = text[:at] + text[at : at + what] * 3 + text[at:]
        else:
            numbers = list(re.finditer(r'(?<=")\d+(?=")', text))
            if numbers:
                hit = numbers[min(int(where * len(numbers)), len(numbers) - 1)]
                text = text[: hit.start()] + what + text[hit.end() :]
    entries[index] = (name, text.encode("utf-8", "surrogatepass"))
    out = io.BytesIO()
    write_zip(out, entries)  # type: ignore[arg-type]
    _read_cleanly(out.getvalue())


def _entries() -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(GOOD)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]
