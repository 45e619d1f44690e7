"""The portal under load: 50 departments check and submit at the same moment.

Run with::

    python -m pytest tests/benchmarks/test_portal_load.py -m benchmark -s

``xlsxform serve`` runs on a free port of 127.0.0.1; 50 clients, one per
department, each open their link, upload their filled workbook to be
checked, and submit it, all at once.  Every request must be answered (no
error, no time-out) and none lost: the store must hold exactly one receipt
(origin ``web``, stored) and one form per department afterwards.  The p50/p95/max latency of the uploads (check, then
submit) is printed, and a lone department's check must be answered in
under a second.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.portal.conftest import issue_collection
from tests.portal.test_browser import _free_port
from xlsxform.collection.store import Store

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS = int(os.environ.get("XLSXFORM_BENCH_DEPARTMENTS", "50"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = pytest.mark.benchmark


def _department(client: httpx.Client, link: str, path: Path, latencies: dict[str, list[float]], failures: list[str]) -> None:
    try:
        client.get(link).raise_for_status()
        started = time.perf_counter()
        checked = client.post(f"{link}/check", data={"csrf": client.cookies["csrf"]}, files={"workbook": (path.name, path.read_bytes(), XLSX)})
        checked.raise_for_status()
        latencies["check"].append(time.perf_counter() - started)
        action = re.search(r'action="(/d/[^"]+/submit)"', checked.text)
        assert action, "no submit button"
        started = time.perf_counter()
        submitted = client.post(action[1], data={"csrf": client.cookies["csrf"]})
        submitted.raise_for_status()
        latencies["submit"].append(time.perf_counter() - started)
        assert "submitted=stored" in str(submitted.url), submitted.url
    except Exception as exc:
        failures.append(f"{path.name}: {type(exc).__name__}: {exc}")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def test_fifty_simultaneous_uploads_are_all_answered_and_none_lost(tmp_path: Path) -> None:
    """50 departments check and submit at once: every request answered, 50 forms stored, latency printed."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    names = [f"湛江市测试{n:02d}局" for n in range(1, DEPARTMENTS + 1)]
    collection = issue_collection(tmp_path, base, names)
    workbooks = {name: collection.filled(name, f"{name}.xlsx") for name in names}
    server = subprocess.Popen(
        [sys.executable, "-m", "xlsxform", "serve", "--db", str(collection.db), "--roster", str(collection.roster), "--port", str(port)],
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    latencies: dict[str, list[float]] = {"check": [], "submit": []}
    failures: list[str] = []
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as alone:
            link = collection.links[names[0]]
            alone.get(link).raise_for_status()
            started = time.perf_counter()
            alone.post(
                f"{link}/check", data={"csrf": alone.cookies["csrf"]}, files={"workbook": ("x.xlsx", workbooks[names[0]].read_bytes(), XLSX)}
            ).raise_for_status()
            solo = time.perf_counter() - started
        clients = [httpx.Client(base_url=base, timeout=180, follow_redirects=True) for _ in names]
        threads = [
            threading.Thread(target=_department, args=(client, collection.links[name], workbooks[name], latencies, failures))
            for client, name in zip(clients, names, strict=True)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        wall = time.perf_counter() - started
        for client in clients:
            client.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    with Store(collection.db) as store:
        forms = store.forms(current=False)
        receipts = store.receipts()
    uploads = [c + s for c, s in zip(latencies["check"], latencies["submit"], strict=False)]
    print(f"\none department alone: check answered in {solo:.2f} s")
    print(f"{DEPARTMENTS} departments at once on loopback: all done in {wall:.1f} s")
    for label, values in (("check", latencies["check"]), ("submit", latencies["submit"]), ("check + submit", uploads)):
        if values:
            print(f"  {label:15} p50 {statistics.median(values):6.2f} s   p95 {_percentile(values, 0.95):6.2f} s   max {max(values):6.2f} s")
    assert failures == []
    assert solo < 1.0
    assert len(latencies["check"]) == len(latencies["submit"]) == DEPARTMENTS
    assert sorted(f.department for f in forms) == sorted(names)
    assert sorted((r.department, r.origin, r.outcome) for r in receipts) == sorted((name, "web", "stored") for name in names)
