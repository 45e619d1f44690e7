"""The department's own workbook, with every problem marked where it has to be fixed.

:func:`annotate` copies a filled workbook and adds, and only adds:

- on each cell with a problem, a comment saying what is wrong and what is
  expected (several problems on one cell share one comment), and a fill:
  red for errors, yellow for warnings.  A problem on a cell inside a merged
  range is marked on the range's top-left cell, the one a person sees;
- a sheet 校验结果 (``校验结果(2)``... when the name is taken), shown first,
  with one row per problem: 序号, 单元格 (a link to the cell), 级别, 代码,
  发现的值 and 问题说明.  Problems that belong to no cell (a missing
  section) are listed with 单元格 ``-``.  A form without problems gets the
  sheet too, saying 校验通过;

and a very hidden sheet ``_xlsxform_marks`` recording each marked cell's
fill and comment before marking and the sheet added.

A workbook that is itself a marked copy (the department fixed some problems
in it and sent it back) is first put back as it was before marking, as that
record says: each marked cell gets its own fill back, our comments go (a
comment the department wrote stays), and the old 校验结果 goes; then the
current problems are marked.  So a copy marked twice is the copy marked once.
Marks the record does not know (copies made before it existed) are found by
their look: see :meth:`~xlsxform.workbook.marks.Annotator.unmark`.

Not one of the department's values, formulas or strings is changed, and the
copy never replaces the file it was made from.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from pathlib import Path

from xlsxform.errors import FormDataError
from xlsxform.form.problems import Problem, Severity
from xlsxform.safety import gate
from xlsxform.workbook.marks import Annotator, CellLink, Flagged
from xlsxform.workbook.text import display_text

TITLE = {"zh": "校验结果", "en": "Check results"}
HEADER = {
    "zh": ["序号", "单元格", "级别", "代码", "发现的值", "问题说明"],
    "en": ["No.", "Cell", "Level", "Code", "Found", "Problem"],
}
WIDTHS = [6.0, 18.0, 8.0, 32.0, 26.0, 70.0]
"""Column widths of the results sheet, in characters; text wraps inside them."""
LEVEL = {Severity.ERROR: {"zh": "错误", "en": "error"}, Severity.WARNING: {"zh": "警告", "en": "warning"}}
PASSED = {"zh": "校验通过，未发现问题。", "en": "Passed: no problems."}
NO_CELL = "-"
SHOWN = 200
"""A found value longer than this is shown cut, in the sheet and the comments."""
NOTE_START = re.compile(r"(?:错误|警告)（第[0-9、]+项）：|(?:error|warning) \(no\. [0-9, ]+\): ")
"""How each line of our comments begins (see :func:`_note`): how the marks of
a copy made before marks were recorded are told from the department's."""


def annotate(source: str | Path, problems: Sequence[Problem], target: str | Path, lang: str = "zh") -> str:
    """Write ``source`` to ``target`` with ``problems`` marked on it; return the results sheet's name.

    Raises :class:`~xlsxform.errors.FormDataError` when ``target`` is the
    source itself, is not an .xlsx, or ``source`` is an .xls (which is read,
    but cannot be copied cell for cell: save it as .xlsx first), and
    :class:`~xlsxform.errors.UnreadableWorkbookError` (or its
    ``RefusedFileError``) when the gate or openpyxl cannot open ``source``.
    """
    source, target = Path(source), Path(target)
    lang = "en" if lang == "en" else "zh"
    if _same_file(source, target):
        raise FormDataError("批注副本不能覆盖原文件，请另取一个文件名", "the annotated copy must not overwrite the original file", path=target)
    if target.suffix.lower() != ".xlsx":
        raise FormDataError("批注副本的文件名须以 .xlsx 结尾", "the annotated copy's file name must end in .xlsx", path=target)
    if gate.inspect(source).format == "xls":
        raise FormDataError(
            "无法为 .xls 文件生成批注副本：请先另存为 .xlsx",
            "cannot annotate an .xls file: save it as .xlsx first",
            path=source,
        )
    book = Annotator(source)
    book.unmark(titles=list(TITLE.values()), headers=list(HEADER.values()), note=NOTE_START)
    marks: dict[CellLink, list[tuple[int, Problem]]] = {}
    rows = []
    for number, problem in enumerate(problems, 1):
        place = book.locate(problem.cell) if problem.cell else None
        if place is not None:
            marks.setdefault(CellLink("", place.sheet, place.coordinate), []).append((number, problem))
        level = LEVEL[problem.severity][lang]
        rows.append([number, place or problem.cell or NO_CELL, Flagged(level, problem.severity), problem.code, _found(problem.value), _message(problem, lang)])
    for place, found in marks.items():
        worst = Severity.ERROR if any(p.severity is Severity.ERROR for _, p in found) else Severity.WARNING
        book.mark(place, _note(found, lang), str(worst))
    name = book.results(TITLE[lang], HEADER[lang], rows, widths=WIDTHS, empty=PASSED[lang])
    book.save(target)
    return name


def _same_file(source: Path, target: Path) -> bool:
    if source.resolve() == target.resolve():
        return True
    try:
        return target.exists() and os.path.samefile(source, target)
    except OSError:
        return False


def _note(found: list[tuple[int, Problem]], lang: str) -> str:
    """A cell's comment: a line per problem with its level, its number in
    校验结果 and what to fix; the same problem found twice is one line."""
    lines: dict[tuple[str, str], list[int]] = {}
    for number, problem in found:
        lines.setdefault((LEVEL[problem.severity][lang], _message(problem, lang)), []).append(number)
    if lang == "en":
        return "\n".join(f"{level} (no. {', '.join(map(str, numbers))}): {text}" for (level, text), numbers in lines.items())
    return "\n".join(f"{level}（第{'、'.join(map(str, numbers))}项）：{text}" for (level, text), numbers in lines.items())


def _message(problem: Problem, lang: str) -> str:
    """The problem in words, with a very long found value cut short."""
    if isinstance(problem.value, str) and len(problem.value) > SHOWN:
        problem = dataclasses.replace(problem, value=_cut(problem.value))
    return problem.message(lang)


def _found(value: object) -> str:
    """The value found, as the department sees it."""
    if value is None:
        return ""
    return _cut(value) if isinstance(value, str) else display_text(value)


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"
