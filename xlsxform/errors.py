"""The library's exceptions: one base, a subclass per kind of failure.

Each carries its message in Chinese and English, so that the CLI can print one
line in the user's language and a program can catch by type.
"""

from __future__ import annotations

from pathlib import Path


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
