"""How fast xlsxform reads and renders, as ratios against bare openpyxl.

Run with::

    python -m pytest tests/benchmarks -m benchmark -s

Machines are shared and noisy, so nothing here asserts an absolute time.
Each benchmark times xlsxform and a bare-openpyxl baseline doing the same
job on the same workbook in the same run, interleaved (the order flips every
round, so drift and warm caches hit both alike), and compares medians.

Goals stated by the project:

- in-process reading (``xlsxform.read``) at most 1.2x a bare openpyxl load
  (read-only load + every cell value of the sheet);
- the command (``python -m xlsxform read FILE``) at most 1.5x a bare
  ``python -c 'import openpyxl; ...'`` that loads the file and touches every value;
- rendering has no goal; its ratio is reported.

A goal is asserted only where it is met with a wide margin on the machines
this was written on (see ``ASSERT_*``); otherwise the figure is printed and
``XLSXFORM_BENCH_STRICT=1`` turns the print into an assertion.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell

import xlsxform


def _public(name: str) -> Any:
    """``xlsxform.<name>``: the function even in a package version whose
    submodule of the same name (xlsxform/read.py) was imported first and
    shadows the lazily exported function."""
    value = getattr(xlsxform, name)
    return getattr(value, name) if isinstance(value, types.ModuleType) else value


read, render, Form = _public("read"), _public("render"), _public("Form")

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_JSON = ROOT / "samples" / "zhanjiang-xinfang-2023.json"

READ_GOAL = 1.2
CLI_GOAL = 1.5
STRICT = os.environ.get("XLSXFORM_BENCH_STRICT") == "1"
"""Assert every goal exactly, not only the ones met with a margin."""
ASSERT_READ_BELOW = 1.5
"""In-process read ratio the suite always asserts: the goal plus room for noise."""
ASSERT_CLI_BELOW: float | None = None
"""The CLI goal is not met yet (see the printed figures); only reported."""

IN_PROCESS_REPEAT = int(os.environ.get("XLSXFORM_BENCH_REPEAT", "60"))
CLI_REPEAT = int(os.environ.get("XLSXFORM_BENCH_CLI_REPEAT", "15"))

pytestmark = pytest.mark.benchmark


# -- timing ---------------------------------------------------------------


def interleaved(cases: dict[str, Callable[[], Any]], *, repeat: int, warmup: int = 3) -> dict[str, float]:
    """Median seconds of each case over ``repeat`` rounds, the cases run in
    turn each round and in reverse order every other round."""
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeat):
        for name in names if round_ % 2 == 0 else reversed(names):
            gc.collect()
            start = perf_counter()
            cases[name]()
            times[name].append(perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def judge(ratio: float, goal: float, always_below: float | None) -> None:
    """Assert the goal in strict mode, or a looser bound where one is set."""
    if STRICT:
        assert ratio <= goal, f"ratio {ratio:.2f} misses the goal <= {goal}"
    elif always_below is not None:
        assert ratio <= always_below, f"ratio {ratio:.2f} is far above the goal <= {goal}"


# -- the workbook ---------------------------------------------------------


@pytest.fixture(scope="module")
def form() -> Form:
    return Form.model_validate_json(SAMPLE_JSON.read_bytes())


@pytest.fixture(scope="module")
def workbook(form: Form, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample form rendered by xlsxform: the file every benchmark reads."""
    path = tmp_path_factory.mktemp("bench") / "sample.xlsx"
    render(form, path)
    result = read(path)
    assert result.form == form and result.ok, "the sample must read back unchanged before it is timed"
    return path


# -- baselines ------------------------------------------------------------


def openpyxl_read_only(path: Path) -> int:
    """Bare openpyxl: read-only load, then every cell value of the active sheet."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return sum(1 for row in wb.active.iter_rows() for cell in row if cell.value is not None)
    finally:
        wb.close()


def openpyxl_normal(path: Path) -> int:
    """Bare openpyxl: normal load, then every cell value of the active sheet."""
    wb = openpyxl.load_workbook(path)
    return sum(1 for row in wb.active.iter_rows() for cell in row if cell.value is not None)


OPENPYXL_CLI = (
    "import sys, openpyxl; wb = openpyxl.load_workbook(sys.argv[1]); "
    "[c.value for row in wb.active.iter_rows() for c in row]"
)


# -- 1. reading in process --------------------------------------------------


def test_read_in_process(workbook: Path) -> None:
    # Warm-up calls in interleaved() also fill load_spec()'s cache, as in any
    # long-running program that reads more than one workbook.
    medians = interleaved(
        {
            "xlsxform": lambda: read(workbook),
            "read-only": lambda: openpyxl_read_only(workbook),
            "normal": lambda: openpyxl_normal(workbook),
        },
        repeat=IN_PROCESS_REPEAT,
    )
    ratio = medians["xlsxform"] / medians["read-only"]
    ratio_normal = medians["xlsxform"] / medians["normal"]
    print(
        f"\nread in-process: xlsxform {ms(medians['xlsxform'])}, openpyxl read-only {ms(medians['read-only'])}, "
        f"ratio {ratio:.2f} (goal <= {READ_GOAL})"
        f"\nread in-process: xlsxform {ms(medians['xlsxform'])}, openpyxl normal {ms(medians['normal'])}, "
        f"ratio {ratio_normal:.2f}"
        f"\n  (medians of {IN_PROCESS_REPEAT} interleaved runs)"
    )
    judge(ratio, READ_GOAL, ASSERT_READ_BELOW)


def test_read_first_call_in_process(workbook: Path) -> None:
    """What a fresh process pays on its first read beyond the imports: the
    spec is loaded and validated once (load_spec is cached), then reused."""
    code = (
        "import sys, time, xlsxform; read = xlsxform.read; import openpyxl\n"
        "t = time.perf_counter(); read(sys.argv[1]); first = time.perf_counter() - t\n"
        "t = time.perf_counter(); read(sys.argv[1]); second = time.perf_counter() - t\n"
        "print(first, second)"
    )
    runs = [subprocess.run([sys.executable, "-c", code, str(workbook)], **_child(), capture_output=True, text=True, check=True) for _ in range(5)]
    firsts, seconds = zip(*(map(float, r.stdout.split()) for r in runs))
    first, second = statistics.median(firsts), statistics.median(seconds)
    print(f"\nread first call: {ms(first)} (spec loaded and validated), later calls {ms(second)}; the first costs {ms(first - second)} more")


# -- 2. reading from the command line ----------------------------------------


def _child() -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return {"cwd": ROOT, "env": env}


def test_read_cli(workbook: Path) -> None:
    child = _child()
    xlsxform_cmd = [sys.executable, "-m", "xlsxform", "read", str(workbook)]
    openpyxl_cmd = [sys.executable, "-c", OPENPYXL_CLI, str(workbook)]
    python_cmd = [sys.executable, "-c", "pass"]
    done = subprocess.run(xlsxform_cmd, **child, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 0, f"xlsxform read failed: {done.stderr}"

    def run(cmd: list[str]) -> Callable[[], None]:
        return lambda: subprocess.run(cmd, **child, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    medians = interleaved(
        {"xlsxform": run(xlsxform_cmd), "openpyxl": run(openpyxl_cmd), "python": run(python_cmd)},
        repeat=CLI_REPEAT,
        warmup=2,
    )
    ratio = medians["xlsxform"] / medians["openpyxl"]
    floor = medians["python"]
    beyond = (medians["xlsxform"] - floor) / (medians["openpyxl"] - floor)
    print(
        f"\nread CLI: xlsxform {ms(medians['xlsxform'])}, python -c openpyxl {ms(medians['openpyxl'])}, "
        f"ratio {ratio:.2f} (goal <= {CLI_GOAL})"
        f"\n  bare interpreter start {ms(floor)}; above it: xlsxform {ms(medians['xlsxform'] - floor)}, "
        f"openpyxl {ms(medians['openpyxl'] - floor)}, ratio {beyond:.2f}"
        f"\n  (medians of {CLI_REPEAT} interleaved fresh processes)"
    )
    judge(ratio, CLI_GOAL, ASSERT_CLI_BELOW)


# -- 3. rendering -----------------------------------------------------------


def rendered_content(path: Path) -> tuple[str, list[tuple[int, int, Any]], list[str]]:
    """Sheet title, every non-empty value with its place, and the merged ranges."""
    ws = openpyxl.load_workbook(path).active
    values = [
        (cell.row, cell.column, cell.value)
        for row in ws.iter_rows()
        for cell in row
        if not isinstance(cell, MergedCell) and cell.value is not None
    ]
    return ws.title, values, sorted(str(r) for r in ws.merged_cells.ranges)


def openpyxl_write(title: str, values: list[tuple[int, int, Any]], merges: list[str], target: Path) -> None:
    """Bare openpyxl: the same values in the same cells, the same merges, no styling."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row, col, value in values:
        ws.cell(row, col).value = value
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(target)


def test_render(form: Form, workbook: Path, tmp_path: Path) -> None:
    title, values, merges = rendered_content(workbook)
    ours, bare = tmp_path / "xlsxform.xlsx", tmp_path / "openpyxl.xlsx"
    openpyxl_write(title, values, merges, bare)
    assert rendered_content(bare) == (title, values, merges), "the baseline must write the same content"

    medians = interleaved(
        {
            "xlsxform": lambda: render(form, ours),
            "openpyxl": lambda: openpyxl_write(title, values, merges, bare),
        },
        repeat=IN_PROCESS_REPEAT,
    )
    ratio = medians["xlsxform"] / medians["openpyxl"]
    print(
        f"\nrender: xlsxform {ms(medians['xlsxform'])}, openpyxl same values+merges {ms(medians['openpyxl'])}, "
        f"ratio {ratio:.2f} (no goal; {len(values)} values, {len(merges)} merges)"
        f"\n  (medians of {IN_PROCESS_REPEAT} interleaved runs)"
    )
