"""The real server, started by the tests on 127.0.0.1 with ``xlsxform serve``,
driven by Debian's chromium through chromium-driver: a department goes from
its e-mailed link to a submitted valid return, and an officer issues, takes
in, follows up and exports without a terminal.

Screenshots of each step go to ``$XLSXFORM_SCREENSHOTS`` (default: the
test's temporary folder).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xlsxform import read
from xlsxform.collection.records import FIRST_FORM
from xlsxform.collection.store import Store

from ..departments import mail
from .conftest import EVALUATION, PASSWORD, USER, A, B, Collection, issue_collection, issue_form, self_evaluation

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def _require_browser() -> None:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        if os.environ.get("XLSXFORM_REQUIRE_BROWSER"):
            pytest.fail("chromium and chromium-driver are required but not installed")
        pytest.skip("chromium and chromium-driver are not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Collection]]:
    """``xlsxform serve`` on a free port of 127.0.0.1, over a collection issued for it."""
    _require_browser()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    collection = issue_collection(tmp_path_factory.mktemp("served"), base)
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "xlsxform", "serve", "--db", str(collection.db), "--roster", str(collection.roster), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"the server did not start: {server.stderr.read().decode(errors='replace') if server.stderr else ''}")
        yield base, collection
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(served: tuple[str, Collection], downloads: Path) -> Iterator[Any]:
    """Headless chromium, as root on a closed network, downloading into ``downloads``."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("XLSXFORM_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot(driver: Any, shots: Path, name: str, width: int = 1280) -> None:
    """A full-page screenshot at ``width`` pixels."""
    height = driver.execute_cdp_cmd("Runtime.evaluate", {"expression": "document.documentElement.scrollHeight", "returnByValue": True})["result"]["value"]
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": min(int(height) + 20, 6000), "deviceScaleFactor": 1, "mobile": width < 700}
    )
    driver.save_screenshot(str(shots / f"{name}.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _wait_for(folder: Path, suffix: str, before: set[str], seconds: float = 15) -> Path:
    """The file a download wrote, once it is whole: Chromium reserves the final
    name (empty) while the bytes go to a .crdownload file beside it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        names = [p for p in folder.iterdir() if p.name not in before]
        fresh = [p for p in names if p.name.endswith(suffix) and p.stat().st_size > 0]
        if fresh and not any(p.name.endswith(".crdownload") for p in names):
            return fresh[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} downloaded")


def _by(kind: str) -> Any:
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def _navigate(driver: Any, element_id: str | None = None, link_text: str | None = None) -> None:
    """Click a button or link that loads a new page, and wait for that page."""
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(_by("TAG_NAME"), "html")
    if link_text is not None:
        driver.find_element(_by("LINK_TEXT"), link_text).click()
    else:
        driver.find_element(_by("ID"), element_id).click()

    def replaced(_: Any) -> bool:
        try:
            old.tag_name  # noqa: B018 - raises once the old page is gone
        except Exception:
            return True
        return False

    WebDriverWait(driver, 20).until(replaced)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _upload(driver: Any, path: Path, button: str = "check") -> None:
    driver.find_element(_by("CSS_SELECTOR"), "input[type=file][name=workbook]").send_keys(str(path))
    _navigate(driver, button)


def _counts(driver: Any) -> dict[str, int]:
    """The dashboard's counts by state."""
    return {
        c.get_attribute("data-state"): int(c.find_element(_by("CSS_SELECTOR"), ".number").text) for c in driver.find_elements(_by("CSS_SELECTOR"), ".count")
    }


def _highlighted(driver: Any) -> dict[str, str]:
    cells = driver.find_elements(_by("CSS_SELECTOR"), "#sheet td.error, #sheet td.warning")
    return {c.get_attribute("id").removeprefix("cell-"): ("error" if "error" in c.get_attribute("class").split() else "warning") for c in cells}


def test_a_department_goes_from_its_link_to_a_submitted_valid_return(served: tuple[str, Collection], browser: Any, downloads: Path, shots: Path) -> None:
    """Open the e-mailed link, upload a form with errors, see them on their cells, download the marked copy, upload the fixed form, submit."""
    base, collection = served
    browser.get(base + collection.links[A])
    assert browser.find_element(_by("ID"), "state").get_attribute("class") == "state missing"
    _shot(browser, shots, "01-department-link")
    _shot(browser, shots, "01-department-link-phone", width=390)

    wrong = collection.filled(A, "信访局-有错.xlsx", fiscal="1100")
    _upload(browser, wrong)
    expected = {p.cell.rsplit("!", 1)[1]: str(p.severity) for p in read(wrong).problems if p.cell}
    assert _highlighted(browser) == expected and "error" in expected.values()
    _shot(browser, shots, "02-department-check-errors")
    _shot(browser, shots, "03-department-check-phone", width=390)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    _shot(browser, shots, "04-department-check-print")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    before = {p.name for p in downloads.iterdir()}
    browser.find_element(_by("ID"), "marked").click()
    marked = _wait_for(downloads, ".xlsx", before)
    assert {p.cell for p in read(marked).problems} == {p.cell for p in read(wrong).problems}

    _upload(browser, collection.filled(A, "信访局-改好.xlsx"), button="recheck")
    assert _highlighted(browser) == {}
    assert browser.find_element(_by("ID"), "summary").get_attribute("data-errors") == "0"
    _shot(browser, shots, "05-department-check-valid")
    _navigate(browser, "submit")
    assert browser.find_element(_by("ID"), "submitted").get_attribute("data-outcome") == "stored"
    assert browser.find_element(_by("ID"), "state").get_attribute("class") == "state valid"
    _shot(browser, shots, "06-department-submitted")
    with Store(collection.db) as store:
        assert [(f.department, f.errors) for f in store.forms()] == [(A, 0)]


def test_a_department_owing_two_forms_submits_its_self_evaluation_and_the_bureau_sees_it(served: tuple[str, Collection], browser: Any, shots: Path) -> None:
    """With the 自评表 issued too, the department's page lists both forms; it uploads its 自评表, sees it recognised, submits; the 自评表 dashboard shows it 已通过."""
    base, collection = served
    issue_form(collection, EVALUATION, base)
    browser.get(base + collection.links[A])
    owed = {r.get_attribute("data-form"): r.get_attribute("data-state") for r in browser.find_elements(_by("CSS_SELECTOR"), "#owed tbody tr:not(.project)")}
    assert owed == {FIRST_FORM: "valid", EVALUATION: "missing"}
    _shot(browser, shots, "07-department-two-forms")

    _upload(browser, self_evaluation(collection.folder, "信访局-自评表.xlsx"))
    assert browser.find_element(_by("ID"), "recognised").get_attribute("data-form") == EVALUATION
    assert browser.find_element(_by("ID"), "summary").get_attribute("data-errors") == "0"
    _shot(browser, shots, "08-department-self-evaluation-checked")
    _navigate(browser, "submit")
    assert browser.find_element(_by("ID"), "submitted").get_attribute("data-outcome") == "stored"
    owed = {r.get_attribute("data-form"): r.get_attribute("data-state") for r in browser.find_elements(_by("CSS_SELECTOR"), "#owed tbody tr:not(.project)")}
    assert owed == {FIRST_FORM: "valid", EVALUATION: "valid"}
    projects = [r.get_attribute("data-project") for r in browser.find_elements(_by("CSS_SELECTOR"), "#owed tbody tr.project")]
    assert projects == ["信访事项复查复核专项经费"]
    _shot(browser, shots, "09-department-self-evaluation-submitted")

    browser.get(f"{base}/login")
    browser.find_element(_by("NAME"), "name").send_keys(USER)
    browser.find_element(_by("NAME"), "password").send_keys(PASSWORD)
    _navigate(browser, "login")
    _navigate(browser, link_text="项目支出绩效自评表")
    assert browser.find_element(_by("ID"), "dashboard").get_attribute("data-form") == EVALUATION
    state = {r.get_attribute("data-department"): r.get_attribute("data-state") for r in browser.find_elements(_by("CSS_SELECTOR"), "#departments tbody tr")}
    assert state == {f"{A}（信访事项复查复核专项经费）": "valid", B: "missing"}
    assert _counts(browser) == {"missing": 1, "errors": 0, "held": 0, "valid": 1}
    _shot(browser, shots, "09-dashboard-self-evaluation")
    _navigate(browser, "logout")
    with Store(collection.db) as store:
        assert sorted((f.template_id or FIRST_FORM, f.errors) for f in store.forms()) == [(FIRST_FORM, 0), (EVALUATION, 0)]


def test_an_officer_issues_takes_in_follows_up_and_exports_in_the_browser(served: tuple[str, Collection], browser: Any, downloads: Path, shots: Path) -> None:
    """Log in, see the department 已通过, take in returns, accept a held one, export, upload a roster and issue, list who is missing."""
    base, collection = served
    browser.get(f"{base}/bureau")
    assert browser.current_url == f"{base}/login"
    _shot(browser, shots, "10-login")
    browser.find_element(_by("NAME"), "name").send_keys(USER)
    browser.find_element(_by("NAME"), "password").send_keys(PASSWORD)
    _navigate(browser, "login")
    assert browser.current_url == f"{base}/bureau"
    state = {r.get_attribute("data-department"): r.get_attribute("data-state") for r in browser.find_elements(_by("CSS_SELECTOR"), "#departments tbody tr")}
    assert state == {A: "valid", B: "missing"}
    _shot(browser, shots, "11-dashboard")
    _shot(browser, shots, "12-dashboard-phone", width=390)

    # Take in B's return with a copy of what A already submitted through its
    # link, and B's corrected form forwarded from an address not on the roster.
    # Dated after every file here (a date still to come counts as the moment it is taken in).
    forwarded = collection.folder / "转发.eml"
    message = mail(
        [("民政局-改.xlsx", collection.filled(B, "民政局-改.xlsx").read_bytes())],
        sender="clerk@elsewhere.example",
        date=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10),
    )
    forwarded.write_bytes(bytes(message))
    browser.get(f"{base}/bureau/intake")
    files = browser.find_element(_by("CSS_SELECTOR"), "input[type=file][name=files]")
    files.send_keys("\n".join(str(p) for p in (collection.filled(B, "民政局.xlsx", fiscal="1"), collection.folder / "信访局-改好.xlsx", forwarded)))
    _navigate(browser, "intake")
    outcomes = sorted(r.get_attribute("data-status") for r in browser.find_elements(_by("CSS_SELECTOR"), "#outcomes tbody tr"))
    assert outcomes == ["duplicate", "held", "opened", "stored"]
    _shot(browser, shots, "13-intake")

    browser.get(f"{base}/bureau")
    assert _counts(browser) == {"missing": 0, "errors": 0, "held": 1, "valid": 1}
    _navigate(browser, link_text=B)
    assert browser.find_element(_by("ID"), "state").get_attribute("data-state") == "held"
    _shot(browser, shots, "14-bureau-department-held")
    accept = browser.find_element(_by("CSS_SELECTOR"), "#held button[type=submit]").get_attribute("id")
    _navigate(browser, accept)
    assert browser.find_element(_by("ID"), "state").get_attribute("data-state") == "valid"
    _shot(browser, shots, "14-bureau-department-accepted")
    browser.get(f"{base}/bureau")
    assert _counts(browser) == {"missing": 0, "errors": 0, "held": 0, "valid": 2}

    before = {p.name for p in downloads.iterdir()}
    browser.get(f"{base}/bureau")
    browser.find_element(_by("ID"), "export-rollup").click()
    assert _wait_for(downloads, ".xlsx", before).stat().st_size > 0
    before = {p.name for p in downloads.iterdir()}
    browser.find_element(_by("ID"), "export-status").click()
    with zipfile.ZipFile(_wait_for(downloads, ".zip", before)) as archive:
        assert "返回情况.xlsx" in archive.namelist()

    # A new roster, then next year's forms issued as one zip.
    roster = collection.folder / "新名单.csv"
    roster.write_text("部门名称,邮箱\n湛江市教育局,jy@example.gov.cn\n", encoding="utf-8-sig")
    browser.get(f"{base}/bureau/roster")
    browser.find_element(_by("CSS_SELECTOR"), "input[type=file][name=roster]").send_keys(str(roster))
    _navigate(browser, "upload-roster")
    assert [r.get_attribute("data-department") for r in browser.find_elements(_by("CSS_SELECTOR"), "#roster tbody tr")] == ["湛江市教育局"]
    browser.get(f"{base}/bureau/issue")
    browser.find_element(_by("NAME"), "sender").send_keys("czj@example.gov.cn")
    _shot(browser, shots, "15-issue")
    before = {p.name for p in downloads.iterdir()}
    browser.find_element(_by("ID"), "issue").click()
    with zipfile.ZipFile(_wait_for(downloads, ".zip", before)) as archive:
        assert sorted(Path(n).name for n in archive.namelist()) == ["发放清单.csv", "湛江市教育局.eml", "湛江市教育局.xlsx"]

    browser.get(f"{base}/bureau/missing")
    assert [r.get_attribute("data-department") for r in browser.find_elements(_by("CSS_SELECTOR"), "#missing tbody tr")] == ["湛江市教育局"]
    assert browser.find_element(_by("ID"), "addresses").get_attribute("value") == "jy@example.gov.cn"
    _shot(browser, shots, "16-missing")
