"""Expressions over field paths: one text, an Excel formula and an exact Decimal check."""

from decimal import Decimal

import pytest

from xlsxform import SpecError
from xlsxform.spec import expr

CELLS = {"a": "C5", "b": "C6", "c": "D5", "items[*].x": "D12:D17"}
VALUES = {"a": Decimal("776.8"), "b": Decimal("356.69"), "c": None, "items[*].x": [Decimal("1.5"), None, Decimal("2")]}


@pytest.mark.parametrize(
    ("text", "formula", "value"),
    [
        ("sum(a, b)", "SUM(C5,C6)", Decimal("1133.49")),
        ("a + b - c", "C5+C6-D5", Decimal("1133.49")),
        ("sum(items[*].x) <= a", "SUM(D12:D17)<=C5", True),
        ("ratio(a, c)", 'IF(N(D5)=0,"",C5/D5)', None),
        ("ratio(b, a, 3)", 'IF(N(C5)=0,"",ROUND(C6/C5,3))', Decimal("0.459")),
        ("round(10 * min(ratio(b, a), 1), 2)", 'ROUND(10*MIN(IF(N(C5)=0,"",C6/C5),1),2)', Decimal("4.59")),
        ("max(a, b) == a", "MAX(C5,C6)=C5", True),
        ("(a + b) * 2", "(C5+C6)*2", Decimal("2266.98")),
        ("a >= b or filled(c)", 'OR(C5>=C6,D5<>"")', True),
        ("not filled(c) and a != b", 'AND(NOT(D5<>""),C5<>C6)', True),
        ('if(filled(c), c, "")', 'IF(D5<>"",D5,"")', ""),
        ("c == 0", "D5=0", None),
    ],
)
def test_one_expression_gives_a_formula_and_an_exact_value(text: str, formula: str, value: object) -> None:
    """Sums, differences, ratios, min/max, comparisons and conditions work out the same both ways."""
    node = expr.parse(text)
    assert expr.excel(node, CELLS.__getitem__) == formula
    assert expr.evaluate(node, VALUES.__getitem__) == value


@pytest.mark.parametrize("text", ["a +", "sum(a,, b)", "nosuch(a)", "round(a)", "a ? b", "a == b == c"])
def test_a_bad_expression_is_a_spec_error_with_a_code(text: str) -> None:
    """What is not an expression is refused with the code spec-expression."""
    with pytest.raises(SpecError) as raised:
        expr.parse(text)
    assert raised.value.code == "spec-expression"
