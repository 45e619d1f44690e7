"""Issuing the forms: one pre-filled workbook per department of the roster,
with a safe file name and the department's identity stored inside.

Each workbook carries custom document properties (kept by Excel, WPS and
LibreOffice when the department saves it), so that a returned file says
whose it is even when 部门名称 was changed or the file renamed:

==========================  =========================================
``xlsxform.form_id``        a stable id: the same year and department
                            always get the same id
``xlsxform.department``     the department's name as in the roster
``xlsxform.department_code``the roster's 部门编码 (when there is one)
``xlsxform.year``           the form's year
``xlsxform.template_id``    the layout spec's id and version
``xlsxform.template_version``
==========================  =========================================

The renderer stores all but ``department_code`` itself (with the same
names, and on a hidden sheet too); :func:`issue` gives it the stable form id
and adds what it leaves out.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from xlsxform.collection.csvfile import plain_cell, write_csv
from xlsxform.collection.roster import Department, Roster
from xlsxform.errors import OutputExistsError
from xlsxform.spec.layout import Spec
from xlsxform.spec.loading import DEFAULT_SPEC, load_spec

NAMESPACE = uuid.UUID("5b0f3f0e-2c1a-4f57-9a53-6d1c1f0a7e21")
"""Form ids are UUID5s in this namespace of the year and the department."""

MAX_STEM_CHARS = 60
MAX_STEM_BYTES = 150
"""File names stay well inside every file system's 255 bytes, with room for
a suffix such as '-12.xlsx' or '-需修改.xlsx'."""
MANIFEST = "发放清单.csv"

_FORBIDDEN = set('<>:"/\\|?*')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$"} | {f"{p}{n}" for p in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
"""Names Windows will not create, with any extension."""


def form_id(year: int, department: Department, spec_id: str = DEFAULT_SPEC) -> str:
    """The form id of a department's form for a year: stable across reissues
    (and distinct per form of the family)."""
    who = f"code:{department.code}" if department.code else f"name:{department.key}"
    which = "" if spec_id == DEFAULT_SPEC else f"\x1fform:{spec_id}"
    return str(uuid.uuid5(NAMESPACE, f"{year}\x1f{who}{which}"))


def safe_stem(name: str, fallback: str = "部门") -> str:
    """A file name stem from any text: no path separators, control or
    formatting characters, nothing Windows reserves, bounded length; Chinese
    and other letters kept."""
    text = unicodedata.normalize("NFC", name)
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _FORBIDDEN or category[0] == "C":
            out.append("_")
        elif category[0] == "Z" or ch.isspace():
            out.append(" ")
        else:
            out.append(ch)
    stem = re.sub(r"\s+", " ", "".join(out))
    stem = re.sub(r"_{2,}", "_", stem).strip(" ._")
    stem = _bounded(stem).strip(" .")
    if not stem:
        stem = fallback
    if stem.split(".")[0].strip().upper() in _RESERVED:
        stem = f"_{stem}"
    return stem


def _bounded(stem: str, chars: int = MAX_STEM_CHARS, size: int = MAX_STEM_BYTES) -> str:
    stem = stem[:chars]
    while len(stem.encode("utf-8")) > size:
        stem = stem[:-1]
    return stem


def unique_names(stems: list[str], suffix: str, taken: set[str] | None = None) -> list[str]:
    """File names for the stems, made unique ignoring case (as on Windows
    and macOS) by '-2', '-3' ..."""
    used = {t.casefold() for t in taken or set()}
    names = []
    for stem in stems:
        name, n = f"{stem}{suffix}", 1
        while name.casefold() in used:
            n += 1
            tail = f"-{n}"
            name = f"{_bounded(stem, MAX_STEM_CHARS - len(tail), MAX_STEM_BYTES - len(tail)).rstrip(' .')}{tail}{suffix}"
        used.add(name.casefold())
        names.append(name)
    return names


@dataclass(frozen=True)
class Issued:
    """One department's form, written."""

    department: Department
    form_id: str
    workbook: Path
    draft: Path | None = None


def issue(roster: Roster, outbox: Path, *, year: int, spec: Spec | None = None, fallback_fonts: bool = False, overwrite: bool = False) -> list[Issued]:
    """Write one pre-filled workbook per department into ``outbox``, and a
    manifest (发放清单.csv) of who gets which file.

    A folder holding an earlier run (its manifest, or a workbook of the same
    name) is refused with :class:`~xlsxform.errors.OutputExistsError` before
    anything is written, unless ``overwrite``: then the whole earlier set
    goes first (the manifest, every workbook it lists and the e-mail draft
    beside each), so the folder holds exactly this run.
    """
    spec = spec or load_spec()
    names = unique_names([safe_stem(d.name) for d in roster], ".xlsx", {MANIFEST})
    earlier = earlier_run(outbox)
    clashing = [outbox / name for name in names if (outbox / name).exists()]
    if (earlier or clashing) and not overwrite:
        raise OutputExistsError(
            "文件夹中已有上次发放的表格，如要重新发放并替换全部旧文件，请加 --overwrite",
            "the folder holds an earlier issue; add --overwrite to replace all of its files",
            path=(earlier or clashing)[0],
        )
    drafts = [path.with_suffix(".eml") for path in clashing if path.with_suffix(".eml").is_file()]
    for path in dict.fromkeys([*earlier, *drafts]):
        path.unlink(missing_ok=True)
    outbox.mkdir(parents=True, exist_ok=True)
    issued = []
    for department, name in zip(roster, names, strict=False):
        target = outbox / name
        form = render_department(target, department, year=year, spec=spec, fallback_fonts=fallback_fonts)
        issued.append(Issued(department, form, target))
    return issued


def render_department(target: Path, department: Department, *, year: int, spec: Spec, fallback_fonts: bool = False) -> str:
    """Write one department's pre-filled workbook of a form to ``target``,
    carrying its stable form id and its code; that form id."""
    from xlsxform.rendering.renderer import render_template

    form = form_id(year, department, spec.form.id)
    render_template(
        target,
        year=year,
        department=department.name,
        budget=department.budget,
        spec=spec,
        fallback_fonts=fallback_fonts,
        form_id=form,
        department_code=department.code,
    )
    return form


def earlier_run(outbox: Path) -> list[Path]:
    """The files an earlier :func:`issue` left in ``outbox``: its manifest,
    every workbook and draft it lists, and the draft beside each workbook
    (a run without drafts after one with them listed none)."""
    manifest = outbox / MANIFEST
    if not manifest.is_file():
        return []
    found = {manifest: None}
    try:
        with manifest.open(encoding="utf-8-sig", newline="") as source:
            lines = csv.reader(source)
            header = next(lines, [])
            columns = [header.index(name) for name in ("文件", "邮件") if name in header]
            for line in lines:
                for col in columns:
                    name = Path(plain_cell(line[col]) if col < len(line) else "").name
                    if not name or Path(name).suffix.lower() not in (".xlsx", ".eml"):
                        continue
                    for path in (outbox / name, (outbox / name).with_suffix(".eml")):
                        if path.is_file():
                            found[path] = None
    except (OSError, UnicodeDecodeError, csv.Error):
        pass  # an unreadable manifest: only it is known
    return list(found)


def write_manifest(outbox: Path, issued: list[Issued], sent: dict[str, str] | None = None, links: dict[str, str] | None = None) -> Path:
    """发放清单.csv: department, code, address, form id, file, the sha256
    of the workbook as issued (so that an ingest that meets the outbox never
    takes an unfilled workbook in as a return), the draft or delivery, and
    with ``links`` (form id to URL) each department's private link (链接)."""
    header = ["部门名称", "部门编码", "邮箱", "表格编号", "文件", "sha256", "邮件", *(["链接"] if links is not None else [])]
    rows = [
        [
            item.department.name,
            item.department.code,
            item.department.email,
            item.form_id,
            item.workbook.name,
            hashlib.sha256(item.workbook.read_bytes()).hexdigest(),
            item.draft.name if item.draft else (sent or {}).get(item.form_id, ""),
            *([links.get(item.form_id, "")] if links is not None else []),
        ]
        for item in issued
    ]
    return write_csv(outbox / MANIFEST, header, rows)
