"""Shared fixtures: the bundled spec, the sample form, and LibreOffice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from xlsxform import Form, load_spec
from xlsxform.spec.layout import Spec

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_JSON = ROOT / "samples" / "zhanjiang-xinfang-2023.json"
SAMPLE_XLSX = ROOT / "samples" / "zhanjiang-xinfang-2023.xlsx"


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


@pytest.fixture
def sample() -> Form:
    return Form.model_validate_json(SAMPLE_JSON.read_bytes())


Office = Callable[[Path, str], Path]


@pytest.fixture(scope="session")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    """Open a file in LibreOffice and save it as another format, as a person would.

    Skipped where LibreOffice is missing, unless XLSXFORM_REQUIRE_OFFICE is
    set (CI sets it), where a missing LibreOffice fails the test instead.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        _require("LibreOffice (soffice)")
    profile = tmp_path_factory.mktemp("lo-profile")

    def convert(source: Path, fmt: str) -> Path:
        outdir = source.parent / f"office-{fmt}"
        outdir.mkdir(exist_ok=True)
        run = subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", fmt, "--outdir", str(outdir), str(source)],
            capture_output=True,
            text=True,
            timeout=180,
        )
        target = outdir / f"{source.stem}.{fmt.split(':')[0]}"
        assert run.returncode == 0 and target.exists(), f"LibreOffice failed: {run.stdout} {run.stderr}"
        return target

    return convert


Fill = Callable[[Path, Path, list[dict[str, Any]]], Path]
UNO_SCRIPT = Path(__file__).parent / "office" / "fill_with_libreoffice.py"


def _require(what: str) -> None:
    if os.environ.get("XLSXFORM_REQUIRE_OFFICE"):
        pytest.fail(f"{what} is required but not installed")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def libreoffice_fill(office: Office, tmp_path_factory: pytest.TempPathFactory) -> Fill:
    """Edit a workbook in LibreOffice as a person would (insert rows, type
    values) and save it, through the UNO bridge of the system's Python."""
    python = next(
        (p for p in ("/usr/bin/python3", shutil.which("python3") or "") if p and subprocess.run([p, "-c", "import uno"], capture_output=True).returncode == 0),
        None,
    )
    if python is None:
        _require("LibreOffice's Python bridge (python3-uno)")
    profile = tmp_path_factory.mktemp("uno-profile")

    def fill(source: Path, target: Path, steps: list[dict[str, Any]]) -> Path:
        job = target.with_suffix(".job.json")
        job.write_text(
            json.dumps({"source": str(source), "target": str(target), "profile": str(profile), "steps": steps}, ensure_ascii=False), encoding="utf-8"
        )
        run = subprocess.run([python, str(UNO_SCRIPT), str(job)], capture_output=True, text=True, timeout=180)
        assert run.returncode == 0 and target.exists(), f"LibreOffice edit failed: {run.stdout} {run.stderr}"
        return target

    return fill


@pytest.fixture
def away_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time 8 hours from UTC (Asia/Shanghai, the users' zone), so that a
    time written in UTC where local time is meant shows as wrong."""
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
