"""sinks.clean: text Postgres will accept, caps with a record of what was cut."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from sinks import clean
from sinks.clean import Cleaner


def test_strip_nul_removes_every_nul() -> None:
    assert clean.safe_text("a\x00b\x00") == "ab"


def test_lone_surrogates_become_replacement_characters() -> None:
    assert clean.safe_text("x\ud800y\udfffz") == "x\ufffdy\ufffdz"
    clean.safe_text("\ud800").encode("utf-8")  # encodable now


def test_a_split_surrogate_pair_is_joined_into_its_character() -> None:
    assert clean.safe_text("\ud83d\ude00") == "\U0001f600"


def test_ordinary_text_is_returned_unchanged() -> None:
    text = "Alrosa halted sales — “diamonds” 钻石 \U0001f48e"
    assert clean.safe_text(text) == text
    assert clean.safe_text("plain ascii") == "plain ascii"


def test_cap_utf8_cuts_on_a_character_boundary() -> None:
    value, cut = clean.cap_utf8("é" * 10, 5)  # 2 bytes each
    assert (value, cut) == ("éé", True)
    assert len(value.encode("utf-8")) <= 5


def test_cap_utf8_keeps_text_within_the_limit() -> None:
    assert clean.cap_utf8("abc", 3) == ("abc", False)
    assert clean.cap_utf8("€" * 3, 9) == ("€" * 3, False)


def test_cleaner_records_truncated_fields() -> None:
    cleaner = Cleaner()
    title = cleaner.text("t" * 5000, "title", clean.TITLE_LIMIT)
    text = cleaner.text("short", "text", clean.TEXT_LIMIT)
    assert len(title) == clean.TITLE_LIMIT and text == "short"
    assert cleaner.truncated == ["title"]


def test_cleaner_caps_a_two_megabyte_text_at_one_megabyte() -> None:
    cleaner = Cleaner()
    text = cleaner.text("word " * 400_000, "text", clean.TEXT_LIMIT)
    assert len(text.encode("utf-8")) == clean.TEXT_LIMIT
    assert cleaner.truncated == ["text"]


def test_cleaner_texts_dedupes_drops_empties_and_caps_count() -> None:
    cleaner = Cleaner()
    values = ["India", "India", "\x00", "Russia"] + [f"c{i}" for i in range(20)]
    assert cleaner.texts(values, "countries", 64, 3) == ["India", "Russia", "c0"]
    assert cleaner.truncated == ["countries"]


def test_cleaner_optional_passes_none_through() -> None:
    assert Cleaner().optional(None, "title", 10) is None


def test_offsets_are_clamped_into_int4() -> None:
    cleaner = Cleaner()
    assert cleaner.offset(2**40, "events.end") == clean.INT4_MAX
    assert cleaner.offset(-3, "events.start") == 0
    assert cleaner.truncated == ["events.end", "events.start"]


def test_non_finite_floats_become_none() -> None:
    assert clean.finite(math.nan) is None
    assert clean.finite(math.inf) is None
    assert clean.finite(-math.inf) is None
    assert clean.finite(1.5) == 1.5
    assert clean.finite(None) is None


def test_naive_datetimes_are_taken_as_utc() -> None:
    assert clean.aware(datetime(2023, 12, 18, 14, 5)) == datetime(2023, 12, 18, 14, 5, tzinfo=UTC)
    aware = datetime(2023, 12, 18, tzinfo=UTC)
    assert clean.aware(aware) is aware
    assert clean.aware(None) is None


def test_sql_injection_text_is_just_text() -> None:
    hostile = "'); DROP TABLE articles;-- %s %(x)s $1 ?"
    assert clean.safe_text(hostile) == hostile
