"""Reading returned workbooks in isolation, in a pool of worker processes.

The read of one content never harms the batch: whatever it raises, or even
a worker that dies (a crash in a C extension, the kernel's OOM killer),
becomes a refusal of that content.  Workers run the garbage collector and
keep nothing; the parent submits only a few reads ahead of the one it is
recording, so neither grows with the size of the batch.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections import deque
from collections.abc import Generator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from xlsxform.checking.rules import value_at
from xlsxform.collection.receipts import REFUSALS
from xlsxform.spec.data import json_text
from xlsxform.spec.layout import Spec

if TYPE_CHECKING:
    from xlsxform.reading.result import ReadResult

WINDOW_PER_WORKER = 4
"""Reads submitted ahead of the one being recorded, per worker: bounds what the parent holds."""
COLLECT_EVERY = 25
"""A worker runs the full garbage collection after this many reads."""


def _scope(result: ReadResult) -> str:
    """What tells this return apart from the department's others of its form
    (a project's name, for forms sent one per project), or ''."""
    subject = result.spec.form.subject
    return str(value_at(result.data, subject) or "") if subject else ""


def _reading(result: ReadResult) -> dict[str, Any]:
    """One form read, as plain data for the parent process."""
    problems = [
        {
            "severity": str(p.severity),
            "code": p.code,
            "cell": p.cell,
            "field": p.field,
            "value": None if p.value is None else str(p.value),
            "params": json.loads(json.dumps(p.params, ensure_ascii=False, default=str)),
            "message": p.message("zh"),
            "message_en": p.message("en"),
        }
        for p in result.problems
    ]
    return {
        "ok": True,
        "form": json_text(result.data),
        "department": result.data["department"],
        "year": result.data["year"],
        "problems": problems,
        "identity": result.identity,
        "template": result.form_id,
        "scope": _scope(result),
        "sheet": result.sheet,
    }


def read_one(path: str, spec: Spec | None = None) -> dict[str, Any]:
    """Read and check one workbook; never raises.

    Returns plain data for the parent process: the form as JSON, each problem
    with its messages, and the identity stored in the file (for a workbook of
    several forms, one such entry per sheet under "sheets"); or the refusal
    code and reason.
    """
    from xlsxform.errors import NotThisFormError, XlsxformError
    from xlsxform.reading.reader import read_workbook

    try:
        results = read_workbook(path, spec=spec)
        found = [_reading(result) for result in results]
        # A workbook of several forms (a department's projects, one sheet
        # each) is recorded as a container with one receipt per sheet.
        return found[0] if len(found) == 1 else {"ok": True, "sheets": found}
    except XlsxformError as exc:
        code = "not-this-form" if isinstance(exc, NotThisFormError) else "unreadable"
        return {"ok": False, "refusal": code, "kind": type(exc).__name__, "reason": exc.zh, "reason_en": exc.en}
    except Exception as exc:
        return crashed(exc)


_worker_spec: Spec | None = None
_worker_reads = 0


def _init_worker(spec: Spec | None) -> None:
    global _worker_spec
    _worker_spec = spec
    # What the worker inherited from its parent stays out of the cyclic
    # collector (scanning it would cost time and copy every page it touches);
    # the collector itself runs, whatever the parent did: openpyxl's objects
    # are full of cycles, and without it a worker grows by every file it reads.
    gc.freeze()
    gc.enable()


def _read_in_worker(path: str) -> dict[str, Any]:
    global _worker_reads
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        result = read_one(path, _worker_spec)
    except Exception as exc:
        result = crashed(exc)
    _worker_reads += 1
    if _worker_reads % COLLECT_EVERY == 0:
        gc.collect()
    return result | {"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def _pool(workers: int, spec: Spec | None) -> ProcessPoolExecutor:
    """Worker processes; forked on Linux, so they start in milliseconds with
    everything the parent imported (and the spec it loaded) already there."""
    import multiprocessing

    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(spec,))


def read_all(paths: list[str], spec: Spec | None, workers: int) -> Generator[dict[str, Any], None, None]:
    """Each path's reading, in input order, with at most a few reads per
    worker submitted ahead (so the parent never holds many results).

    A worker that dies (a crash in a C extension, the kernel's OOM killer)
    breaks the pool; the files it left unread are then read again one at a
    time, each in a fresh process, and the one that kills its process again
    is refused as 'crashed'; the pool is then started anew for the rest.
    """
    if not paths:
        return
    import xlsxform.reading.reader  # noqa: F401 - imported once here, inherited by forked workers

    window = max(1, workers) * WINDOW_PER_WORKER
    position = 0
    while position < len(paths):
        broken_at: int | None = None
        with _pool(workers, spec) as pool:
            futures: deque[tuple[int, Future[dict[str, Any]]]] = deque()
            submitted = position

            try:
                submitted = _fill(pool, futures, paths, submitted, window)
                while futures:
                    index, future = futures.popleft()
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken_at = index
                        break
                    except Exception as exc:
                        result = crashed(exc)
                    position = index + 1
                    yield result
                    submitted = _fill(pool, futures, paths, submitted, window)
            except GeneratorExit:
                # Closed by the caller once it has every result: the pool's
                # workers are waited for (below, leaving the with), so that
                # none outlives the batch holding the database's files open.
                for _, left in futures:
                    left.cancel()
                raise
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            if broken_at is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        if broken_at is None:
            return
        # Read the files of the broken window one at a time; then go on with a new pool.
        end = min(len(paths), broken_at + window)
        for index in range(broken_at, end):
            yield _read_alone(paths[index], spec)
        position = end


def _fill(pool: ProcessPoolExecutor, futures: deque[tuple[int, Future[dict[str, Any]]]], paths: list[str], submitted: int, window: int) -> int:
    while submitted < len(paths) and len(futures) < window:
        # The workers are forked at a submit, with the parent's heap frozen (see _init_worker).
        gc.freeze()
        try:
            futures.append((submitted, pool.submit(_read_in_worker, paths[submitted])))
        finally:
            gc.unfreeze()
        submitted += 1
    return submitted


def _read_alone(path: str, spec: Spec | None) -> dict[str, Any]:
    with _pool(1, spec) as pool:
        try:
            return pool.submit(_read_in_worker, path).result()
        except BrokenProcessPool:
            zh, en = REFUSALS["crashed"]
            return {
                "ok": False,
                "refusal": "crashed",
                "kind": "BrokenProcessPool",
                "reason": f"{zh}（读取进程意外退出）",
                "reason_en": f"{en} (the reading process died)",
            }
        except Exception as exc:
            return crashed(exc)


def crashed(exc: BaseException) -> dict[str, Any]:
    zh, en = REFUSALS["crashed"]
    return {
        "ok": False,
        "refusal": "crashed",
        "kind": type(exc).__name__,
        "reason": f"{zh}（{type(exc).__name__}）",
        "reason_en": f"{en} ({type(exc).__name__}: {exc})"[:500],
    }
