"""The pure parts of the operator commands: what a retag selects, the progress line, argument parsing."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest

from commands.cli import _parser
from commands.retag import Selection
from newsflow.progress import Progress


def test_a_selection_is_named_by_what_it_selects() -> None:
    assert Selection().key == "all"
    assert Selection("published", date(2023, 1, 1), date(2023, 12, 31)).key == "published 2023-01-01..2023-12-31"
    assert Selection("stored", date(2024, 2, 1)).key == "stored 2024-02-01.."


def test_a_date_range_is_whole_utc_days_both_ends_included() -> None:
    _, params = Selection("published", date(2023, 12, 1), date(2023, 12, 18)).condition()
    assert params == [datetime(2023, 12, 1, tzinfo=UTC), datetime(2023, 12, 19, tzinfo=UTC)]
    assert Selection().condition()[1] == []
    assert Selection("stored", None, date(2024, 1, 1)).condition()[1] == [datetime(2024, 1, 2, tzinfo=UTC)]


def test_progress_off_a_terminal_prints_plain_lines() -> None:
    out = io.StringIO()
    progress = Progress("retag", total=200, stream=out, every_s=0.0)
    progress.advance(50)
    progress.advance(150)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("retag: 50/200 (25%)") and "\r" not in out.getvalue()
    assert lines[-1].startswith("retag: 200/200 (100%)")


def test_progress_on_a_terminal_draws_a_bar_in_place() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    progress = Progress("retag", total=10, done=5, stream=out)
    progress.finish()
    assert out.getvalue().startswith("\rretag: [" + "#" * 15 + "." * 15 + "] 5/10 (50%)")


def test_replay_and_dlq_arguments() -> None:
    args = _parser().parse_args(["replay", "news.articles.raw", "--from-time", "2024-03-01T10:00", "--partition", "2"])
    assert args.from_time == datetime(2024, 3, 1, 10, tzinfo=UTC) and args.partition == [2]
    assert _parser().parse_args(["dlq", "replay", "--offset", "3:17"]).offset == [(3, 17)]
    with pytest.raises(SystemExit):
        _parser().parse_args(["dlq", "replay", "--offset", "17"])
    with pytest.raises(SystemExit):  # a start is required
        _parser().parse_args(["replay", "news.articles.raw"])
    with pytest.raises(SystemExit):  # --all or --since
        _parser().parse_args(["retag"])
