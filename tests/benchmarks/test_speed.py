"""How fast xlsxform reads and renders, as ratios against bare openpyxl.

Run with::

    python -m pytest tests/benchmarks -m benchmark -s

(The default ``python -m pytest`` leaves these out: see conftest.py here.)

Machines are shared and noisy, so nothing here asserts an absolute time.
Each benchmark times xlsxform and a bare-openpyxl baseline doing the same job
on the same workbook in the same run, interleaved (the order flips every
round, so drift and load hit both alike), and compares medians.

Goals stated by the project:

- in-process reading, ``xlsxform.read(path)``: at most 0.25x a bare openpyxl
  normal load that touches every cell value of the sheet (the read-only load
  is printed too);
- the command, ``python -m xlsxform read FILE``: at most 1.0x a bare
  ``python -c 'import openpyxl; ...'`` that loads the file and touches every
  value, each a fresh process;
- rendering: at most 0.7x the renderer as it was before it cached styles and
  merged borders (kept here as ``TodaysSheetWriter``, run in the same rounds);
  bare openpyxl writing the same values is printed too.

Each goal is asserted with a tolerance for noise (``TOLERANCE``);
``XLSXFORM_BENCH_STRICT=1`` asserts them exactly.
``XLSXFORM_BENCH_REPEAT`` / ``XLSXFORM_BENCH_CLI_REPEAT`` change the rounds.
"""

from __future__ import annotations

import gc
import json
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
from tests.test_golden import parts as golden_parts
from xlsxform.rendering import renderer
from xlsxform.workbook.cells import BOX, UNLOCKED
from xlsxform.workbook.writer import CellStyle, SheetWriter, _alignment, _font

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_JSON = ROOT / "samples" / "zhanjiang-xinfang-2023.json"

READ_GOAL = 0.25
CLI_GOAL = 1.0
RENDER_GOAL = 0.7
TOLERANCE = 0.05
"""Room for noise above a goal before the benchmark fails."""
STRICT = os.environ.get("XLSXFORM_BENCH_STRICT") == "1"
"""Assert both goals exactly."""

IN_PROCESS_REPEAT = int(os.environ.get("XLSXFORM_BENCH_REPEAT", "60"))
CLI_REPEAT = int(os.environ.get("XLSXFORM_BENCH_CLI_REPEAT", "15"))

pytestmark = pytest.mark.benchmark


def _public(name: str) -> Any:
    """``xlsxform.<name>``: the function even in a package version whose
    submodule of the same name (xlsxform/read.py) was imported first and
    shadows the lazily exported function."""
    value = getattr(xlsxform, name)
    return getattr(value, name) if isinstance(value, types.ModuleType) else value


read, render, Form = _public("read"), _public("render"), _public("Form")


# -- timing ---------------------------------------------------------------


def interleaved(cases: dict[str, Callable[[], Any]], *, repeat: int, warmup: int = 3) -> dict[str, float]:
    """Median seconds of each case over ``repeat`` rounds, the cases run in
    turn each round and in reverse order every other round.

    The objects alive before timing (pytest's, hypothesis's...) are frozen out
    of the garbage collector, so a collection during a timed call costs what
    it would in a small program, not what it costs to scan pytest's heap.
    """
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    gc.freeze()
    try:
        for round_ in range(repeat):
            for name in names if round_ % 2 == 0 else reversed(names):
                start = perf_counter()
                cases[name]()
                times[name].append(perf_counter() - start)
    finally:
        gc.unfreeze()
    return {name: statistics.median(t) for name, t in times.items()}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def judge(ratio: float, goal: float, tolerance: float) -> None:
    """Assert the goal: exactly in strict mode, else with room for noise."""
    if STRICT:
        assert ratio <= goal, f"ratio {ratio:.2f} misses the goal <= {goal}"
    else:
        assert ratio <= goal + tolerance, f"ratio {ratio:.2f} misses the goal <= {goal} (+{tolerance} for noise)"


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


# -- 1. reading in process --------------------------------------------------


def openpyxl_read_only(path: Path) -> None:
    """Bare openpyxl: read-only load, then every cell value of the active sheet."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for row in wb.active.iter_rows():
            for cell in row:
                _ = cell.value
    finally:
        wb.close()


def openpyxl_normal(path: Path) -> None:
    """Bare openpyxl: normal load, then every cell value of the active sheet."""
    wb = openpyxl.load_workbook(path)
    for row in wb.active.iter_rows():
        for cell in row:
            _ = cell.value


def test_read_in_process(workbook: Path) -> None:
    # The warm-up rounds also fill load_spec()'s cache, as in any program that
    # reads more than one workbook; a fresh process's first read is measured
    # by test_read_cli_phases.
    medians = interleaved(
        {
            "xlsxform": lambda: read(workbook),
            "read-only": lambda: openpyxl_read_only(workbook),
            "normal": lambda: openpyxl_normal(workbook),
        },
        repeat=IN_PROCESS_REPEAT,
    )
    ours, bare, normal = medians["xlsxform"], medians["read-only"], medians["normal"]
    ratio = ours / normal
    print(
        f"\nread in-process: xlsxform {ms(ours)}, openpyxl normal load {ms(normal)}, ratio {ratio:.2f} (goal <= {READ_GOAL})"
        f"\nread in-process: xlsxform {ms(ours)}, openpyxl read-only {ms(bare)}, ratio {ours / bare:.2f}"
        f"\n  medians of {IN_PROCESS_REPEAT} interleaved rounds; where xlsxform.read's time goes (cProfile, own time):\n" + profile(lambda: read(workbook))
    )
    judge(ratio, READ_GOAL, TOLERANCE)


def profile(call: Callable[[], Any], rounds: int = 50, lines: int = 12) -> str:
    """The functions that take the most of ``call``'s own time, by share."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    top = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:lines]
    return "\n".join(f"    {own / total:5.1%}  {Path(file).name}:{line} {name}" for (file, line, name), (_, _, own, _, _) in top)


# -- 2. reading from the command line ----------------------------------------


@pytest.fixture(scope="module")
def child_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """How the commands run: from the checkout, with compiled bytecode cached
    (in a temporary folder, not the checkout) as for an installed package,
    even where PYTHONDONTWRITEBYTECODE is set."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE", "PYTHONTRACEMALLOC"):
        env.pop(name, None)
    return {"cwd": ROOT, "env": env}


OPENPYXL_CLI = "import sys, openpyxl; wb = openpyxl.load_workbook(sys.argv[1]); [c.value for row in wb.active.iter_rows() for c in row]"


def test_read_cli(workbook: Path, child_env: dict[str, Any]) -> None:
    ours_cmd = [sys.executable, "-m", "xlsxform", "read", str(workbook)]
    bare_cmd = [sys.executable, "-c", OPENPYXL_CLI, str(workbook)]
    python_cmd = [sys.executable, "-c", "pass"]
    done = subprocess.run(ours_cmd, **child_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 0, f"xlsxform read failed ({done.returncode}): {done.stderr}"

    def run(cmd: list[str]) -> Callable[[], None]:
        return lambda: subprocess.run(cmd, **child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    medians = interleaved({"xlsxform": run(ours_cmd), "openpyxl": run(bare_cmd), "python": run(python_cmd)}, repeat=CLI_REPEAT, warmup=2)
    ours, bare, floor = medians["xlsxform"], medians["openpyxl"], medians["python"]
    ratio = ours / bare
    print(
        f"\nread CLI: xlsxform {ms(ours)}, python -c openpyxl {ms(bare)}, ratio {ratio:.2f} (goal <= {CLI_GOAL})"
        f"\n  python -c pass {ms(floor)}; above it: xlsxform {ms(ours - floor)}, openpyxl {ms(bare - floor)}, "
        f"ratio {(ours - floor) / (bare - floor):.2f}; medians of {CLI_REPEAT} interleaved fresh processes"
    )
    judge(ratio, CLI_GOAL, TOLERANCE)


IMPORTS = (
    "dataclasses",
    "decimal",
    "argparse",
    "xlsxform.spec.layout",
    "xlsxform.forms.specs",
    "xlsxform.spec.data",
    "xlsxform.safety.gate",
    "xlsxform.workbook.xmlgrid",
    "xlsxform.checking.rules",
    "xlsxform.reading.reader",
    "xlsxform.cli.main",
    "pydantic",
    "openpyxl",
    "csv",
    "email",
)
"""Modules whose import a fresh ``xlsxform read`` reports (cumulative)."""


def test_read_cli_phases(workbook: Path, child_env: dict[str, Any]) -> None:
    """Where a fresh ``xlsxform read`` process spends its time, through the
    public API only: interpreter start, imports (those of IMPORTS, from
    ``-X importtime``: the spec classes, the gate, the grid reader, the
    rules...), the first spec load (the built-in spec built from
    xlsxform.forms.specs), the read, the JSON the command prints, and
    interpreter exit (the child's clock is the parent's: Linux
    CLOCK_MONOTONIC).  Reading imports no pydantic and no openpyxl."""
    code = (
        "import json, os, sys, time\n"
        "marks = [('interpreter start', time.perf_counter())]\n"
        "import xlsxform; read, load_spec = xlsxform.read, xlsxform.load_spec\n"
        "from xlsxform.spec.data import as_json\n"
        "marks.append(('import xlsxform read/load_spec (the gate, the grid reader, the spec classes, the rules)', time.perf_counter()))\n"
        "spec = load_spec(); marks.append(('load_spec(): TOML text, its digest, the built-in spec built as validated', time.perf_counter()))\n"
        "result = read(sys.argv[1], spec=spec); marks.append(('read(): first call', time.perf_counter()))\n"
        "json.dumps(as_json(result.data), ensure_ascii=False, indent=2); marks.append(('the JSON the command prints', time.perf_counter()))\n"
        "print('MARKS' + json.dumps(marks), file=sys.stderr)\n"
    )
    runs: list[list[tuple[str, float]]] = []
    imports: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for i in range(max(CLI_REPEAT // 2, 3) + 1):
        before = perf_counter()
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", code, str(workbook)], **child_env, capture_output=True, text=True, check=True)
        after = perf_counter()
        lines = done.stderr.strip().splitlines()
        marks = json.loads(next(line for line in lines if line.startswith("MARKS"))[5:])
        steps = [("interpreter start", marks[0][1] - before)]
        steps += [(name, t - marks[n][1]) for n, (name, t) in enumerate(marks[1:])]
        steps += [("interpreter exit", after - marks[-1][1]), ("total (importtime's own cost included)", after - before)]
        found = {}
        for line in lines:
            if line.startswith("import time:") and "|" in line:
                _, cumulative, name = line[12:].split("|")
                if cumulative.strip().isdigit():
                    found[name.strip()] = int(cumulative) / 1e6
        if i:  # the first run writes the bytecode cache
            runs.append(steps)
            for name in IMPORTS:
                imports[name].append(found.get(name, 0.0))
    lines = [f"  {statistics.median(r[k][1] for r in runs) * 1000:7.1f} ms  {name}" for k, (name, _) in enumerate(runs[0])]
    lines += ["  imports (cumulative, where first imported; 0 = not imported):"]
    lines += [f"  {statistics.median(imports[name]) * 1000:7.1f} ms    {name}" for name in IMPORTS]
    print(f"\nread CLI phases (fresh process, medians of {len(runs)}):\n" + "\n".join(lines))
    assert max(imports["openpyxl"]) == 0, "reading imports openpyxl"
    assert max(imports["pydantic"]) == 0, "reading imports pydantic"


# -- 3. rendering -----------------------------------------------------------


def rendered_content(path: Path) -> tuple[str, list[tuple[int, int, Any]], list[str]]:
    """Sheet title, every non-empty value with its place, and the merged ranges."""
    ws = openpyxl.load_workbook(path).active
    values = [(cell.row, cell.column, cell.value) for row in ws.iter_rows() for cell in row if not isinstance(cell, MergedCell) and cell.value is not None]
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


class TodaysSheetWriter(SheetWriter):
    """The writer as it was before this benchmark's goal: every style
    assigned through openpyxl's descriptors, every merge formatted by openpyxl,
    saved through temporary files by openpyxl's save."""

    def save(self, target: Any) -> None:
        self.workbook.save(target)

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        if (first_row, first_col) != (last_row, last_col):
            self.sheet.merge_cells(start_row=first_row, start_column=first_col, end_row=last_row, end_column=last_col)

    def _style(self, cell: Any, style: CellStyle) -> None:
        cell.font = _font(style.font, style.size, style.bold)
        cell.alignment = _alignment(style.align, style.wrap)
        if style.border:
            cell.border = BOX
        if style.number_format != "General":
            cell.number_format = style.number_format
        if not style.locked:
            cell.protection = UNLOCKED


def todays_render(form: Form, target: Path) -> None:
    """Render with the writer as it was (the renderer itself unchanged)."""
    renderer.SheetWriter = TodaysSheetWriter  # type: ignore[misc]
    try:
        render(form, target)
    finally:
        renderer.SheetWriter = SheetWriter  # type: ignore[misc]


def test_render(form: Form, workbook: Path, tmp_path: Path) -> None:
    title, values, merges = rendered_content(workbook)
    ours_path, bare_path, todays_path = tmp_path / "xlsxform.xlsx", tmp_path / "openpyxl.xlsx", tmp_path / "today.xlsx"
    openpyxl_write(title, values, merges, bare_path)
    assert rendered_content(bare_path) == (title, values, merges), "the baseline must write the same content"
    render(form, ours_path)
    todays_render(form, todays_path)
    assert golden_parts(ours_path) == golden_parts(todays_path), "today's renderer must write the same workbook"

    medians = interleaved(
        {
            "xlsxform": lambda: render(form, ours_path),
            "today": lambda: todays_render(form, todays_path),
            "openpyxl": lambda: openpyxl_write(title, values, merges, bare_path),
        },
        repeat=IN_PROCESS_REPEAT,
    )
    ours, today, bare = medians["xlsxform"], medians["today"], medians["openpyxl"]
    ratio = ours / today
    print(
        f"\nrender: xlsxform {ms(ours)}, the renderer as it was {ms(today)}, ratio {ratio:.2f} (goal <= {RENDER_GOAL})"
        f"\nrender: xlsxform {ms(ours)}, openpyxl same values + merges {ms(bare)}, ratio {ours / bare:.2f}"
        f"\n  {len(values)} values, {len(merges)} merges; xlsxform adds styles, widths, heights, page setup, "
        f"conditional formats; medians of {IN_PROCESS_REPEAT} interleaved rounds; where render's time goes (cProfile, own time):\n"
        + profile(lambda: render(form, ours_path), rounds=10)
    )
    judge(ratio, RENDER_GOAL, TOLERANCE)
