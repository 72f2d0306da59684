"""The tagger against the hand-labelled gold set (relabelled to enrich/gold/CONVENTION.md): scores may only go up.

The floors are the scores reached when they were last raised, rounded down
to 0.01; raise them when the tagger improves (``python -m enrich.eval``).
"""

from pathlib import Path

import pytest

from enrich.eval import GOLD_PATH, Score, evaluate, format_report

TRIPLE_F1_FLOOR = 0.90
PRODUCER_F1_FLOOR = 0.88

pytestmark = pytest.mark.skipif(not GOLD_PATH.exists(), reason="gold set not present")


@pytest.fixture(scope="module")
def report():
    return evaluate()


def test_triple_f1_does_not_regress(report):
    assert report.articles >= 100
    assert report.triples.f1 >= TRIPLE_F1_FLOOR, format_report(report)


def test_producer_f1_does_not_regress(report):
    assert report.producers.f1 >= PRODUCER_F1_FLOOR, format_report(report)


def test_report_lists_every_action_and_overall(report):
    text = format_report(report)
    for action in report.per_action:
        assert action in text
    assert "overall" in text and "producers" in text


def test_default_path_is_the_packaged_gold_set(report):
    assert Path(report.path) == GOLD_PATH


def test_score_arithmetic():
    score = Score()
    score.add({"a", "b", "x"}, {"a", "b", "c"}, ignore={"x"})
    assert (score.tp, score.fp, score.fn) == (2, 0, 1)
    assert round(score.f1, 3) == 0.8
