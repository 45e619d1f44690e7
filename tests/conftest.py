"""Shared fixtures: the bundled spec, the sample form, and LibreOffice."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from xlsxform import Form, load_spec
from xlsxform.spec import Spec

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
        if os.environ.get("XLSXFORM_REQUIRE_OFFICE"):
            pytest.fail("LibreOffice (soffice) is required but not installed")
        pytest.skip("LibreOffice (soffice) is not installed")
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
