"""The one expat pass every part of the package is read with.

Each reader of a part (package, styles and strings, sheet) hands its element
handlers to :func:`parse`; a part no XML parser can read, or anything else in
a part that makes no sense, raises :class:`Damaged`, which the public entry
(:mod:`xlsxform.workbook.xmlgrid`) turns into one unreadable-workbook error.
"""

from __future__ import annotations

import pyexpat
from collections.abc import Callable, Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
"""SpreadsheetML's namespace, as expat joins it to a local name."""


class Damaged(Exception):
    """Something in a part the form needs that no reader can make sense of."""


def parse(chunks: Iterable[bytes], start: Callable[..., None], end: Callable[[str], None] | None = None, text: Callable[[str], None] | None = None) -> None:
    """One expat pass over a part, namespaces resolved ('namespace}local')."""
    parser = pyexpat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except pyexpat.ExpatError as exc:
        raise Damaged(f"XML: {exc}") from None


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1]
