"""The learned check (enrich/learned.py) and its training (enrich/train.py).

The check is off by default (it scored lower than the rules on the first-run
batches final3-final6); these tests keep it honest for whoever turns it on.
"""

from __future__ import annotations

import json

from enrich.learned import MODEL_PATH, Model, load_model
from enrich.tagger import event_candidates, tag
from enrich.train import examples, fit, load_rows, predict, score


def test_the_wide_net_proposes_what_the_rules_miss():
    found = event_candidates("Kestrel Metals, which runs two smelters, has seen production slump this year.")
    assert [(c.source, c.event.actor, c.event.action) for c in found] == [("net", "Kestrel Metals", "output_cut")]
    assert found[0].features["net:output_cut"] == 1.0 and found[0].features["bias"] == 1.0


def test_the_wide_net_names_a_price_move_after_its_market():
    found = event_candidates("Copper was quoted 2% higher on the LME on Tuesday.")
    assert [(c.source, c.event.actor, c.event.action) for c in found] == [("net", "copper", "price_rise")]


def test_a_rule_event_is_not_proposed_twice():
    found = event_candidates("Boreal Mining said copper production at its Kestrel mine fell 12% in May.")
    assert [(c.source, c.event.actor, c.event.action) for c in found] == [("rule", "Boreal Mining", "output_cut")]


def test_the_model_drops_rule_events_below_its_threshold_and_adds_net_events_above_it():
    text = "Boreal Mining said copper production at its Kestrel mine fell 12% in May. Kestrel Metals has seen its mines idle for weeks."
    trusting_the_net = Model({"net:output_cut": 5.0, "rule:output_cut": -5.0}, rule_threshold=0.5, net_threshold=0.5)
    events = tag(text, model=trusting_the_net).events
    assert [(e.actor, e.action) for e in events] == [("Kestrel Metals", "output_cut")]
    assert events[0].confidence > 0.9


def test_the_rules_stand_alone_by_default():
    text = "Kestrel Metals, which runs two smelters, has seen production slump this year."
    assert tag(text).events == [] == tag(text, model=None).events
    assert [e.action for e in tag(text, model=Model({"bias": 5.0}, 0.5, 0.5)).events] == ["output_cut"]


def test_retraining_on_the_shipped_rows_gives_the_shipped_weights():
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert fit(examples(load_rows())) == shipped["weights"]
    assert load_model() is not None


def test_scores_count_optional_events_neither_for_nor_against():
    record = {
        "gold": [["a", "sales", False]],
        "optional": [["b", "sales", False]],
        "candidates": [
            {"source": "rule", "triple": ["a", "sales", False], "features": {}},
            {"source": "rule", "triple": ["b", "sales", False], "features": {}},
            {"source": "net", "triple": ["c", "sales", False], "features": {}},
        ],
    }
    predicted = predict(record, {}, None, None)
    assert predicted == {("a", "sales", False), ("b", "sales", False)}
    assert score([record], [predicted]) == {"P": 1.0, "R": 1.0, "F1": 1.0, "false_articles": 0, "articles": 1}
