"""read(render(form)) == form for any form the model allows."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlsxform import Form, Indicator, Task, load_spec, read, render

SPEC = load_spec()
FRAMEWORK = [names for _, names in SPEC.indicator_sections()[0].leaves()]

# Printable text of any script, line breaks included; no control characters,
# which a workbook cannot hold and the renderer refuses (tested elsewhere).
_chars = st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn"), blacklist_characters="\u2028\u2029\x85")
line = st.text(_chars, max_size=60).map(str.strip)
text = st.text(st.one_of(_chars, st.just("\n")), max_size=300).map(str.strip)
formula_like = st.sampled_from(["=1+1", "+86 123", "-", "@A1", "=SUM(C5:C6)", "'737", "100%", "2023.12.31", "１２３"])
words = st.one_of(line, formula_like)
name = st.one_of(line.filter(bool), formula_like)
amount = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False))

tasks = st.lists(st.builds(Task, name=name, content=st.one_of(text, formula_like), funds=amount, outcome=text), max_size=8)
indicators = st.lists(
    st.builds(lambda pair, n, v: Indicator(level1=pair[0], level2=pair[1], name=n, value=v), st.sampled_from(FRAMEWORK), name, words),
    max_size=25,
).map(lambda items: sorted(items, key=lambda i: FRAMEWORK.index((i.level1, i.level2))))

forms = st.builds(
    Form,
    year=st.integers(1900, 9999),
    department=words,
    staff=st.one_of(st.none(), st.integers(0, 10**6)),
    subunits=st.one_of(st.none(), st.integers(0, 10**4)),
    budget=st.fixed_dictionaries({k: amount for k in ("basic", "project", "fiscal", "other_funds", "special", "other_development", "city_level", "transfer")}),
    goals=st.lists(line.filter(bool), max_size=6),
    key_tasks=tasks,
    other_tasks=tasks,
    indicators=indicators,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form=forms)
def test_any_form_survives_rendering_and_reading(form: Form) -> None:
    """Whatever a form holds, the workbook rendered from it reads back to the same form."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "form.xlsx"
        render(form, path)
        assert read(path).form == form
