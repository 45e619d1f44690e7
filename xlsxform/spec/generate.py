"""A form's pydantic model, derived from its spec.

The model is Python source generated from the spec's fields, groups, tables
and indicator tables.  For the built-in forms that source is committed under
xlsxform/forms/ (so that library users and mypy see real types, and a test
regenerates and compares it); any other spec, a local variant for instance,
gets the same source executed at load time.  Regenerate the built-in modules
with ``python -m xlsxform.spec.generate``.
"""

from __future__ import annotations

import importlib
import json
import sys
from functools import cache
from pathlib import Path
from typing import cast

from xlsxform._plugins import no_plugins
from xlsxform.form.types import FormData
from xlsxform.spec.layout import FieldSpec, IndicatorSection, Spec, load_spec

_TYPES = {
    "text": ('str = Field("", title={title}{limit})', ""),
    "choice": ('str = Field("", title={title})', ""),
    "lines": ("list[str] = Field(default_factory=list, title={title})", ""),
    "amount": ("Amount | None = Field(None, title={title})", "Amount"),
    "number": ("Number | None = Field(None, title={title})", "Number"),
    "percent": ("Percent | None = Field(None, title={title})", "Percent"),
    "count": ("Count | None = Field(None, title={title})", "Count"),
    "date": ("Date | None = Field(None, title={title})", "Date"),
}
BUILT_IN = ("city-department-performance", "project-performance-target", "project-self-evaluation")
"""The forms that ship with xlsxform, each with a generated module."""


def module_name(form_id: str) -> str:
    return "xlsxform.forms." + form_id.replace("-", "_")


def module_path(form_id: str) -> Path:
    return Path(__file__).resolve().parents[1] / "forms" / (form_id.replace("-", "_") + ".py")


def _str(text: str) -> str:
    """A Python string literal, double-quoted as the formatter writes it."""
    return json.dumps(text, ensure_ascii=False)


def _line(name: str, field: FieldSpec, used: set[str]) -> str:
    template, kind = _TYPES[field.type]
    if kind:
        used.add(kind)
    return f"    {name}: " + template.format(title=_str(field.label), limit="")


def model_source(spec: Spec) -> str:
    """The Python source of the spec's model: one class per group and list, then the form."""
    used: set[str] = set()
    classes: dict[str, list[str]] = {}
    order: list[str] = []

    def add(name: str, doc: str, base: str, body: list[str], extra: list[str] | None = None) -> None:
        if name in classes:
            return
        order.append(name)
        classes[name] = [f"class {name}({base}):", f'    """{doc}"""', "", *(extra or []), *body]

    def members(prefix: str) -> list[str]:
        """Fields and groups directly under a dotted prefix ('' for the top)."""
        lines: list[str] = []
        depth = prefix.count(".") + 1 if prefix else 0
        seen: set[str] = set()
        for path, field in spec.fields.items():
            if prefix and not path.startswith(prefix + "."):
                continue
            parts = path.split(".")
            name = parts[depth]
            if len(parts) == depth + 1:
                lines.append(_line(name, field, used))
            elif name not in seen:
                group = ".".join(parts[: depth + 1])
                info = spec.groups[group]
                add(info.model, info.label, "Part", members(group) or ["    pass"])
                lines.append(f"    {name}: {info.model} = Field(default_factory={info.model}, title={_str(info.label)})")
            seen.add(name)
        return lines

    top = members("")
    for section in spec.lists():
        body: list[str] = []
        if isinstance(section, IndicatorSection):
            body += [f'    {lv.field}: str = Field("", title={_str(lv.label)})' for lv in section.levels]
        body += [_line(c.field, c, used) for c in section.columns]
        doc = f"One row of {section.title or section.label}."
        add(section.model, doc, "Part", body)
        title = section.title or section.label
        top.append(f"    {section.field}: list[{section.model}] = Field(default_factory=list, title={_str(title)})")
    add(spec.form.model, f"{spec.form.name}: one filled form.", "FormData", top, [f"    model_config = ConfigDict(title={_str(spec.form.name)})", ""])
    imports = ", ".join(sorted({"FormData", "Part", *used}))
    head = [
        f'"""{spec.form.name}: the model generated from templates/{spec.form.id}.toml.',
        "",
        "Do not edit: regenerate with ``python -m xlsxform.spec.generate``.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from pydantic import ConfigDict, Field",
        "",
        f"from xlsxform.form.types import {imports}",
        "",
        f"SPEC_ID = {_str(spec.form.id)}",
        f"SPEC_VERSION = {_str(spec.form.version)}",
    ]
    blocks = ["\n".join(head)] + ["\n".join(classes[name]) for name in order]
    return "\n\n\n".join(blocks) + "\n"


@cache
def _compiled(source: str, main: str) -> type[FormData]:
    namespace: dict[str, object] = {"__name__": "xlsxform.forms._variant"}
    exec(compile(source, "<spec model>", "exec"), namespace)
    model = cast(type[FormData], namespace[main])
    for value in namespace.values():
        if isinstance(value, type) and hasattr(value, "model_rebuild"):
            value.model_rebuild(_types_namespace=namespace)
    return model


_OF_SPEC: dict[int, tuple[Spec, type[FormData]]] = {}
"""Each loaded spec's model, by the spec's identity (the spec kept alive with it)."""


def model_of(spec: Spec) -> type[FormData]:
    """The spec's model: the generated built-in class when the spec is the
    built-in one, else the same source compiled now."""
    known = _OF_SPEC.get(id(spec))
    if known is not None and known[0] is spec:
        return known[1]
    model = _model(spec.form.id, spec.form.model, model_source(spec))
    _OF_SPEC[id(spec)] = (spec, model)
    return model


@cache
def _model(form_id: str, main: str, source: str) -> type[FormData]:
    """The model, its validators built (with pydantic's plugin scan off: the
    forms' models are built on first use, see :class:`xlsxform.form.types.Part`)."""
    path = module_path(form_id)
    with no_plugins():
        if form_id in BUILT_IN and path.is_file() and path.read_text(encoding="utf-8") == source:
            model = cast(type[FormData], getattr(importlib.import_module(module_name(form_id)), main))
            model.model_rebuild()
            return model
        return _compiled(source, main)


def spec_for(form: FormData) -> Spec:
    """The built-in spec a form's generated class comes from (the first form otherwise)."""
    module = sys.modules.get(type(form).__module__)
    form_id = getattr(module, "SPEC_ID", None)
    return load_spec(form_id) if form_id in BUILT_IN else load_spec()


def regenerate() -> None:
    for form_id in BUILT_IN:
        spec = load_spec(form_id)
        module_path(form_id).write_text(model_source(spec), encoding="utf-8")
        print(f"wrote {module_path(form_id)}")


if __name__ == "__main__":
    regenerate()
