"""Money, quantities and percentages (issue 3)."""

import pytest

from enrich.amounts import find_percents, parse_amount


@pytest.mark.parametrize(
    ("phrase", "value", "unit", "approximate"),
    [
        ("about $100 million", 100_000_000, "USD", True),
        ("US$2.3bn", 2_300_000_000, "USD", False),
        ("€500m", 500_000_000, "EUR", False),
        ("£1.2 billion", 1_200_000_000, "GBP", False),
        ("C$142 million", 142_000_000, "CAD", False),
        ("100 billion yuan", 100_000_000_000, "CNY", False),
        ("20,000 bpd", 20_000, "bpd", False),
        ("1.5 million barrels per day", 1_500_000, "bpd", False),
        ("as much as 436,000 barrels per day", 436_000, "bpd", True),
        ("3.2 million tonnes", 3_200_000, "tonnes", False),
        ("more than 1,000 tons", 1_000, "tonnes", True),
        ("2 million carats", 2_000_000, "carats", False),
        ("500,000 ounces", 500_000, "ounces", False),
        ("22.7 billion cubic metres", 22_700_000_000, "cubic metres", False),
    ],
)
def test_parses_amounts(phrase, value, unit, approximate):
    amount = parse_amount(phrase)
    assert amount is not None
    assert (amount.value, amount.unit, amount.approximate) == (value, unit, approximate)
    assert amount.text == phrase


def test_percentages():
    (_, _, nearly), (_, _, exact) = find_percents("fallen nearly 30% and then 4.5 percent")
    assert (nearly.value, nearly.approximate) == (30, True)
    assert (exact.value, exact.approximate) == (4.5, False)


def test_years_and_bare_numbers_are_not_amounts():
    assert parse_amount("in 2023 the mine produced") is None
