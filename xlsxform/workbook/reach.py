"""What in a workbook could reach beyond it: hyperlinks and formulas that
open other files, programs or the network."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SAFE_SCHEMES = ("http", "https", "mailto")
"""What a hyperlink of a copy sent back may open."""
_EXTERNAL_REFERENCE = re.compile(r"\[\d+\]|\[[^\]]*\.xl[a-z]*\]", re.IGNORECASE)
"""A reference to another workbook in a formula: [1]Sheet1!A1 as stored, or a path."""
_DDE = re.compile(r"[A-Za-z0-9_.]+\|")
"""A DDE call: =cmd|'/c calc'!A0."""
_REACHING = re.compile(r"\b(?:WEBSERVICE|RTD|CALL|REGISTER\.ID|EXEC|DDE|IMPORTDATA|IMPORTXML)\s*\(", re.IGNORECASE)
"""Functions that reach other programs or the network."""
_HYPERLINK = re.compile(r"\bHYPERLINK\s*\(\s*(\"(?:[^\"]|\"\")*\")?", re.IGNORECASE)


def safe_target(target: str) -> bool:
    """Whether a hyperlink's target is a web page or an e-mail address (http, https, mailto)."""
    scheme, colon, _ = target.strip().partition(":")
    return bool(colon) and scheme.lower() in SAFE_SCHEMES


def unsafe_formula(formula: str) -> bool:
    """Whether a formula (or a defined name's reference) reaches beyond the workbook."""
    text = re.sub(r'"(?:[^"]|"")*"', '""', formula)  # string literals are not references
    if _EXTERNAL_REFERENCE.search(text) or _DDE.search(text) or _REACHING.search(text):
        return True
    for found in _HYPERLINK.finditer(formula):
        literal = found[1]
        if literal is None or not safe_target(literal[1:-1].replace('""', '"')):
            return True
    return False


def formula_text(value: Any) -> str | None:
    """The text of a cell's formula (a string or an array formula), or None."""
    if isinstance(value, str) and value.startswith("=") and len(value) > 1:
        return value
    text = getattr(value, "text", None)  # an ArrayFormula
    return text if isinstance(text, str) else None


@dataclass
class Safety:
    """What :meth:`Annotator.make_safe` took out, by cell (sheet!A1) or name."""

    links: list[str] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.links or self.formulas or self.names)
