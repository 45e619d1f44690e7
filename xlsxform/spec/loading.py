"""Spec files found, read and loaded.

A spec is named by the id of a bundled template (templates/<id>.toml) or
by a path.  A built-in spec's very text is built from xlsxform.forms.specs
without validating it again; any other text is parsed and validated
(:mod:`xlsxform.spec.schema`, then :mod:`xlsxform.spec.consistency`), and
every fault is one SpecError naming the file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from xlsxform.errors import SpecError, XlsxformError, os_reason
from xlsxform.spec.layout import Spec
from xlsxform.spec.schema import validate

TEMPLATES = "templates"
DEFAULT_SPEC = "city-department-performance"


def resource_dir(name: str) -> Path:
    """A data folder shipped with xlsxform: inside the installed package, or
    beside it in a source checkout."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise SpecError(f"找不到数据目录 {name}", f"data folder {name!r} not found", path=here / name)


def read_toml(path: Path, error: type[XlsxformError], what_zh: str, what_en: str) -> dict[str, Any]:
    """A TOML file of ours (a spec, an e-mail template); any fault is one
    ``error`` naming the file."""
    return _parse_toml(_read_text(path, error, what_zh, what_en), path, error, what_zh, what_en)


def _read_text(path: Path, error: type[XlsxformError], what_zh: str, what_en: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise error(f"无法读取{what_zh}：{os_reason(exc)}", f"cannot read the {what_en}: {os_reason(exc, 'en')}", path=path) from None
    except UnicodeDecodeError as exc:
        raise error(f"{what_zh}格式错误：{exc}", f"the {what_en} is not valid TOML: {exc}", path=path) from None


def _parse_toml(text: str, path: Path, error: type[XlsxformError], what_zh: str, what_en: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what_zh}格式错误：{exc}", f"the {what_en} is not valid TOML: {exc}", path=path) from None


def spec_path(name_or_path: str | Path = DEFAULT_SPEC) -> Path:
    """The file of a bundled template named by its id, or the path given."""
    path = Path(name_or_path)
    return resource_dir(TEMPLATES) / f"{name_or_path}.toml" if not path.suffix and len(path.parts) == 1 else path


def spec_text(path: Path) -> str:
    """A spec file's text; any fault is one SpecError naming the file."""
    return _read_text(path, SpecError, "版式文件", "layout spec")


@cache
def load_spec(name_or_path: str | Path = DEFAULT_SPEC) -> Spec:
    """Load a spec by the name of a bundled template or by a file path.

    A built-in spec's very text is not validated again: it is built as it was
    validated when xlsxform.forms.specs was generated (a test regenerates it).
    Any other text, an edited template included, is validated here."""
    path = spec_path(name_or_path)
    text = spec_text(path)
    from xlsxform.forms.specs import BY_TEXT

    built = BY_TEXT.get(text_digest(text))
    return built() if built is not None else validate_spec(text, path)


def text_digest(text: str) -> str:
    """What identifies a spec's text: the SHA-256 of its UTF-8."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validate_spec(text: str, path: Path) -> Spec:
    """A spec's text parsed and validated: its schema, then what the schema
    alone cannot see (:mod:`xlsxform.spec.consistency`); every fault is one
    SpecError."""
    from pydantic import ValidationError

    from xlsxform.spec.consistency import check

    data = _parse_toml(text, path, SpecError, "版式文件", "layout spec")
    try:
        spec = validate(Spec, data)
    except ValidationError as exc:
        faults = [("spec-invalid", f"{'.'.join(map(str, error['loc'])) or 'spec'}: {error['msg']}") for error in exc.errors()]
    else:
        faults = check(spec)
        if not faults:
            return spec
    detail = "; ".join(text for _, text in faults)
    raise SpecError(f"版式文件无效：{detail}", f"invalid layout spec: {detail}", path=path, code=faults[0][0], faults=faults) from None
