"""Invalid form data (JSON, a model) as one line in the form's own words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlsxform.errors import FormDataError
from xlsxform.form.model import describe

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


def form_data_error(exc: Any, what_zh: str, what_en: str, path: str | Path | None = None) -> FormDataError:
    """A pydantic ValidationError as one line: the first faults, each with the
    form's own label for the field, and how many there are."""
    faults = exc.errors()[:SHOWN]
    zh = "；".join(_fault_zh(describe(f["loc"]), _PYDANTIC_ZH.get(f["type"], f["msg"]).format(**f.get("ctx") or {})) for f in faults)
    en = "; ".join(f"{'.'.join(map(str, f['loc'])) or '-'}: {f['msg']}" for f in faults)
    count = exc.error_count()
    more_zh, more_en = (f"（共 {count} 处）", f" ({count} in all)") if count > len(faults) else ("", "")
    return FormDataError(f"{what_zh}无效：{zh}{more_zh}", f"invalid {what_en}: {en}{more_en}", path=path)


def _fault_zh(label: str, reason: str) -> str:
    return f"“{label}”{reason}" if label else reason
