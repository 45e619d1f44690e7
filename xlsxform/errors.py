"""The library's exceptions: one base, a subclass per kind of failure.

Each carries its message in Chinese and English, so that the CLI can print one
line in the user's language and a program can catch by type.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any


class XlsxformError(Exception):
    """Base of every error xlsxform raises on purpose.

    ``code`` is stable, for programs and tests to rely on: each class has its
    own, and a raise may name a finer one (a roster's 'duplicate-department',
    a refused file's 'zip-bomb').
    """

    code = "error"

    def __init__(self, zh: str, en: str, *, path: str | Path | None = None, code: str | None = None) -> None:
        self.zh, self.en = zh, en
        self.path = str(path) if path is not None else None
        if code:
            self.code = code
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        """The one-line message, prefixed with the file it concerns."""
        text = self.zh if lang == "zh" else self.en
        return f"{self.path}: {text}" if self.path else text


class SpecError(XlsxformError):
    """A layout spec is missing, malformed or inconsistent.

    ``faults`` lists every fault found as (code, English text); ``code`` is
    the first one's ('spec-row-width', 'spec-unknown-field', ...).
    """

    code = "spec"

    def __init__(self, zh: str, en: str, *, path: str | Path | None = None, code: str | None = None, faults: list[tuple[str, str]] | None = None) -> None:
        self.faults = faults or ([(code, en)] if code else [])
        super().__init__(zh, en, path=path, code=code)

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.faults]


class FormDataError(XlsxformError):
    """Form data (JSON or a model) cannot be rendered."""

    code = "form-data"


class UnreadableWorkbookError(XlsxformError):
    """A file cannot be opened as a workbook at all."""

    code = "unreadable"


class NotThisFormError(UnreadableWorkbookError):
    """A workbook opens but does not hold the form the spec describes."""

    code = "not-this-form"


class RefusedFileError(UnreadableWorkbookError):
    """A file refused before any spreadsheet library reads it: hostile, broken
    or not a workbook (see :mod:`xlsxform.safety.gate`).

    ``reason`` is a stable code programs may rely on ('encrypted', 'zip-bomb',
    'macros', 'not-a-workbook', ...); ``zh`` and ``en`` say it in words.
    """

    def __init__(self, reason: str, zh: str, en: str, *, path: str | Path | None = None) -> None:
        self.reason = reason
        super().__init__(zh, en, path=path, code=reason)


class StoreError(XlsxformError):
    """The database cannot be opened or is not one of ours."""

    code = "store"


class RosterError(XlsxformError):
    """A roster cannot be used: a missing column, a duplicate, a bad value.

    ``code`` says which fault (empty, unsupported-file, missing-column,
    no-name, bad-email, duplicate-department, duplicate-code, bad-amount)
    and ``row`` where, counted as a spreadsheet shows it."""

    code = "roster"

    def __init__(self, zh: str, en: str, *, path: str | Path | None = None, code: str = "", row: int | None = None) -> None:
        super().__init__(zh, en, path=path, code=code)
        self.row = row


class MailError(XlsxformError):
    """An e-mail template or the mail server cannot be used."""

    code = "mail"


class ExportError(XlsxformError):
    """An export target cannot be written."""

    code = "export"


_PYDANTIC_ZH = {
    "missing": "必须填写",
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
    "greater_than": "应大于 {gt}",
    "too_long": "项目过多",
}


SHOWN = 3
"""Faults of one piece of data named in its one-line error, at most."""


def form_data_error(exc: Any, what_zh: str, what_en: str, path: str | Path | None = None, model: Any = None) -> FormDataError:
    """A pydantic ValidationError as one line: the first faults, each with the
    form's own label for the field, and how many there are."""
    from xlsxform.form.model import Form, describe

    faults = exc.errors()[:SHOWN]
    zh = "；".join(_fault_zh(describe(f["loc"], model or Form), _PYDANTIC_ZH.get(f["type"], f["msg"]).format(**f.get("ctx") or {})) for f in faults)
    en = "; ".join(f"{'.'.join(map(str, f['loc'])) or '-'}: {f['msg']}" for f in faults)
    count = exc.error_count()
    more_zh, more_en = (f"（共 {count} 处）", f" ({count} in all)") if count > len(faults) else ("", "")
    return FormDataError(f"{what_zh}无效：{zh}{more_zh}", f"invalid {what_en}: {en}{more_en}", path=path)


def _fault_zh(label: str, reason: str) -> str:
    return f"“{label}”{reason}" if label else reason


_OS_ZH = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.EACCES: "没有访问权限",
    errno.EPERM: "没有访问权限",
    errno.EEXIST: "已经存在",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读，无法写入",
    errno.ENAMETOOLONG: "文件名太长",
}


def os_reason(exc: OSError, lang: str = "zh") -> str:
    """Why the system refused a file, in the user's language."""
    english = exc.strerror or type(exc).__name__
    return english if lang != "zh" else _OS_ZH.get(exc.errno or 0, f"系统错误（{english}）")
