"""Numbers as departments type them become exact Decimals."""

from decimal import Decimal

import pytest

from xlsxform.form import amounts


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("737", "737"),
        ("10891.615675", "10891.615675"),
        ("１１３３.４９", "1133.49"),
        ("1,133.49", "1133.49"),
        ("１，１３３．４９", "1133.49"),
        (" 776.80 ", "776.8"),
        ("356.69万元", "356.69"),
        ("356.69 万元", "356.69"),
        ("0", "0"),
        ("1E+2", None),
        ("abc", None),
        ("1,23", None),
        ("1.2.3", None),
        ("", None),
        ("12元", None),
    ],
)
def test_parse_reads_text_the_way_a_person_means_it(typed: str, expected: str | None) -> None:
    """Text amounts with full-width digits, separators, spaces or 万元 parse; anything else is refused."""
    if expected is None:
        with pytest.raises(ValueError):
            amounts.parse(typed)
    else:
        assert amounts.parse(typed) == Decimal(expected)
        assert amounts.text(amounts.parse(typed)) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(82800.92000000001, "82800.92"), (776.8, "776.8"), (10891.615675, "10891.615675"), (23, "23"), (1e20, "100000000000000000000"), (0.1 + 0.2, "0.3")],
)
def test_from_float_drops_float_noise(cell: float, expected: str) -> None:
    """A cell's double becomes the decimal a person typed, without float noise or exponent."""
    assert amounts.text(amounts.from_float(cell)) == expected


def test_from_float_refuses_non_finite_numbers() -> None:
    """NaN and infinity are not amounts."""
    with pytest.raises(ValueError):
        amounts.from_float(float("nan"))
