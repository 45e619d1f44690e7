"""Benchmarks run only when asked for: ``python -m pytest tests/benchmarks -m benchmark -s``.

In the default run (no ``-m benchmark``) every test marked ``benchmark`` is
deselected before any workbook is rendered or timed, so it costs nothing.
"""

from __future__ import annotations

import pytest


def _selected(config: pytest.Config) -> bool:
    """True when the command line asked for benchmarks with ``-m``."""
    expression = config.getoption("-m") or ""
    return "benchmark" in expression and "not benchmark" not in expression


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave benchmarks out of a run that did not ask for them."""
    if _selected(config):
        return
    benchmarks = [item for item in items if item.get_closest_marker("benchmark") is not None]
    if benchmarks:
        config.hook.pytest_deselected(items=benchmarks)
        items[:] = [item for item in items if item.get_closest_marker("benchmark") is None]
