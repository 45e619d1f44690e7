"""The bureau's roster of departments: who gets a form, at which address,
and what the bureau already knows about their budget.

A roster is a CSV file (UTF-8, with or without BOM, or GBK as Excel saves it
on a Chinese Windows) or an .xlsx.  Its first non-empty row holds the headers,
matched by their Chinese labels with spaces and full-width forms ignored:
部门名称 and 邮箱 are required, 部门编码 is optional, and any column titled like
a budget amount of the form (基本支出, 项目支出, 财政拨款 ...; "（万元）" after
it is allowed) pre-fills that amount.  Other columns (联系人, 电话) are ignored.

A roster may have any number of rows up to Excel's own grid (1,048,576);
a longer CSV is an error naming the first row past it, never a silent cut.
Every faulty row is found in one pass: the error names the first and
carries them all (``RosterError.faults``), each with its row.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxform.errors import RosterError
from xlsxform.form import amounts
from xlsxform.spec.layout import normalise_label

MAX_ROWS = 1_048_576
"""Excel's grid: a roster longer than this is refused (naming the row), never cut."""
SHOWN_FAULTS = 3
"""Faults named in the one-line message; all are in ``RosterError.faults``."""
MAX_COLUMNS = 100

NAME, EMAIL, CODE = "部门名称", "邮箱", "部门编码"
HEADERS = {
    NAME: ["部门名称", "部门", "单位名称", "单位", "department"],
    EMAIL: ["邮箱", "电子邮箱", "电子邮件", "邮件地址", "email", "e-mail"],
    CODE: ["部门编码", "部门代码", "单位编码", "单位代码", "编码", "code"],
}
"""Each column the roster knows, with the spellings accepted for its header."""

_EMAIL = re.compile(r"[^@\s,;<>()\[\]\"']+@[^@\s,;<>()\[\]\"']+\.[^@\s,;<>()\[\]\"'.]+")
_UNIT = re.compile(r"[（(]\s*万元\s*[)）]$")


@dataclass(frozen=True)
class Department:
    """One department of the roster."""

    name: str
    email: str
    code: str = ""
    budget: dict[str, Decimal] = field(default_factory=dict, hash=False, compare=True)
    """Amounts the bureau already knows, keyed by Budget field (basic, ...)."""
    row: int = 0
    """The roster row it came from, counted as a spreadsheet shows it."""

    @property
    def key(self) -> str:
        return department_key(self.name)


@dataclass
class Roster:
    path: str
    departments: list[Department]

    def __post_init__(self) -> None:
        self._by_key = {d.key: d for d in self.departments}

    def find(self, name: str) -> Department | None:
        """The department of that name, spaces and full-width forms ignored."""
        return self._by_key.get(department_key(name))

    def __iter__(self) -> Any:
        return iter(self.departments)

    def __len__(self) -> int:
        return len(self.departments)


def department_key(name: str) -> str:
    """A department name as compared: NFKC, no white space, case folded."""
    return normalise_label(name).casefold()


def read_roster(path: str | Path) -> Roster:
    """Read and check a roster (.csv or .xlsx)."""
    path = Path(path)
    rows = _rows(path)
    header_at = next((i for i, row in enumerate(rows) if any(_cell(v) for v in row)), None)
    if header_at is None:
        raise RosterError("名单为空", "the roster is empty", path=path, code="empty")
    columns = _columns(rows[header_at], path, header_at + 1)
    if len(rows) > MAX_ROWS:
        raise RosterError(
            f"名单超过 {MAX_ROWS} 行（第 {MAX_ROWS + 1} 行起），请拆分或删去多余的行",
            f"the roster has more than {MAX_ROWS} rows (row {MAX_ROWS + 1} on)",
            path=path,
            code="too-many-rows",
            row=MAX_ROWS + 1,
        )
    departments: list[Department] = []
    faults: list[RosterError] = []
    seen: dict[str, int] = {}
    seen_codes: dict[str, int] = {}
    for index in range(header_at + 1, len(rows)):
        row, number = rows[index], index + 1
        if not any(_cell(v) for v in row):
            continue
        before = len(faults)
        department = _department(row, number, columns, path, seen, seen_codes, faults)
        if department is not None and len(faults) == before:
            departments.append(department)
    if faults:
        raise _all(faults, path)
    if not departments:
        raise RosterError("名单中没有部门", "the roster lists no department", path=path, code="empty")
    return Roster(str(path), departments)


def _department(
    row: list[Any], number: int, columns: dict[str, int], path: Path, seen: dict[str, int], seen_codes: dict[str, int], faults: list[RosterError]
) -> Department | None:
    """One row as a department; each fault it has is added to ``faults``."""

    def fault(zh: str, en: str, code: str) -> None:
        faults.append(RosterError(zh, en, path=path, code=code, row=number))

    values = {name: _cell(row[col]) if col < len(row) else "" for name, col in columns.items()}
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", values[NAME])).strip()
    email = values[EMAIL].strip().strip("<>").strip()
    code = values.get(CODE, "").strip()
    if not name:
        fault(f"第 {number} 行：缺少部门名称", f"row {number}: no department name", "no-name")
    if not _EMAIL.fullmatch(email):
        shown = email or "（空）"
        fault(f"第 {number} 行（{name}）：邮箱“{shown}”格式不正确", f"row {number} ({name}): '{email}' is not an e-mail address", "bad-email")
    key = department_key(name)
    if name and key in seen:
        fault(f"第 {number} 行：部门“{name}”与第 {seen[key]} 行重复", f"row {number}: department '{name}' repeats row {seen[key]}", "duplicate-department")
    elif name:
        seen[key] = number
    if code:
        if code in seen_codes:
            fault(
                f"第 {number} 行：部门编码“{code}”与第 {seen_codes[code]} 行重复",
                f"row {number}: code '{code}' repeats row {seen_codes[code]}",
                "duplicate-code",
            )
        else:
            seen_codes[code] = number
    budget: dict[str, Decimal] = {}
    for field_name, col in columns.items():
        if field_name in (NAME, EMAIL, CODE):
            continue
        raw = row[col] if col < len(row) else None
        if _cell(raw) == "":
            continue
        amount = _amount(raw)
        if amount is None:
            label = _budget_titles()[field_name]
            fault(
                f"第 {number} 行（{name}）：“{label}”的金额“{_cell(raw)}”不是不小于0的数字",
                f"row {number} ({name}): {label} '{_cell(raw)}' is not an amount of at least 0",
                "bad-amount",
            )
            continue
        budget[field_name] = amount
    return Department(name=name, email=email, code=code, budget=budget, row=number)


def _all(faults: list[RosterError], path: Path) -> RosterError:
    """Every fault of the roster as one error: the first named, the count said, all carried."""
    if len(faults) == 1:
        return faults[0]
    shown = faults[:SHOWN_FAULTS]
    more_zh = f"等，共 {len(faults)} 处" if len(faults) > SHOWN_FAULTS else f"，共 {len(faults)} 处"
    more_en = f" ... {len(faults)} in all" if len(faults) > SHOWN_FAULTS else f" ({len(faults)} in all)"
    return RosterError(
        "；".join(f.zh for f in shown) + more_zh,
        "; ".join(f.en for f in shown) + more_en,
        path=path,
        code=faults[0].code,
        row=faults[0].row,
        faults=faults,
    )


def _rows(path: Path) -> list[list[Any]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from xlsxform.workbook.tables import read_table

        return read_table(path, max_rows=MAX_ROWS + 1, max_cols=MAX_COLUMNS)
    if suffix not in (".csv", ".txt"):
        raise RosterError("名单须为 .csv 或 .xlsx 文件", "a roster must be a .csv or .xlsx file", path=path, code="unsupported-file")
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly every byte string
        raise RosterError(
            "名单的文字编码无法识别（请另存为 UTF-8 或 GBK 的 CSV）", "unknown text encoding (save as UTF-8 or GBK CSV)", path=path, code="unsupported-file"
        )
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return [row[:MAX_COLUMNS] for _, row in zip(range(MAX_ROWS + 1), csv.reader(io.StringIO(text), delimiter=delimiter), strict=False)]


def _columns(header: list[Any], path: Path, row: int) -> dict[str, int]:
    """Which column holds what: 部门名称/邮箱/部门编码, and Budget field names."""
    wanted = {normalise_label(spelling).casefold(): name for name, spellings in HEADERS.items() for spelling in spellings}
    budget = {normalise_label(title).casefold(): name for name, title in _budget_titles().items()}
    budget |= {name.casefold(): name for name in _budget_titles()}
    columns: dict[str, int] = {}
    for col, value in enumerate(header):
        label = _UNIT.sub("", normalise_label(_cell(value))).casefold()
        name = wanted.get(label) or budget.get(label)
        if name is not None and name not in columns:
            columns[name] = col
    for required in (NAME, EMAIL):
        if required not in columns:
            found = "、".join(_cell(v) for v in header if _cell(v)) or "（无）"
            raise RosterError(
                f"名单缺少“{required}”列（表头为：{found}）",
                f"the roster has no '{required}' column (headers: {found})",
                path=path,
                code="missing-column",
                row=row,
            )
    return columns


def _budget_titles() -> dict[str, str]:
    from xlsxform.form.model import Budget

    return {name: info.title or name for name, info in Budget.model_fields.items()}


def _cell(value: Any) -> str:
    """A roster cell as text: numbers without a trailing .0 (codes stay codes)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _amount(value: Any) -> Decimal | None:
    try:
        number = amounts.from_float(value) if isinstance(value, int | float) and not isinstance(value, bool) else amounts.parse(str(value))
    except ValueError:
        return None
    return number if number >= 0 else None
