"""The package layout as a specification: stages without import cycles, and
spreadsheet libraries used only inside xlsxform.workbook."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "xlsxform"
SPREADSHEET_LIBRARIES = {"openpyxl", "xlrd", "python_calamine"}


def _imports(path: Path, *, lazy: bool = True) -> set[str]:
    """The modules a file imports; without ``lazy``, only those imported when
    the module itself is (a function that imports on first call is left out)."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = (
        ast.walk(tree)
        if lazy
        else [n for top in tree.body for n in ast.walk(top) if not isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    )
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def _stage(path: Path) -> str:
    """The top-level package (stage) a module belongs to; a top-level module is its own."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _stage_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        stage = _stage(path)
        if stage in ("__init__", "__main__"):
            continue  # the public API and `python -m` import every stage on purpose
        for name in _imports(path, lazy=False):
            parts = name.split(".")
            if parts[0] == "xlsxform" and len(parts) > 1 and parts[1] != stage:
                graph.setdefault(stage, set()).add(parts[1])
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_stages_import_each_other_without_cycles() -> None:
    """No chain of module-level imports between the stage packages leads back to where it started."""
    assert _cycle(_stage_graph()) is None


def test_spreadsheet_libraries_are_used_only_inside_workbook() -> None:
    """openpyxl, xlrd and calamine are imported by xlsxform.workbook's modules and no others."""
    outside = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if _stage(path) != "workbook" and {name.split(".")[0] for name in _imports(path)} & SPREADSHEET_LIBRARIES
    )
    assert outside == []


READ_LEAVES_OUT = ("pydantic", "pydantic_core", "openpyxl", "email", "csv", "importlib.metadata", "sqlite3")
"""What reading a workbook never needs: validation, spreadsheet, mail and storage libraries."""


@pytest.mark.parametrize("command", [["read"], ["check"], ["check", "--format", "json"]])
def test_reading_from_the_command_line_imports_only_what_reading_needs(command: list[str]) -> None:
    """``xlsxform read`` and ``check`` of a sample import no validation, spreadsheet, mail or storage library
    (a module imported from a file: pydantic's plugin loader stand-in is not one)."""
    code = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('MODULES', *sorted(n for n, m in sys.modules.items() if getattr(m, '__spec__', None)), file=sys.stderr))\n"
        "sys.argv = ['xlsxform', *sys.argv[1:]]\n"
        "runpy.run_module('xlsxform', run_name='__main__')\n"
    )
    for sample in sorted((PACKAGE.parent / "samples").glob("*.xlsx")):
        done = subprocess.run([sys.executable, "-c", code, *command, str(sample)], capture_output=True, text=True, cwd=PACKAGE.parent)
        assert done.returncode == 0, done.stderr
        loaded = set(next(line for line in done.stderr.splitlines() if line.startswith("MODULES ")).split()[1:])
        assert "xlsxform.reading.reader" in loaded
        assert sorted(name for name in loaded if name.split(".")[0] in READ_LEAVES_OUT or name in READ_LEAVES_OUT) == []
