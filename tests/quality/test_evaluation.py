"""Scoring each golden case and summing the figures up, on hand-made cases."""

from __future__ import annotations

import pytest

from assistant.models import Answer
from assistant.quality import evaluation
from assistant.quality.evaluation import score_case, summarize
from tests.support import GOLD_DENIAL, S1, S2, S3, S4, SENT1, SENT2, TEXTS, case, cite


def test_summary_figures_on_known_cases():
    right = score_case(case("right"), Answer("q", "North Korea denied it. [1]", "North Korea",
                                            False, (SENT1,)), GOLD_DENIAL, TEXTS.get,
                       [("a.txt", 0, S2 - 1)], 10.0)
    wrong = score_case(case("wrong"), Answer("q", "Seoul said 1,500 troops went. [2]", "Seoul",
                                            False, (SENT2,)), GOLD_DENIAL, TEXTS.get,
                       [("a.txt", S2, S3), ("a.txt", S3, S4), ("a.txt", S1, S2)], 20.0)
    wrong_refusal = score_case(case("refused"), Answer("q", "The coverage doesn't say.", None,
                                                      True), GOLD_DENIAL, TEXTS.get, [], 30.0)
    not_verbatim = score_case(case("forged", category="what"), Answer(
        "q", "North Korea denied it. [1]", None, False,
        (cite(1, S1, S2 - 1, quote="North Korea refused it."),)), GOLD_DENIAL, TEXTS.get,
        [("a.txt", 0, S2)], 40.0)
    refused_ok = score_case(case("absent", answerable=False, category="absent"), Answer(
        "q", "The coverage doesn't say.", None, True), [], TEXTS.get, [], 50.0)
    answered_bad = score_case(case("invented", answerable=False, category="absent"), Answer(
        "q", "Seoul said 1,500 troops went. [2]", None, False, (SENT2,)), [], TEXTS.get, [],
        60.0)
    results = [right, wrong, wrong_refusal, not_verbatim, refused_ok, answered_bad]
    m = summarize(results)
    assert (m["cases"], m["answerable"], m["unanswerable"], m["passed"]) == (6, 4, 2, 2)
    assert m["answer_accuracy"] == 0.5  # right and forged (its first sentence names it)
    assert m["short_answer_precision"] == 0.5  # "North Korea" right, "Seoul" wrong
    assert m["citation_validity"] == 0.75  # of 4 answered cases, the forged quote fails
    assert m["citation_precision"] == m["citation_recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["retrieval_hit_at_1"] == 0.5 and m["retrieval_hit_at_k"] == 0.75
    assert m["retrieval_mrr"] == pytest.approx((1 + 1 / 3 + 0 + 1) / 4, abs=1e-4)
    assert m["refusal_rate"] == 0.5 and m["false_refusal_rate"] == 0.25
    assert m["latency_p50_ms"] == 30.0 and m["latency_p95_ms"] == 60.0
    assert wrong_refusal.failures == ["refused a question the coverage answers"]
    assert answered_bad.failures == ["answered a question the coverage does not answer"]
    assert any("not the article text" in f for f in not_verbatim.failures)
    categories = evaluation.by_category(results)
    assert categories["absent"]["refusal_rate"] == 0.5
    assert categories["who"]["answer_accuracy"] == pytest.approx(1 / 3, abs=1e-4)


def test_a_question_of_parts_is_right_only_when_every_part_is_answered():
    from assistant.quality.golden import GoldenCase

    two_parts = GoldenCase("parts", "Who denied it, and how many troops went?", "multi_part",
                           True, ("North Korea",), (), parts=(("North Korea",), ("1,500",)))
    gold = GOLD_DENIAL + [("a.txt", S2, S3 - 1)]
    both = score_case(two_parts, Answer("q", "North Korea denied sending troops. [1] Seoul "
                                             "said 1,500 troops went. [2]", "North Korea",
                                        False, (SENT1, SENT2)), gold, TEXTS.get, [], 1.0)
    one = score_case(two_parts, Answer("q", "North Korea denied sending troops. [1]",
                                       "North Korea", False, (SENT1,)), gold, TEXTS.get, [], 1.0)
    assert both.correct and not one.correct
    assert both.expected == ["North Korea; 1,500"]
    # A citation number is no answer: "[1]" does not answer a part whose answer is "1".
    counted = GoldenCase("n", "How many?", "multi_part", True, ("1",), (), parts=(("1",),))
    assert not score_case(counted, Answer("q", "Seoul said it. [1]", None, False, (SENT2,)),
                          gold, TEXTS.get, [], 1.0).correct
