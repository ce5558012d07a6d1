"""The review asks the least certain texts first, by the signals `correct` selects by, and says why."""

from __future__ import annotations

import review_fixtures as F

from spacy_progner.proggen.correct import CorrectSettings
from spacy_progner.review.rank import priority, rank


def test_disagreements_and_proposals_come_first_then_low_log_prob_then_the_rest():
    order = [x["id"] for x, _ in rank(F.corpus())]
    # t1: two disagreements and a proposal; t4: one disagreement; t2: a log-prob below the threshold;
    # t0 and t3: nothing flagged, t0's lowest confidence (0.62) before t3 (no entity)
    assert order == ["t1", "t4", "t2", "t0", "t3"]


def test_each_text_says_why_it_was_picked():
    reasons = {x["id"]: p.reason() for x, p in rank(F.corpus())}
    assert reasons["t1"] == "2 disagreements with the cross-check, 1 student proposal, lowest confidence 0.31"
    assert reasons["t2"] == "1 entity below the log-prob threshold, lowest confidence 0.41"
    assert reasons["t3"] == "no entity and no signal"


def test_the_threshold_of_the_correct_settings_decides_what_counts_as_low_log_prob():
    t2 = F.corpus()[2]
    assert priority(t2).flagged == 1
    assert priority(t2, CorrectSettings(threshold=-1.0)).flagged == 0


def test_ties_keep_corpus_order():
    rows = [{"id": f"x{i}", "sentence": "a b", "entities": []} for i in range(4)]
    assert [x["id"] for x, _ in rank(rows)] == ["x0", "x1", "x2", "x3"]
