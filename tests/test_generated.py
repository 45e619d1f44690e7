"""The built-in forms' models are generated from their specs, and stay so."""

import pytest

from xlsxform import load_spec
from xlsxform.spec.generate import BUILT_IN, model_of, model_source, module_path


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
    from xlsxform.spec.layout import resource_dir

    sample = SelfEvaluation.model_validate_json((resource_dir("samples") / "zhanjiang-xinfang-2023-self-evaluation.json").read_bytes())
    target = tmp_path / "evaluation.xlsx"
    render(sample, target)
    result = read(target)
    evaluation = result.form_as(SelfEvaluation)
    assert (result.form_id, evaluation.funds.rate, evaluation.total.score) == ("project-self-evaluation", Decimal("0.879"), Decimal("95.79"))
    with pytest.raises(TypeError):
        result.form_as(Form)
