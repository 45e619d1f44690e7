"""The terms every check of the gate shares: what it lets through
(:class:`Limits`), what it says of a file that passed (:class:`FileKind`), how
it names a zip's parts (:func:`part_key`), and the refusal a check raises,
which :func:`xlsxform.safety.gate.inspect` turns into a
:class:`~xlsxform.errors.RefusedFileError`.

A module of its own so that the zip, XML, OLE2 and other-format checks use
them without importing the gate, which imports those checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NoReturn

KiB, MiB = 1 << 10, 1 << 20

MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
"""Excel's grid: rows 1..1048576, columns A..XFD."""


@dataclass(frozen=True)
class Limits:
    """What the gate lets through.  The defaults read every real form in a few
    seconds and well under 1 GiB, whatever a hostile file holds."""

    max_file_size: int = 50 * MiB
    max_entries: int = 1000
    """Entries in a zip (POI's MAX_FILE_COUNT)."""
    min_inflate_ratio: float = 0.01
    """Compressed / inflated size of one entry may not fall below this (POI's MIN_INFLATE_RATIO)."""
    ratio_grace: int = 100 * KiB
    """Entries inflating to less than this are not held to the ratio (POI's GRACE_ENTRY_SIZE)."""
    max_part_size: int = 100 * MiB
    """Inflated size of one entry; a sheet formatted down to row 1,048,576 takes about 80 MiB."""
    max_total_size: int = 128 * MiB
    """Inflated size of all entries together."""
    max_xml_elements: int = 2_000_000
    """Elements in all XML parts: bounds the time every parser after the gate takes."""
    max_xml_nodes: int = 8_000_000
    """Elements plus attributes in all XML parts: bounds the memory of a parsed tree."""
    max_object_elements: int = 300_000
    """Elements outside a worksheet's rows (styles, shared strings, names,
    relationships...), each of which openpyxl turns into Python objects."""
    max_row_nodes: int = 100_000
    """Elements plus attributes inside one <row>: openpyxl holds a whole row in memory."""
    allow_macros: bool = False
    """Read the values of a macro-enabled workbook (its code is never loaded) instead of refusing it."""
    allow_external_links: bool = True
    """Read a workbook with links to other workbooks (the links are dropped, never followed)."""
    max_message_size: int = 80 * MiB
    """One e-mail (.eml, .msg, or one message of a mailbox): a 50 MiB workbook
    grows by a third in base64; a larger message is recorded unparsed."""
    max_archive_members: int = 200
    """Members of a .zip sent instead of a workbook that are looked at."""
    max_archive_size: int = 128 * MiB
    """Inflated size of all members of such a .zip together."""
    max_archive_depth: int = 1
    """A .zip inside a .zip is opened; one more level is refused."""


@dataclass(frozen=True)
class FileKind:
    """A file the gate let through."""

    format: str
    """'xlsx' (also .xltx), 'xlsm' (macro-enabled, only with Limits.allow_macros) or 'xls'."""
    macros: bool = False
    external_links: bool = False
    entries: int = 0
    """Zip entries (0 for an .xls)."""
    inflated: int = 0
    """Bytes of all zip entries inflated."""
    parts: Mapping[str, list[bytes]] = field(default_factory=dict, compare=False, repr=False)
    """With ``inspect(..., keep=True)``: each XML part of an .xlsx as inflated
    (its chunks), by :func:`part_key`, for the reader to parse without
    inflating it again."""


def part_key(name: str) -> str:
    """A zip entry's part name as office suites match it: '\\' read as '/',
    no leading '/', any case (OPC part names ignore case)."""
    return name.replace("\\", "/").lstrip("/").casefold()


def _one_line(text: str, limit: int = 80) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Refused(Exception):
    """Raised inside the gate (also from XML handlers); becomes a RefusedFileError."""

    def __init__(self, reason: str, en: str = "", zh: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.en, self.zh = reason, en, zh


def _refuse(reason: str, en: str = "", zh: str | None = None) -> NoReturn:
    raise _Refused(reason, en, zh)
