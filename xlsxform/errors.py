"""The library's exceptions: one base, a subclass per kind of failure.

Each carries its message in Chinese and English, so that the CLI can print one
line in the user's language and a program can catch by type.
"""

from __future__ import annotations

import errno
from pathlib import Path


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
    """A layout spec is missing, malformed or inconsistent."""

    code = "spec"


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

    def __init__(
        self, zh: str, en: str, *, path: str | Path | None = None, code: str = "", row: int | None = None, faults: list[RosterError] | None = None
    ) -> None:
        super().__init__(zh, en, path=path, code=code)
        self.row = row
        self.faults: list[RosterError] = faults if faults is not None else [self]
        """Every fault of the roster, found in one pass (this one alone when there is one)."""


class MailError(XlsxformError):
    """An e-mail template or the mail server cannot be used."""

    code = "mail"


class ExportError(XlsxformError):
    """An export target cannot be written."""

    code = "export"


class OutputExistsError(XlsxformError):
    """An output would replace files of an earlier run (and was not told to)."""

    code = "output-exists"


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
