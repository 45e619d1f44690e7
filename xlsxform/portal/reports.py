"""The bureau's downloads of one form: the status workbook with its marked
copies (``xlsxform status --report``) and the roll-up (``xlsxform export``)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from xlsxform.collection.export import csv_paths, export
from xlsxform.collection.records import FIRST_FORM
from xlsxform.collection.roster import Roster
from xlsxform.collection.status import annotation_folder, default_year, department_status, write_report
from xlsxform.collection.store import Store
from xlsxform.spec.loading import load_spec


def status_report(db: Path, roster: Roster | None, year: int | None, target: Path, form: str = FIRST_FORM) -> Path:
    """The status workbook of one form (``xlsxform --form ID status --report``), zipped with its marked copies."""
    with Store(db) as store:
        rows = department_status(store, roster, year if year is not None else default_year(store, form), form)
        write_report(store, rows, target)
    folder = annotation_folder(target)
    bundle = target.with_suffix(".zip")
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(target, target.name)
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                archive.write(path, f"{folder.name}/{path.name}")
    return bundle


def rollup(db: Path, year: int | None, target: Path, form: str = FIRST_FORM) -> Path:
    """The bureau's roll-up of one form (``xlsxform --form ID export``) as .xlsx, .json or a zip of its .csv."""
    with Store(db) as store:
        result = export(store, [target], year=year, spec=load_spec(form))
    if target.suffix == ".csv":
        bundle = target.with_suffix(".zip")
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in csv_paths(target, result.sheets):
                archive.write(path, path.name)
        return bundle
    return target
