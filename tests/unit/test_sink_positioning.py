"""Where the sink starts a partition: the pure decision (issue 8, item 1)."""

from __future__ import annotations

from sinks.positioning import Start, StoredOffset, choose_start

TOPIC_ID = "01a23bdf-bf3b-7540-a213-fed9320dbe9f"


def _never_asked(offset: int) -> bool:
    raise AssertionError(f"the log was probed at {offset} though the reported end covers it")


def test_no_stored_offset_starts_at_the_beginning_without_doubt() -> None:
    assert choose_start(None, TOPIC_ID, 0, 100, _never_asked) == Start(None)


def test_the_same_log_resumes_at_the_stored_offset() -> None:
    assert choose_start(StoredOffset(40, TOPIC_ID), TOPIC_ID, 0, 100, _never_asked) == Start(40)
    assert choose_start(StoredOffset(100, TOPIC_ID), TOPIC_ID, 0, 100, _never_asked) == Start(100)


def test_a_new_topic_id_replays_even_when_the_offset_is_in_range() -> None:
    start = choose_start(StoredOffset(40, "old-id"), TOPIC_ID, 0, 100, _never_asked)
    assert start.offset is None and start.replay
    assert "topic id changed from old-id" in (start.doubt or "")


def test_a_row_without_a_topic_id_is_in_doubt() -> None:
    # Written before topic ids were recorded: which log it came from is unknown.
    start = choose_start(StoredOffset(40, ""), TOPIC_ID, 0, 100, _never_asked)
    assert start.replay and start.offset is None


def test_an_offset_before_the_log_start_replays_from_the_start() -> None:
    start = choose_start(StoredOffset(5, TOPIC_ID), TOPIC_ID, 10, 100, _never_asked)
    assert start.replay and "before the log start" in (start.doubt or "")


def test_past_the_reported_end_asks_the_log_and_resumes_when_it_holds_the_offset() -> None:
    asked: list[int] = []

    def inside(offset: int) -> bool:
        asked.append(offset)
        return False

    # Tansu said 1747 where the log really ended at 1750 (docs/tansu-end-offsets.md).
    assert choose_start(StoredOffset(1750, TOPIC_ID), TOPIC_ID, 0, 1747, inside) == Start(1750)
    assert asked == [1750]


def test_past_the_end_confirmed_by_the_log_replays() -> None:
    start = choose_start(StoredOffset(763, TOPIC_ID), TOPIC_ID, 0, 0, lambda _offset: True)
    assert start.replay and start.offset is None and "past the log end" in (start.doubt or "")
