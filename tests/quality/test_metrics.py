"""Every answer-quality metric on small hand-made cases whose right figure is known."""

from __future__ import annotations

import pytest

from assistant.models import Answer
from assistant.quality.metrics import (
    citation_precision_recall,
    citation_problems,
    contains_answer,
    first_sentence,
    normalize,
    percentile,
    retrieval_rank,
    statements,
)
from tests.support import ARTICLE, GOLD_DENIAL, S1, S2, S3, S4, SENT1, SENT2, TEXTS, cite


def test_normalize_is_squad_style():
    assert normalize("The “Groundless Rumors.”") == "groundless rumors"
    assert normalize("approximately 1,500 North Korean special-forces") == \
        "approximately 1500 north korean special forces"
    assert normalize("an NIS report") == "nis report"


def test_an_answer_must_appear_as_whole_words():
    assert contains_answer(["North Korea"], ["north korea has denied it"])
    assert contains_answer(["1,500"], [None, "About 1500 troops"])
    assert not contains_answer(["NIS"], ["The NISSAN plant"])
    assert not contains_answer(["Korea"], [None, ""])


def test_statements_end_at_their_markers():
    text = "North Korea — It denied it. [1] Seoul said so. [2][3] Unmarked tail."
    assert statements(text) == [("North Korea — It denied it.", [1]),
                                ("Seoul said so.", [2, 3]), ("Unmarked tail.", [])]
    assert first_sentence(text) == "North Korea — It denied it."


def test_citation_problems_catch_bad_markers_quotes_and_articles():
    good = Answer("q", "A [1] B [2]", None, False, (SENT1, SENT2))
    assert citation_problems(good, TEXTS.get) == []
    out_of_range = Answer("q", "A [1] B [3]", None, False, (SENT1, SENT2))
    assert citation_problems(out_of_range, TEXTS.get) == ["[3] resolves to no citation"]
    shifted = cite(1, S1 + 1, S2, quote=SENT1.quote)
    assert citation_problems(Answer("q", "A [1]", None, False, (shifted,)), TEXTS.get) == [
        f"[1] quote is not the article text at {S1 + 1}–{S2}"]
    reworded = cite(1, S1, S2 - 1, quote="North Korea rejected sending troops.")
    assert len(citation_problems(Answer("q", "A [1]", None, False, (reworded,)),
                                 TEXTS.get)) == 1
    ghost = cite(1, 0, 5, doc="missing.txt", quote="North")
    assert citation_problems(Answer("q", "A [1]", None, False, (ghost,)), TEXTS.get) == [
        "[1] cites an unknown article 'missing.txt'"]


def test_citation_precision_and_recall_against_gold_evidence():
    answer = Answer("q", "Denied. [1] Count. [2] Tail.", None, False, (SENT1, SENT2))
    assert citation_precision_recall(answer, GOLD_DENIAL) == (0.5, pytest.approx(1 / 3))
    both = Answer("q", "Denied. [1][2]", None, False, (SENT1, SENT2))
    assert citation_precision_recall(both, GOLD_DENIAL) == (0.5, 1.0)
    partial_overlap = [("a.txt", S1 + 5, S1 + 12)]  # gold inside the quote still counts
    assert citation_precision_recall(Answer("q", "D. [1]", None, False, (SENT1,)),
                                     partial_overlap) == (1.0, 1.0)
    other_doc = [("b.txt", S1, S2 - 1)]
    assert citation_precision_recall(Answer("q", "D. [1]", None, False, (SENT1,)),
                                     other_doc) == (0.0, 0.0)


def test_retrieval_rank_and_percentile():
    passages = [("a.txt", S3, S4 - 1), ("a.txt", 0, S2 - 1), ("a.txt", S1, len(ARTICLE))]
    assert retrieval_rank(passages, GOLD_DENIAL) == 2
    assert retrieval_rank(passages[:1], GOLD_DENIAL) is None
    assert percentile([5, 1, 3, 2, 4], 0.5) == 3
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([], 0.5) == 0.0
