"""The analyst page's pure parts: filters, the timeline layout, sentence highlighting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from webapp.filters import FilterError, Filters, parse_filters
from webapp.highlight import locate, pieces
from webapp.queries import count_pieces
from webapp.timeline import Mark, Scale, bucket_end, bucket_unit, count_chart, event_chart, ticks

# -- filters -------------------------------------------------------------------

def test_filters_parse_repeats_dates_and_kinds():
    f = parse_filters([
        ("producer", "De Beers"), ("producer", " Alrosa  "), ("producer", ""), ("action", "sales_halt"),
        ("modality", "negated"), ("modality", "possible"), ("from", "2023-12-31"), ("to", "2023-01-01"),
        ("lanes", "country"), ("page", "3"),
    ])
    assert f.producers == ("De Beers", "Alrosa")
    assert f.actions == ("sales_halt",)
    assert f.kinds == ("negated", "possible")
    # Dates given the wrong way round are swapped, not refused.
    assert (f.date_from, f.date_to) == (date(2023, 1, 1), date(2023, 12, 31))
    assert f.lanes == "country" and f.page == 3


def test_filters_round_trip_through_the_query_string():
    f = Filters(producers=("De Beers", "A&B=C"), kinds=("asserted",), date_from=date(2023, 11, 1), lanes="commodity")
    query = f.query()
    assert "A%26B%3DC" in query  # values are URL-encoded, never pasted raw
    from urllib.parse import parse_qsl

    assert parse_filters(parse_qsl(query)) == f
    assert "page=2" in f.query(page=2)


@pytest.mark.parametrize("pairs, message", [
    ([("from", "2023-13-01")], "not a date"),
    ([("modality", "certain")], "unknown modality"),
    ([("lanes", "author")], "unknown lanes"),
    ([("page", "0")], "not a page"),
    ([("page", "'; DROP TABLE articles;--")], "not a page"),
    ([("producer", "x" * 600)], "longer than"),
    ([("producer", str(n)) for n in range(60)], "at most"),
])
def test_bad_filters_are_refused_with_a_reason(pairs, message):
    with pytest.raises(FilterError, match=message):
        parse_filters(pairs)


# -- timeline ------------------------------------------------------------------

def _event(n: int, lane: str, day: date, action: str = "sales", kind: str = "asserted", end: date | None = None):
    return {"lane": lane, "on_date": day, "when_end": end, "when_text": None, "actor": lane, "action": action,
            "object": "diamonds", "kind": kind, "article_id": f"a{n}", "ordinal": n}


def test_event_chart_keeps_labels_of_close_events_apart():
    day = date(2023, 11, 1)
    events = [_event(n, "De Beers", day, "purchase_deferral") for n in range(3)] + [_event(9, "Alrosa", day)]
    chart = event_chart(events, date(2023, 1, 1), date(2023, 12, 31), lambda name: f"/p/{name}")
    assert [lane.name for lane in chart.lanes] == ["De Beers", "Alrosa"]  # busiest first
    de_beers = [m for m in chart.marks if m.href.startswith("/articles/a") and m.label == "purchase_deferral"]
    assert len({m.y for m in de_beers}) == 3  # same day: three rows, no overlap
    lane = chart.lanes[0]
    assert all(lane.y < m.y < lane.y + lane.height for m in de_beers)
    assert de_beers[0].href == "/articles/a0#event-0"


def test_event_chart_draws_spans_and_kinds():
    events = [_event(1, "diamonds", date(2022, 3, 1), "price_fall", "possible", end=date(2023, 12, 18))]
    chart = event_chart(events, date(2022, 1, 1), date(2024, 1, 1), lambda name: "/")
    (mark,) = chart.marks
    assert mark.kind == "possible" and mark.x_end is not None and mark.x_end > mark.x + 100


def test_count_chart_sizes_marks_by_count_and_links_each_cell():
    counts = [
        {"lane": "Alrosa", "bucket": date(2023, 9, 1), "kind": "asserted", "n": 100},
        {"lane": "Alrosa", "bucket": date(2023, 9, 1), "kind": "negated", "n": 1},
    ]
    chart = count_chart(counts, date(2023, 1, 1), date(2023, 12, 31), "month",
                        lambda name, start, end, kind: f"/events?{name}&{start}&{end}&{kind}")
    big, small = chart.marks
    assert big.radius > small.radius and big.y != small.y
    assert big.href == "/events?Alrosa&2023-09-01&2023-09-30&asserted"
    assert chart.lanes[0].count == 101


def test_buckets_and_ticks_scale_with_the_window():
    assert bucket_unit(date(2023, 1, 1), date(2023, 3, 1)) == "week"
    assert bucket_unit(date(2023, 1, 1), date(2024, 1, 1)) == "month"
    assert bucket_unit(date(2010, 1, 1), date(2024, 1, 1)) == "year"
    assert bucket_end(date(2024, 2, 1), "month") == date(2024, 2, 29)
    assert bucket_end(date(2023, 11, 20), "week") == date(2023, 11, 26)
    start, end = date(2020, 1, 1), date(2023, 12, 31)
    labels = ticks(start, end, Scale(start, end))
    assert 1 < len(labels) <= 12
    assert all(a.x < b.x for a, b in zip(labels, labels[1:]))


# -- highlighting --------------------------------------------------------------

TEXT = "Alrosa halted sales. De Beers let buyers defer. Prices fell."


def _ev(ordinal, sentence, start=None, kind="asserted"):
    start = TEXT.index(sentence) if start is None else start
    return {"ordinal": ordinal, "sentence": sentence, "start_offset": start, "end_offset": start + len(sentence),
            "kind": kind}


def test_pieces_cover_the_text_and_mark_each_sentence():
    events = [_ev(0, "Alrosa halted sales."), _ev(1, "De Beers let buyers defer.", kind="negated"),
              _ev(2, "De Beers let buyers defer.")]
    result, found = pieces(TEXT, events)
    assert "".join(p.text for p in result) == TEXT
    marked = [p for p in result if p.events]
    assert [(p.text, p.events, p.kind) for p in marked] == [
        ("Alrosa halted sales.", (0,), "asserted"),
        ("De Beers let buyers defer.", (1, 2), "asserted"),  # one asserted among them: drawn asserted
    ]
    assert marked[1].anchors == (1, 2) and found == {0, 1, 2}


def test_offsets_that_do_not_frame_the_sentence_fall_back_to_a_search():
    shifted = _ev(0, "Prices fell.", start=3)
    assert locate(TEXT, shifted) == (TEXT.index("Prices fell."), len(TEXT))
    missing = _ev(1, "Nothing like this.", start=0)
    _, found = pieces(TEXT, [missing])
    assert found == set()


def test_count_cells_link_to_the_list_of_their_events():
    from urllib.parse import parse_qsl

    from webapp.app import cell_links

    window = Filters(actions=("sales",), kinds=("asserted", "negated"), date_from=date(2023, 10, 4),
                     date_to=date(2023, 12, 31), lanes="country")
    link = cell_links(window)
    cell = link("Russia", date(2023, 10, 2), date(2023, 10, 8), "negated")
    assert cell.startswith("/events?")
    assert parse_filters(parse_qsl(cell.split("?", 1)[1])) == Filters(
        actions=("sales",), countries=("Russia",), kinds=("negated",),
        date_from=date(2023, 10, 4), date_to=date(2023, 10, 8), lanes="country",  # clipped to the window
    )
    lane = link("Russia", None, None, None)
    assert parse_filters(parse_qsl(lane.split("?", 1)[1])) == Filters(
        actions=("sales",), countries=("Russia",), kinds=("asserted", "negated"),
        date_from=date(2023, 10, 4), date_to=date(2023, 12, 31), lanes="country",
    )


@pytest.mark.parametrize("start, end, unit", [
    (date(2024, 1, 1), date(2024, 12, 31), "month"),
    (date(2019, 6, 15), date(2025, 3, 10), "year"),
    (date(2024, 1, 15), date(2024, 2, 29), "month"),
    (date(2023, 12, 31), date(2024, 1, 1), "year"),
    (date(2024, 1, 2), date(2024, 3, 30), "week"),
])  # fmt: skip
def test_count_pieces_tile_the_window_with_whole_periods(start, end, unit):
    pieces = count_pieces(start, end, unit)
    assert pieces[0][1] == start and pieces[-1][2] == end + timedelta(days=1)
    assert all(a[2] == b[1] for a, b in zip(pieces, pieces[1:]))  # contiguous, no gap or overlap
    for source, first, stop in pieces:
        assert first < stop
        if source == "year":
            assert unit == "year" and (first.month, first.day, stop.month, stop.day) == (1, 1, 1, 1)
        elif source == "month":
            assert unit != "week" and first.day == 1 and stop.day == 1
    if unit == "week":
        assert [p[0] for p in pieces] == ["events"]


def test_count_pieces_use_the_coarsest_whole_periods():
    assert count_pieces(date(2019, 6, 15), date(2025, 3, 10), "year") == [
        ("events", date(2019, 6, 15), date(2019, 7, 1)),
        ("month", date(2019, 7, 1), date(2020, 1, 1)),
        ("year", date(2020, 1, 1), date(2025, 1, 1)),
        ("month", date(2025, 1, 1), date(2025, 3, 1)),
        ("events", date(2025, 3, 1), date(2025, 3, 11)),
    ]
    assert count_pieces(date(2024, 1, 1), date(2024, 12, 31), "month") == [
        ("month", date(2024, 1, 1), date(2025, 1, 1))]
    assert count_pieces(None, date(2024, 1, 1), "year") == []
    assert count_pieces(date(2024, 1, 1), date(9999, 12, 31), "year") == []


def test_mark_glyphs_are_numbers_only_svg():
    circle = Mark(x=10.5, y=20, kind="planned", href="/e", title="t", radius=3.25)
    cross = Mark(x=10.5, y=20, kind="negated", href="/e", title="t", radius=4.5)
    assert str(circle.glyph) == '<circle class="glyph" cx="10.5" cy="20.0" r="3.25"></circle>'
    assert str(cross.glyph) == '<path class="glyph" d="M6.0,15.5L15.0,24.5M6.0,24.5L15.0,15.5"></path>'
