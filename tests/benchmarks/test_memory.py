"""Memory stays flat with batch size: the peak RSS of the largest process
of an ingest (the command itself or any of its readers) for 300 and for
3,000 returned forms, each under 200 MiB.

Run with::

    python -m pytest tests/benchmarks/test_memory.py -m benchmark -s

The ingest runs as the real command in a process of its own; its peak and
its readers' (the largest waited-for child) come from getrusage.  The
forms are one rendered return under 3,000 different byte patterns (another
modification time inside each), every one read and checked in full.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from xlsxform import Form, render

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_JSON = ROOT / "samples" / "zhanjiang-xinfang-2023.json"
LIMIT_MIB = 200

pytestmark = pytest.mark.benchmark

MEASURE = """
import json, resource, sys
from xlsxform.cli.main import main
code = main(["ingest", sys.argv[1], "--db", sys.argv[2]])
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": code, "parent_mib": own, "largest_reader_mib": children}))
"""


def returns(folder: Path, count: int) -> None:
    sample = Form.model_validate_json(SAMPLE_JSON.read_bytes())
    out = io.BytesIO()
    render(sample, out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    parts = [(info.filename, info.date_time, source.read(info)) for info in source.infolist()]
    folder.mkdir()
    for n in range(count):
        target = io.BytesIO()
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, stamp, data in parts:
                if name == "docProps/core.xml":
                    data = data.replace(b"</cp:coreProperties>", f"<dc:description>{n}</dc:description></cp:coreProperties>".encode())
                archive.writestr(zipfile.ZipInfo(name, stamp), data, zipfile.ZIP_DEFLATED)
        (folder / f"{n:05d}.xlsx").write_bytes(target.getvalue())


@pytest.mark.parametrize("count", [300, 3000])
def test_peak_memory_is_flat_with_batch_size(tmp_path: Path, count: int) -> None:
    """The largest process of an ingest of 300 or 3,000 forms peaks under 200 MiB."""
    inbox = tmp_path / "in"
    returns(inbox, count)
    run = subprocess.run([sys.executable, "-c", MEASURE, str(inbox), str(tmp_path / "forms.sqlite")], capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"\n{count} forms: parent peak {measured['parent_mib']:.0f} MiB, largest reader peak {measured['largest_reader_mib']:.0f} MiB")
    assert measured["code"] == 0
    assert max(measured["parent_mib"], measured["largest_reader_mib"]) < LIMIT_MIB
