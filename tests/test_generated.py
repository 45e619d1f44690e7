"""The built-in forms' models, and their specs as they validate, are
generated from the spec files, and stay so."""

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from xlsxform import SpecError, load_spec
from xlsxform.spec import loading
from xlsxform.spec.generate import BUILT_IN, SPECS_PATH, model_of, model_source, module_path, specs_source, validated


@pytest.mark.parametrize("form_id", BUILT_IN)
def test_each_built_in_model_module_is_what_its_spec_generates(form_id: str) -> None:
    """Regenerating xlsxform/forms/<form>.py from its spec gives the committed file (python -m xlsxform.spec.generate)."""
    assert module_path(form_id).read_text(encoding="utf-8") == model_source(load_spec(form_id))


@pytest.mark.parametrize("form_id", BUILT_IN)
def test_the_model_and_its_json_schema_derive_from_the_spec(form_id: str) -> None:
    """Every field of the spec is in the model's JSON Schema, titled with its label."""
    spec = load_spec(form_id)
    model = model_of(spec)
    assert model.__module__ == f"xlsxform.forms.{form_id.replace('-', '_')}"
    schema = model.model_json_schema()
    assert schema["title"] == spec.form.name
    for path, field in spec.fields.items():
        node = schema
        for part in path.split("."):
            prop = node["properties"][part]
            node = schema["$defs"][prop["$ref"].rsplit("/", 1)[1]] if "$ref" in prop else prop
        assert node["title"] == field.label


def test_library_users_get_each_form_typed(tmp_path) -> None:
    """read() says which form it read; form_as() hands back its generated class, and render() finds the spec by the class."""
    from decimal import Decimal

    from xlsxform import Form, SelfEvaluation, read, render
    from xlsxform.spec.loading import resource_dir

    sample = SelfEvaluation.model_validate_json((resource_dir("samples") / "zhanjiang-xinfang-2023-self-evaluation.json").read_bytes())
    target = tmp_path / "evaluation.xlsx"
    render(sample, target)
    result = read(target)
    evaluation = result.form_as(SelfEvaluation)
    assert (result.form_id, evaluation.funds.rate, evaluation.total.score) == ("project-self-evaluation", Decimal("0.879"), Decimal("95.79"))
    with pytest.raises(TypeError):
        result.form_as(Form)


def test_the_built_in_specs_module_is_what_their_files_generate() -> None:
    """Regenerating xlsxform/forms/specs.py from the spec files, validated, gives the committed file."""
    assert SPECS_PATH.read_text(encoding="utf-8") == specs_source({form_id: validated(form_id) for form_id in BUILT_IN})


def _tree(value: Any) -> Any:
    """Everything a spec holds, each part with its class and every attribute it has."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), sorted(vars(value)), [(f.name, _tree(getattr(value, f.name))) for f in dataclasses.fields(value)])
    if isinstance(value, list | tuple):
        return (type(value), [_tree(v) for v in value])
    if isinstance(value, dict):
        return [(_tree(k), _tree(v)) for k, v in value.items()]
    return (type(value), value)


@pytest.mark.parametrize("form_id", BUILT_IN)
def test_a_built_in_spec_is_built_as_it_validates(form_id: str) -> None:
    """What load_spec builds without validating is, object by object, what validating the file gives."""
    _text, spec = validated(form_id)
    built = load_spec(form_id)
    assert built == spec
    assert _tree(built) == _tree(spec)


def test_only_a_built_in_spec_s_very_text_skips_validation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same text elsewhere is built; a changed one, even by a comment, is validated, and refused if wrong."""
    text, spec = validated("city-department-performance")
    copy, commented, broken = tmp_path / "copy.toml", tmp_path / "commented.toml", tmp_path / "broken.toml"
    copy.write_text(text, encoding="utf-8")
    commented.write_text("# a local copy\n" + text, encoding="utf-8")
    broken.write_text(text.replace('{ field = "staff" }', '{ field = "subunits" }'), encoding="utf-8")
    checked: list[Path] = []
    validate = loading.validate_spec
    monkeypatch.setattr(loading, "validate_spec", lambda text, path: checked.append(path) or validate(text, path))
    assert load_spec(copy) == spec and checked == []
    assert load_spec(commented) == spec and checked == [commented]
    with pytest.raises(SpecError) as raised:
        load_spec(broken)
    assert "spec-field-twice" in raised.value.codes


def test_the_known_forms_are_the_built_in_ones_behind_a_variant(tmp_path: Path) -> None:
    """known_specs() loads a built-in spec when it is looked at: the same forms, in the same order, a
    variant first and in place of the built-in form of its id (each built-in spec's id is its name)."""
    from xlsxform.reading.reader import known_specs

    assert [load_spec(form_id).form.id for form_id in BUILT_IN] == list(BUILT_IN)
    variant = tmp_path / "variant.toml"
    variant.write_text("# a local variant\n" + validated(BUILT_IN[1])[0], encoding="utf-8")
    for extra in ([], [load_spec(variant)]):
        known = known_specs(extra)
        assert len(known) == 3 and known[1:] == list(known)[1:]
        assert list(known) == extra + [load_spec(form_id) for form_id in BUILT_IN if form_id not in {s.form.id for s in extra}]
