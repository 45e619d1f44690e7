"""A form's pydantic model, derived from its spec.

The model is Python source generated from the spec's fields, groups, tables
and indicator tables.  For the built-in forms that source is committed under
xlsxform/forms/ (so that library users and mypy see real types, and a test
regenerates and compares it); any other spec, a local variant for instance,
gets the same source executed at load time.  The built-in specs themselves,
as they validate, are generated too (xlsxform/forms/specs.py), so that a
command need not validate the spec it reads with.  Regenerate the built-in
modules with ``python -m xlsxform.spec.generate``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from xlsxform._plugins import no_plugins
from xlsxform.spec.layout import FieldSpec, Group, IndicatorSection, Spec, TableSection
from xlsxform.spec.loading import load_spec, spec_path, spec_text, text_digest, validate_spec

if TYPE_CHECKING:
    from xlsxform.form.types import FormData

_TYPES = {
    "text": ('str = Field("", title={title}{limit})', ""),
    "choice": ('str = Field("", title={title})', ""),
    "lines": ("list[str] = Field(default_factory=no_items, title={title})", "no_items"),
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


def _quoted(text: str) -> str:
    """A Python string literal in the quotes the formatter picks: double,
    unless single ones need fewer escapes."""
    if text.count('"') <= text.count("'"):
        return _str(text)
    return "'" + _str(text)[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"


def _line(name: str, field: FieldSpec, used: set[str]) -> str:
    template, kind = _TYPES[field.type]
    if kind:
        used.add(kind)
    return f"    {name}: " + template.format(title=_str(field.label), limit="")


@dataclass(frozen=True)
class Member:
    """One attribute of a form's model, in the model's order: a field, a
    group (a nested model of its own members) or a list of rows."""

    name: str
    field: FieldSpec | None = None
    group: Group | None = None
    members: tuple[Member, ...] = ()
    rows: TableSection | IndicatorSection | None = None


def shape(spec: Spec) -> tuple[Member, ...]:
    """The members of the spec's model (its fields and groups in the order
    the spec lists them, then its lists), beside those every form has."""

    def members(prefix: str) -> tuple[Member, ...]:
        """Fields and groups directly under a dotted prefix ('' for the top)."""
        found: list[Member] = []
        depth = prefix.count(".") + 1 if prefix else 0
        seen: set[str] = set()
        for path, field in spec.fields.items():
            if prefix and not path.startswith(prefix + "."):
                continue
            parts = path.split(".")
            name = parts[depth]
            if len(parts) == depth + 1:
                found.append(Member(name, field=field))
            elif name not in seen:
                group = ".".join(parts[: depth + 1])
                found.append(Member(name, group=spec.groups[group], members=members(group)))
            seen.add(name)
        return tuple(found)

    return (*members(""), *(Member(section.field, rows=section) for section in spec.lists()))


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

    def lines(members: tuple[Member, ...]) -> list[str]:
        found: list[str] = []
        for member in members:
            if member.field is not None:
                found.append(_line(member.name, member.field, used))
            elif member.group is not None:
                info = member.group
                add(info.model, info.label, "Part", lines(member.members) or ["    pass"])
                found.append(f"    {member.name}: {info.model} = Field(default_factory={info.model}, title={_str(info.label)})")
            elif member.rows is not None:
                section = member.rows
                body: list[str] = []
                if isinstance(section, IndicatorSection):
                    body += [f'    {lv.field}: str = Field("", title={_str(lv.label)})' for lv in section.levels]
                body += [_line(c.field, c, used) for c in section.columns]
                title = section.title or section.label
                add(section.model, f"One row of {title}.", "Part", body)
                used.add("no_items")
                found.append(f"    {section.field}: list[{section.model}] = Field(default_factory=no_items, title={_str(title)})")
        return found

    top = lines(shape(spec))
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
    model = cast("type[FormData]", namespace[main])
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
            __import__(module_name(form_id))  # not importlib.import_module: -X importtime reports this import
            model = cast("type[FormData]", getattr(sys.modules[module_name(form_id)], main))
            model.model_rebuild()
            return model
        return _compiled(source, main)


def spec_for(form: FormData) -> Spec:
    """The built-in spec a form's generated class comes from (the first form otherwise)."""
    module = sys.modules.get(type(form).__module__)
    form_id = getattr(module, "SPEC_ID", None)
    return load_spec(form_id) if form_id in BUILT_IN else load_spec()


SPECS_PATH = Path(__file__).resolve().parents[1] / "forms" / "specs.py"
"""The built-in specs as validated (see :func:`specs_source`)."""


def validated(form_id: str) -> tuple[str, Spec]:
    """A built-in spec's text and the spec it validates to (never the one
    xlsxform.forms.specs builds: that is what this checks and regenerates)."""
    path = spec_path(form_id)
    text = spec_text(path)
    return text, validate_spec(text, path)


def specs_source(specs: dict[str, tuple[str, Spec]]) -> str:
    """The Python source that builds each built-in spec as it validated, by
    its classes' constructors (no validation), found by its text's digest.
    What a spec holds is built from the validated objects themselves, each
    of its own class, only the fields that differ from their defaults."""
    used: set[str] = set()

    def literal(value: object, depth: int) -> str:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            used.add(type(value).__name__)
            args = [f"{f.name}={literal(getattr(value, f.name), depth + 1)}" for f in dataclasses.fields(value) if getattr(value, f.name) != _default(f)]
            return exploded(f"{type(value).__name__}(", args, ")", depth)
        if isinstance(value, list | tuple):
            open_, close = ("[", "]") if isinstance(value, list) else ("(", ")")
            return exploded(open_, [literal(item, depth + 1) for item in value], close, depth)
        if isinstance(value, dict):
            return exploded("{", [f"{literal(k, depth + 1)}: {literal(v, depth + 1)}" for k, v in value.items()], "}", depth)
        if isinstance(value, str):
            return _quoted(value)
        if value is None or isinstance(value, bool | int | float):
            return repr(value)
        raise TypeError(f"a spec holds no {type(value).__name__}")

    def exploded(open_: str, items: list[str], close: str, depth: int) -> str:
        """One item a line, each with a trailing comma, as the formatter keeps it."""
        if not items:
            return open_ + close
        pad = "    " * (depth + 1)
        return open_ + "\n" + "".join(f"{pad}{item},\n" for item in items) + "    " * depth + close

    functions = []
    for form_id, (_text, spec) in specs.items():
        body = literal(spec, 1)
        functions.append(f"def {form_id.replace('-', '_')}() -> Spec:\n    return {body}")
    used.add("Spec")
    head = [
        '"""The built-in specs as they validated: generated from templates/*.toml.',
        "",
        "load_spec() builds a spec from here, without validating it again, when",
        "the file's text is the one it was generated from (its SHA-256 below).",
        "",
        "Do not edit: regenerate with ``python -m xlsxform.spec.generate``.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Callable",
        "",
        "from xlsxform.spec.layout import (\n" + "".join(f"    {name},\n" for name in sorted(used)) + ")",
    ]
    table = ["BY_TEXT: dict[str, Callable[[], Spec]] = {"]
    table += [f"    {_str(text_digest(text))}: {form_id.replace('-', '_')}," for form_id, (text, _spec) in specs.items()]
    table += ["}", '"""Each built-in spec by the digest of its text (xlsxform.spec.loading.text_digest)."""']
    return "\n\n\n".join(["\n".join(head), *functions, "\n".join(table)]) + "\n"


def _default(field: dataclasses.Field[object]) -> object:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def regenerate() -> None:
    specs = {form_id: validated(form_id) for form_id in BUILT_IN}
    for form_id, (_text, spec) in specs.items():
        module_path(form_id).write_text(model_source(spec), encoding="utf-8")
        print(f"wrote {module_path(form_id)}")
    SPECS_PATH.write_text(specs_source(specs), encoding="utf-8")
    print(f"wrote {SPECS_PATH}")


if __name__ == "__main__":
    regenerate()
