"""The library's exceptions: one base, a subclass per kind of failure.

Each carries its message in Chinese and English, so that the CLI can print one
line in the user's language and a program can catch by type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class XlsxformError(Exception):
    """Base of every error xlsxform raises on purpose."""

    def __init__(self, zh: str, en: str, *, path: str | Path | None = None) -> None:
        self.zh, self.en = zh, en
        self.path = str(path) if path is not None else None
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        """The one-line message, prefixed with the file it concerns."""
        text = self.zh if lang == "zh" else self.en
        return f"{self.path}: {text}" if self.path else text


class SpecError(XlsxformError):
    """A layout spec is missing, malformed or inconsistent."""


class FormDataError(XlsxformError):
    """Form data (JSON or a model) cannot be rendered."""


class UnreadableWorkbookError(XlsxformError):
    """A file cannot be opened as a workbook at all."""


class NotThisFormError(UnreadableWorkbookError):
    """A workbook opens but does not hold the form the spec describes."""


class RefusedFileError(UnreadableWorkbookError):
    """A file refused before any spreadsheet library reads it: hostile, broken
    or not a workbook (see :mod:`xlsxform.gate`).

    ``reason`` is a stable code programs may rely on ('encrypted', 'zip-bomb',
    'macros', 'not-a-workbook', ...); ``zh`` and ``en`` say it in words.
    """

    def __init__(self, reason: str, zh: str, en: str, *, path: str | Path | None = None) -> None:
        self.reason = reason
        super().__init__(zh, en, path=path)


_PYDANTIC_ZH = {
    "missing": "缺少此项",
    "extra_forbidden": "不是表格中的项目",
    "json_invalid": "不是有效的 JSON",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_type": "应为整数",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
}


def form_data_error(exc: Any, what_zh: str, what_en: str, path: str | Path | None = None) -> FormDataError:
    """A pydantic ValidationError as one line: where the first fault is, and how many."""
    first = exc.errors()[0]
    where = ".".join(map(str, first["loc"])) or "-"
    count = exc.error_count()
    reason = _PYDANTIC_ZH.get(first["type"], first["msg"]).format(**first.get("ctx") or {})
    return FormDataError(
        f"{what_zh}无效：{where}：{reason}（共 {count} 处）",
        f"invalid {what_en}: {where}: {first['msg']} ({count} in all)",
        path=path,
    )
