"""Benchmarks run only when asked for: ``python -m pytest tests/benchmarks -m benchmark -s``.

In the default run (no ``-m benchmark``) every test marked ``benchmark`` is
skipped before any workbook is rendered or timed, so it costs nothing.
"""

from __future__ import annotations

import pytest


def _selected(config: pytest.Config) -> bool:
    """True when the command line asked for benchmarks with ``-m``."""
    expression = config.getoption("-m") or ""
    return "benchmark" in expression and "not benchmark" not in expression


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _selected(config):
        return
    skip = pytest.mark.skip(reason="speed benchmark: run with  python -m pytest tests/benchmarks -m benchmark -s")
    for item in items:
        if item.get_closest_marker("benchmark") is not None:
            item.add_marker(skip)
