"""The department's own workbook, with every problem marked where it has to be fixed.

:func:`annotate` copies a filled workbook and adds, and only adds:

- on each cell with a problem, a comment saying in words what is wrong and
  what to change (several problems on one cell share one comment), and a
  fill: red for errors, yellow for warnings.  A failed sum rule (R1-R4) is
  marked on its total and on every input cell it adds up, since the total
  itself is locked.  A problem on a cell inside a merged range is marked on
  the range's top-left cell, the one a person sees;
- a sheet 校验结果 (``校验结果(2)``... when the name is taken), shown first
  and ready to print on A4: a heading (department, year, when checked, how
  many errors and warnings), then one row per problem in the order of the
  form: 序号, 单元格 (a link to the cell), 级别, 发现的值, 问题说明 and, last
  and narrow, 代码.  Problems that belong to no cell (a missing section)
  come last with 单元格 ``-``.  A form without problems gets the sheet too,
  saying 校验通过;

and a very hidden sheet ``_xlsxform_marks`` recording each marked cell's
fill and comment before marking and the sheet added.

The copy is safe to send back under the bureau's name: hyperlinks other than
http(s) and mailto are removed, links to other workbooks and the formulas
using them (or DDE, or the network) are replaced by the values they showed,
and recalculation on opening is not forced (see
:meth:`~xlsxform.workbook.marks.Annotator.make_safe`); the heading says what
was taken out.

A workbook that is itself a marked copy (the department fixed some problems
in it and sent it back) is first put back as it was before marking, as that
record says: each marked cell gets its own fill back, our comments go (a
comment the department wrote stays), and the old 校验结果 goes; then the
current problems are marked.  So a copy marked twice is the copy marked once.
Marks the record does not know (copies made before it existed) are found by
their look: see :meth:`~xlsxform.workbook.marks.Annotator.unmark`.

Apart from what safety takes out, not one of the department's values,
formulas or strings is changed, and the copy never replaces the file it was
made from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from xlsxform.errors import FormDataError, XlsxformError
from xlsxform.form import amounts
from xlsxform.form.problems import Problem, Severity
from xlsxform.reading.reader import read
from xlsxform.reading.result import ReadResult
from xlsxform.safety import gate
from xlsxform.spec import expr
from xlsxform.spec.generate import BUILT_IN
from xlsxform.spec.layout import ExprCell, Spec
from xlsxform.spec.loading import DEFAULT_SPEC, load_spec
from xlsxform.workbook.marks import Annotator, CellLink, Flagged
from xlsxform.workbook.reach import Safety
from xlsxform.workbook.text import display_text

TITLE = {"zh": "校验结果", "en": "Check results"}
HEADER = {
    "zh": ["序号", "单元格", "级别", "发现的值", "问题说明", "代码"],
    "en": ["No.", "Cell", "Level", "Found", "Problem", "Code"],
}
EARLIER_HEADERS = [
    ["序号", "单元格", "级别", "代码", "发现的值", "问题说明"],
    ["No.", "Cell", "Level", "Code", "Found", "Problem"],
]
"""Headers of results sheets made by earlier versions, told apart when a copy is marked again."""
WIDTHS = [6.0, 18.0, 8.0, 22.0, 70.0, 12.0]
"""Column widths of the results sheet, in characters; text wraps inside them.
The code, for programs and support, is last and narrow."""
LEVEL = {Severity.ERROR: {"zh": "错误", "en": "error"}, Severity.WARNING: {"zh": "警告", "en": "warning"}}
PASSED = {"zh": "校验通过，未发现问题。", "en": "Passed: no problems."}
NO_CELL = "-"
SHOWN = 200
"""A found value longer than this is shown cut, in the sheet and the comments."""
NOTE_START = re.compile(r"(?:错误|警告)（第[0-9、]+项）：|(?:error|warning) \(no\. [0-9, ]+\): ")
"""How each line of our comments begins (see :func:`_note`): how the marks of
a copy made before marks were recorded are told from the department's."""

# What to change, by problem code, after the message that says what is wrong.
ADVICE: dict[str, tuple[str, str]] = {
    "required": ("请填写此项。", "Please fill it in."),
    "not-a-number": ("请只填写数字（如 776.8），不带单位或文字。", "Type the number alone (e.g. 776.8), without units or words."),
    "negative": ("请填写不小于 0 的金额。", "Type an amount of 0 or more."),
    "number-as-text": ("请删除后重新直接输入数字。", "Delete it and type the number again."),
    "too-large": ("金额以万元为单位，请核对是否多填了位数。", "Amounts are in 万元: check for extra digits."),
    "not-whole-number": ("请填写整数，如 12。", "Type a whole number such as 12."),
    "cell-error": ("请删除公式，直接填写数值。", "Delete the formula and type the value."),
    "formula-unresolved": ("请删除公式，直接填写数值。", "Delete the formula and type the value."),
    "r1-budget-unbalanced": (
        "请核对基本支出、项目支出、财政拨款、其他资金，使支出合计与收入合计相等（相差 {difference} 万元）。",
        "Check 基本支出, 项目支出, 财政拨款 and 其他资金 so that the two totals are equal (they differ by {difference}).",
    ),
    "r2-task-funds-exceed-project": (
        "请核对各项重点工作任务的拟投入资金和项目支出，使任务资金合计不超过项目支出（超出 {difference} 万元）。",
        "Check the key tasks' funds and 项目支出 so that the tasks total no more than it (over by {difference}).",
    ),
    "r3-development-unbalanced": (
        "请核对财政专项资金、其他事业发展性支出、市本级使用资金、拟用于对下转移支付资金，使两边合计相等（相差 {difference} 万元）。",
        "Check 财政专项资金, 其他事业发展性支出, 市本级使用资金 and 拟用于对下转移支付资金 so that both totals are equal (they differ by {difference}).",
    ),
    "r4-development-exceeds-project": (
        "如金额无误，请在报送时说明原因；否则请改正。",
        "If the amounts are right, say why when you send the form back; otherwise correct them.",
    ),
    "indicator-value-missing": ("请在同一行的“指标值”中填写。", "Fill in its 指标值 on the same row."),
    "indicator-name-missing": ("请在同一行的“三级指标”中填写名称。", "Fill in the 三级指标 on the same row."),
    "indicator-level-unknown": ("请从下拉列表中选择。", "Choose one from the drop-down list."),
    "level1-without-indicator": ("请在其下至少填写一行三级指标和指标值。", "Fill in at least one 三级指标 with its value under it."),
    "task-incomplete": ("请填写任务名称，或删除该行内容。", "Give the task a name, or clear the row."),
    "section-missing": ("请使用下发的原表填写。", "Please fill in the form as it was sent."),
    "row-missing": ("请使用下发的原表填写。", "Please fill in the form as it was sent."),
    "total-mismatch": ("请不要改动合计单元格的公式。", "Do not change the totals' formulas."),
}


def annotate(
    source: str | Path,
    problems: Sequence[Problem],
    target: str | Path,
    lang: str = "zh",
    *,
    reading: ReadResult | None = None,
    spec: Spec | None = None,
) -> str:
    """Write ``source`` to ``target`` with ``problems`` marked on it; return the results sheet's name.

    A failed sum rule (R1-R4) is marked on its total and on every input cell
    it adds up, each saying what is wrong and what to change.  ``reading``
    (the result of reading ``source``) tells where each field is and whose
    form it is; without it ``source`` is read again with ``spec``.

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
    if reading is None:
        try:
            reading = read(source, spec=spec)
        except XlsxformError:
            reading = None  # not this form: the problems are marked where they say, no more
    book.unmark(titles=list(TITLE.values()), headers=[*HEADER.values(), *EARLIER_HEADERS], note=NOTE_START)
    safety = book.make_safe()
    cells = reading.cells if reading is not None else {}
    spec = spec or load_spec(reading.form_id if reading is not None and reading.form_id in BUILT_IN else DEFAULT_SPEC)
    rules = _sum_rules(spec)
    located = [(problem, book.locate(problem.cell) if problem.cell else None) for problem in problems]
    located.sort(key=lambda pair: book.position(pair[1]))
    marks: dict[CellLink, list[tuple[int, Problem]]] = {}
    rows = []
    for number, (problem, place) in enumerate(located, 1):
        places = [place] if place is not None else []
        places += [p for ref in _involved(problem, rules, cells) if (p := book.locate(ref)) is not None]
        for each in dict.fromkeys(CellLink("", p.sheet, p.coordinate) for p in places):
            marks.setdefault(each, []).append((number, problem))
        level = LEVEL[problem.severity][lang]
        rows.append([number, place or problem.cell or NO_CELL, Flagged(level, problem.severity), _found(problem.value), explain(problem, lang), problem.code])
    for place, found in marks.items():
        worst = Severity.ERROR if any(p.severity is Severity.ERROR for _, p in found) else Severity.WARNING
        book.mark(place, _note(found, lang), str(worst))
    heading, notes = _heading(reading, problems, safety, lang, spec.form.name)
    name = book.results(TITLE[lang], HEADER[lang], rows, widths=WIDTHS, empty=PASSED[lang], heading=heading, notes=notes, small=[len(WIDTHS)])
    book.save(target)
    return name


def explain(problem: Problem, lang: str = "zh") -> str:
    """What is wrong and what to change, in the department's words (no codes)."""
    text = _message(problem, lang)
    advice = ADVICE.get(problem.code)
    if advice is None:
        return text
    values = dict(problem.params)
    try:
        values["difference"] = amounts.text(amounts.canonical(abs(Decimal(str(values["left"])) - Decimal(str(values["right"])))))
    except (KeyError, ArithmeticError, ValueError):
        values["difference"] = "-"
    try:
        extra = advice[lang == "en"].format(**values)
    except (KeyError, IndexError, ValueError):
        extra = advice[lang == "en"]
    return f"{text}。{extra}" if lang != "en" else f"{text}. {extra}"


def _heading(reading: ReadResult | None, problems: Sequence[Problem], safety: Safety, lang: str, name: str) -> tuple[str, list[str]]:
    """The results sheet's title and the lines under it: whose form, when checked, how many problems."""
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    form = reading.form if reading is not None else None
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    if lang == "en":
        heading = f"Check results: {form.year}" if form is not None and form.year else "Check results"
        notes = [
            f"Department: {(form.department if form else '') or '(not filled in)'}    Year: {(form.year if form else None) or '-'}    Checked: {when}",
            f"{errors} error(s), {warnings} warning(s). Errors are marked red and warnings yellow on their cells; each cell's comment says what to change."
            if problems
            else "No problems found.",
        ]
        if safety:
            notes.append(
                f"For safety, {len(safety.links)} link(s) to files or scripts were removed and {len(safety.formulas)} formula(s) using other files replaced by their values."
            )
        return heading, notes
    heading = f"{form.year}年{name}校验结果" if form is not None and form.year else "校验结果"
    notes = [
        f"部门：{(form.department if form else '') or '（未填写）'}　　年度：{(form.year if form else None) or '-'}　　校验时间：{when}",
        f"共有错误 {errors} 个、警告 {warnings} 个。红色底色的单元格有错误，黄色的有警告，请逐项修改；单元格批注写明了要改什么。"
        if problems
        else "校验通过，未发现问题。",
    ]
    if safety:
        notes.append(f"为安全起见，已删除 {len(safety.links)} 个指向本机文件或脚本的链接，并把 {len(safety.formulas)} 个引用其他文件的公式改为其数值。")
    return heading, notes


def _sum_rules(spec: Spec) -> dict[str, list[str]]:
    """Each rule's code and the fields its expression reads, with the form's
    own cells that work out either side (支出合计 and 收入合计 for R1)."""
    named = {expr.parse(cell.expr): cell.name for cell in spec.cells() if isinstance(cell, ExprCell) and cell.name}
    rules = {}
    for rule in spec.checks.rules:
        if rule.each:
            continue  # a rule on each row of a table is marked on that row's cell
        node = expr.parse(rule.check)
        sides = [named[side] for side in node.args if side in named] if node.is_comparison else []
        rules[rule.code] = [*dict.fromkeys(node.paths()), *sides]
    return rules


def _involved(problem: Problem, rules: dict[str, list[str]], cells: dict[str, str]) -> list[str]:
    """The cells of the inputs a failed sum rule adds up (a list's column: each item's cell)."""
    refs = []
    for path in rules.get(problem.code, []):
        head, star, tail = path.partition("[*]")
        if star:
            pattern = re.compile(rf"^{re.escape(head)}\[\d+\]{re.escape(tail)}$")
            refs += [ref for field, ref in cells.items() if pattern.match(field)]
        elif path in cells:
            refs.append(cells[path])
    return refs


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
        lines.setdefault((LEVEL[problem.severity][lang], explain(problem, lang)), []).append(number)
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
