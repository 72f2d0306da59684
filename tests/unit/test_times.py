"""Time expressions resolve against the publication date (issue 3)."""

from datetime import date

import pytest

from enrich.times import find_times, resolve_time

PUBLISHED = date(2023, 12, 18)


@pytest.mark.parametrize(
    ("phrase", "start", "end", "granularity"),
    [
        ("in September", date(2023, 9, 1), date(2023, 9, 30), "month"),
        ("late November", date(2023, 11, 21), date(2023, 11, 30), "range"),
        ("early March", date(2023, 3, 1), date(2023, 3, 10), "range"),
        ("mid-March", date(2023, 3, 11), date(2023, 3, 20), "range"),
        ("since March 2022", date(2022, 3, 1), PUBLISHED, "range"),
        ("last year", date(2022, 1, 1), date(2022, 12, 31), "year"),
        ("this year", date(2023, 1, 1), date(2023, 12, 31), "year"),
        ("next month", date(2024, 1, 1), date(2024, 1, 31), "month"),
        ("in 2021", date(2021, 1, 1), date(2021, 12, 31), "year"),
        ("the third quarter", date(2023, 7, 1), date(2023, 9, 30), "quarter"),
        ("Q1 2024", date(2024, 1, 1), date(2024, 3, 31), "quarter"),
        ("the first half of 2024", date(2024, 1, 1), date(2024, 6, 30), "range"),
        ("Dec. 5", date(2023, 12, 5), date(2023, 12, 5), "day"),
        ("5 March 2021", date(2021, 3, 5), date(2021, 3, 5), "day"),
        ("on Monday", date(2023, 12, 18), date(2023, 12, 18), "day"),
        ("on Thursday", date(2023, 12, 14), date(2023, 12, 14), "day"),
        ("earlier this year", date(2023, 1, 1), PUBLISHED, "range"),
        ("2023-12-01", date(2023, 12, 1), date(2023, 12, 1), "day"),
    ],
)
def test_resolves_against_publication_date(phrase, start, end, granularity):
    ref = resolve_time(phrase, PUBLISHED)
    assert ref is not None
    assert (ref.start, ref.end, ref.granularity) == (start, end, granularity)


def test_month_without_year_is_the_latest_past_one():
    # An article of 2024-01-22 saying "in September" means September 2023.
    ref = resolve_time("in September", date(2024, 1, 22))
    assert ref.start == date(2023, 9, 1)


def test_planned_months_look_forward():
    ref = resolve_time("in March", date(2023, 12, 18), prefer_future=True)
    assert ref.start == date(2024, 3, 1)


def test_modal_may_is_not_a_month():
    assert find_times("OPEC may cut output", PUBLISHED) == []
    assert find_times("output fell in May", PUBLISHED)[0][2].start == date(2023, 5, 1)


def test_numbers_are_not_years():
    assert find_times("it sold 2,021 tonnes and 2023% more", PUBLISHED) == []


def test_the_following_year_counts_from_the_story():
    found = find_times("demand waned in 2021, which pushed prices lower the following year", PUBLISHED)
    assert [t.start.year for _, _, t in found] == [2021, 2022]


def test_offsets_point_into_the_text():
    text = "Alrosa halted sales in September."
    (start, end, ref) = find_times(text, PUBLISHED)[0]
    assert text[start:end] == "September"
    assert ref.text == "September"


def test_end_of_the_year():
    ref = resolve_time("by the end of the year", date(2019, 8, 7))
    assert (ref.start, ref.end) == (date(2019, 12, 1), date(2019, 12, 31))


def test_said_on_a_weekday_is_past_even_for_plans():
    ref = resolve_time("on Wednesday", date(2024, 5, 29), prefer_future=True)
    assert ref.start == date(2024, 5, 29)
    assert resolve_time("from Friday", date(2024, 5, 29)).start == date(2024, 5, 31)


def test_nearest_month_when_the_text_looks_ahead():
    # "takes effect in June" in an article of 2023-04-28: June 2023, not 2022.
    assert resolve_time("in June", date(2023, 4, 28), prefer_future="nearest").start == date(2023, 6, 1)
    assert resolve_time("in September", date(2023, 12, 18), prefer_future="nearest").start == date(2023, 9, 1)
