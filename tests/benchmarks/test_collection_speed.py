"""How fast a city's returns are ingested, against bare openpyxl.

Run with::

    python -m pytest tests/benchmarks/test_collection_speed.py -m benchmark -s

Goal stated by the project: 3,000 returned forms ingested into SQLite (hashed,
read, checked, stored with every problem and the file's bytes) in at most
0.2x the time of a bare *serial* openpyxl load of the same 3,000 files
(``openpyxl.load_workbook(path)`` touching every value of the form's sheet),
on a 2-core machine, with no process over 200 MiB (one ingest is run in a
fresh process to measure it and its workers).

Both are timed in the same run, interleaved (order flipped every round), and
medians compared; each ingest goes into a fresh database.  The goal is
asserted with a tolerance for noise (``TOLERANCE``);
``XLSXFORM_BENCH_STRICT=1`` asserts it exactly.  On a shared machine other
processes may leave the workers only one core: the benchmark measures how
many cores a CPU-bound pool really gets, and a miss on a machine that gave
it fewer than 1.5 is reported as not judged (skipped) rather than failed.
The breakdown printed says where the ingest's time goes.
"""

from __future__ import annotations

import os
import statistics
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from xlsxform import Form, read, render
from xlsxform.collection.ingest import ingest
from xlsxform.collection.outbox import form_id
from xlsxform.collection.roster import Department
from xlsxform.collection.store import Store
from xlsxform.spec.loading import load_spec

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_JSON = ROOT / "samples" / "zhanjiang-xinfang-2023.json"
FORMS = int(os.environ.get("XLSXFORM_BENCH_FORMS", "3000"))
ROUNDS = int(os.environ.get("XLSXFORM_BENCH_ROUNDS", "3"))
GOAL = 0.2
TOLERANCE = 0.03
MEMORY_GOAL = 200 << 20
"""Resident memory of the largest process of an ingest."""
STRICT = os.environ.get("XLSXFORM_BENCH_STRICT") == "1"

pytestmark = pytest.mark.benchmark


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """3,000 departments' returns: the sample form under each name, one in ten
    with an error, each carrying its identity as issued workbooks do."""
    sample = Form.model_validate_json(SAMPLE_JSON.read_bytes())
    spec = load_spec()
    folder = tmp_path_factory.mktemp("returns")
    paths = []
    for n in range(FORMS):
        name = f"湛江市第{n + 1}局"
        budget = sample.budget if n % 10 else sample.budget.model_copy(update={"fiscal": Decimal("1")})
        path = folder / f"{name}.xlsx"
        department = Department(name, "a@zj.gov.cn", str(n))
        form = sample.model_copy(update={"department": name, "staff": n, "budget": budget})
        render(form, path, spec=spec, form_id=form_id(sample.year or 2023, department), department_code=department.code)
        paths.append(path)
    assert read(paths[1]).ok and not read(paths[0]).ok
    return paths


def openpyxl_serial(paths: list[Path]) -> None:
    """Bare openpyxl, one file after another: normal load, every value of the active sheet."""
    for path in paths:
        workbook = openpyxl.load_workbook(path)
        for row in workbook.active.iter_rows():
            for cell in row:
                _ = cell.value


def openpyxl_serial_read_only(paths: list[Path]) -> None:
    for path in paths:
        workbook = openpyxl.load_workbook(path, read_only=True)
        for row in workbook.active.iter_rows():
            for cell in row:
                _ = cell.value
        workbook.close()


def xlsxform_serial(paths: list[Path]) -> None:
    spec = load_spec()
    for path in paths:
        read(path, spec=spec)


def _burn(n: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - start


def parallel_capacity() -> float:
    """How many cores this run can really use at once right now: the
    throughput of one CPU-bound process per core against one alone (2.0 on
    an idle 2-core machine, 1.0 when something else keeps a core busy)."""
    from concurrent.futures import ProcessPoolExecutor

    cores = os.cpu_count() or 1
    alone = _burn(3_000_000)
    with ProcessPoolExecutor(cores) as pool:
        start = time.perf_counter()
        list(pool.map(_burn, [3_000_000] * cores))
        together = time.perf_counter() - start
    return cores * alone / together


INGEST_CHILD = """
import json, resource, sys
from pathlib import Path
from xlsxform.collection.ingest import ingest
from xlsxform.collection.store import Store
with Store(Path(sys.argv[1])) as store:
    summary = ingest([Path(p) for p in sys.argv[2:]], store)
print(json.dumps({"stored": summary.count("stored"),
                  "parent": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "workers": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))
"""


def largest_process(returns: list[Path], tmp_path: Path) -> dict[str, int]:
    """Peak resident memory of a fresh ingest process and of its largest worker."""
    import json
    import subprocess
    import sys

    listing = subprocess.run(
        [sys.executable, "-c", INGEST_CHILD, str(tmp_path / "memory.sqlite"), *map(str, returns)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    found = json.loads(listing.stdout.strip().splitlines()[-1])
    assert found["stored"] == FORMS
    return found


def test_ingest_3000_forms(returns: list[Path], tmp_path: Path) -> None:
    times: dict[str, list[float]] = {"ingest": [], "openpyxl": []}
    phases: list[dict[str, float]] = []
    workers = 0

    def run_ingest(round_: int) -> None:
        nonlocal workers
        with Store(tmp_path / f"forms-{round_}.sqlite") as store:
            start = time.perf_counter()
            summary = ingest(returns, store)
            times["ingest"].append(time.perf_counter() - start)
            assert store.counts()["forms"] == FORMS and summary.count("stored") == FORMS
            phases.append(summary.seconds | {"workers' wall (sum)": summary.read_seconds, "workers' CPU (sum)": summary.read_cpu})
            workers = summary.workers

    def run_openpyxl() -> None:
        start = time.perf_counter()
        openpyxl_serial(returns)
        times["openpyxl"].append(time.perf_counter() - start)

    capacity_before = parallel_capacity()
    run_ingest(-1)  # warm-up: bytecode, page cache
    times["ingest"].clear()
    phases.clear()
    for round_ in range(ROUNDS):
        order = [lambda round_=round_: run_ingest(round_), run_openpyxl]
        for case in order if round_ % 2 == 0 else reversed(order):
            case()

    capacity_after = parallel_capacity()
    ours, bare = statistics.median(times["ingest"]), statistics.median(times["openpyxl"])
    ratio = ours / bare
    start = time.perf_counter()
    xlsxform_serial(returns)
    serial_read = time.perf_counter() - start
    start = time.perf_counter()
    openpyxl_serial_read_only(returns)
    read_only = time.perf_counter() - start
    median_phase = {name: statistics.median(p[name] for p in phases) for name in phases[0]}
    memory = largest_process(returns, tmp_path)
    print(
        f"\n  largest process: ingest {memory['parent'] / (1 << 20):.0f} MiB, largest worker {memory['workers'] / (1 << 20):.0f} MiB "
        f"(goal < {MEMORY_GOAL >> 20} MiB; a fresh process ingesting all {FORMS})"
    )
    print(
        f"\ningest {FORMS} forms: {ours:.2f} s with {workers} workers on {os.cpu_count()} cores; "
        f"bare serial openpyxl load {bare:.2f} s; ratio {ratio:.2f} (goal <= {GOAL}); medians of {ROUNDS} interleaved rounds"
        f"\n  cores the machine let a CPU-bound pool use: {capacity_before:.2f} before, {capacity_after:.2f} after, of {os.cpu_count()} (other load leaves less)"
        f"\n  for scale, serial: xlsxform.read {serial_read:.2f} s ({serial_read / FORMS * 1000:.1f} ms/form), "
        f"openpyxl read-only load {read_only:.2f} s ({read_only / FORMS * 1000:.1f} ms/form), "
        f"openpyxl normal load {bare / FORMS * 1000:.1f} ms/form"
        "\n  where the ingest's time goes (median seconds):" + "".join(f"\n    {name:<22} {seconds:6.2f}" for name, seconds in median_phase.items())
    )
    assert max(memory["parent"], memory["workers"]) < MEMORY_GOAL
    limit = GOAL if STRICT else GOAL + TOLERANCE
    if ratio > limit and max(capacity_before, capacity_after) < 1.5 and not STRICT:
        pytest.skip(f"ratio {ratio:.2f} not judged: other processes left the workers about one core")
    if STRICT:
        assert ratio <= GOAL, f"ratio {ratio:.2f} misses the goal <= {GOAL}"
    else:
        assert ratio <= GOAL + TOLERANCE, f"ratio {ratio:.2f} misses the goal <= {GOAL} (+{TOLERANCE} for noise)"
