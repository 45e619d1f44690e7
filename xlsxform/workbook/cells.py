"""Cell-level conventions shared by every openpyxl adapter: text stored as
text (never a formula, _xHHHH_ escapes preserved), shown as a person saw it,
and workbooks opened quietly and bounded."""

from __future__ import annotations

import contextlib
import io
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl.cell.text import Text
from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
from openpyxl.styles import Border, Font, PatternFill, Protection, Side
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from xlsxform.errors import UnreadableWorkbookError
from xlsxform.workbook.text import (
    escape,
)

CM_PER_INCH = 2.54
UNLOCKED = Protection(locked=False)
_THIN = Side(style="thin", color="000000")
BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
ALERT = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
ALERT_FONT = Font(color="9C0006", bold=True)


def store_text(cell: Any, text: str) -> None:
    """Put text in a cell as text: never a formula, escapes preserved."""
    cell.value = escape(text)
    cell.data_type = "s"


def one_page_wide(sheet: Any) -> None:
    """Print one page wide, as many pages down as needed."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


@contextlib.contextmanager
def opened(path: str | Path, *, data_only: bool) -> Iterator[Any]:
    """A read-only workbook, quiet, closed afterwards; whatever goes wrong
    inside openpyxl becomes one UnreadableWorkbookError naming the file."""
    with quiet():
        with opening(path):
            workbook = load(path, data_only=data_only)
        try:
            yield workbook
        except UnreadableWorkbookError:
            raise
        except Exception as exc:
            raise UnreadableWorkbookError("无法读取：文件已损坏", f"cannot read: the file is damaged ({type(exc).__name__})", path=path) from None
        finally:
            workbook.close()


@contextlib.contextmanager
def opening(path: str | Path) -> Iterator[None]:
    """openpyxl's many ways of failing to open a file, as one UnreadableWorkbookError."""
    try:
        yield
    except (OSError, zipfile.BadZipFile) as exc:
        raise UnreadableWorkbookError("无法打开：不是有效的 .xlsx 文件", f"cannot open: not a valid .xlsx file ({exc})", path=path) from None
    except Exception as exc:  # openpyxl raises many kinds on malformed parts
        raise UnreadableWorkbookError("无法打开：文件已损坏", f"cannot open: the file is damaged ({type(exc).__name__})", path=path) from None


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """openpyxl warns on stderr and prints some faults to stdout (which would
    corrupt the JSON that ``xlsxform read`` prints): keep it silent."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def load(path: str | Path, *, data_only: bool, read_only: bool = True, keep_links: bool = False) -> Any:
    """A workbook opened by content, not by name: openpyxl refuses a name not
    ending in .xlsx, and departments rename (form.xls, form.XLSX.bak)."""
    reader = ContentReader(io.BytesIO(Path(path).read_bytes()), read_only=read_only, keep_vba=False, data_only=data_only, keep_links=keep_links)
    reader.read()
    return reader.wb


def form_sheet(workbook: Any, preferred: str) -> Any:
    if preferred in workbook.sheetnames:
        return workbook[preferred]
    visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    return visible[0] if visible else None


class ContentReader(ExcelReader):  # type: ignore[misc]  # openpyxl ships no types
    """openpyxl's reader, with shared strings kept as stored.

    openpyxl deletes every 'x005F_' from shared strings, which decodes one
    escape and mangles the rest; :func:`plain_text` decodes them all alike,
    in shared and inline strings.
    """

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        strings = []
        with self.archive.open(part.PartName[1:]) as source:
            for _, node in iterparse(source):
                if node.tag == _SHARED_STRING:
                    strings.append(Text.from_tree(node).content)
                    node.clear()
        self.shared_strings = strings


_SHARED_STRING = f"{{{SHEET_MAIN_NS}}}si"
