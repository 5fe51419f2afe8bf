"""Every answer-quality metric on small hand-made cases whose right figure is known."""

from __future__ import annotations

import json

import pytest

from assistant.quality import evaluation
from assistant.quality.report import markdown, write_reports
from assistant.quality.evaluation import GoldenCase, GoldenError, score_case, summarize
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
from assistant.models import Answer, Citation

ARTICLE = ("North Korea denied sending troops. Seoul said 1,500 troops went. "
           "Analysts were not surprised. The UN met on Monday.")
S1, S2, S3, S4 = (ARTICLE.find(s) for s in ("North Korea denied", "Seoul said", "Analysts",
                                            "The UN"))
TEXTS = {"a.txt": ARTICLE}


def cite(n: int, start: int, end: int, doc: str = "a.txt", quote: str | None = None) -> Citation:
    text = TEXTS.get(doc, "")
    return Citation(n, doc, "T", "", "", "", "c1", text[start:end] if quote is None else quote,
                    start, end)


SENT1 = cite(1, S1, S2 - 1)  # "North Korea denied sending troops."
SENT2 = cite(2, S2, S3 - 1)  # "Seoul said 1,500 troops went."
SENT3 = cite(3, S3, S4 - 1)  # "Analysts were not surprised."
GOLD_DENIAL = [("a.txt", S1, S2 - 1)]


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


def case(cid: str, answerable: bool = True, category: str = "who") -> GoldenCase:
    return GoldenCase(cid, "Who denied sending troops?", category, answerable,
                      ("North Korea",) if answerable else (), ())


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


def test_thresholds_fail_loudly_and_compare_tells_better_from_worse(tmp_path):
    bounds = tmp_path / "t.json"
    bounds.write_text(json.dumps({"answer_accuracy": {"min": 0.9},
                                  "false_refusal_rate": {"max": 0.05}}))
    thresholds = evaluation.load_thresholds(bounds)
    assert evaluation.threshold_failures({"answer_accuracy": 0.95, "false_refusal_rate": 0.0},
                                         thresholds) == []
    assert evaluation.threshold_failures({"answer_accuracy": 0.85, "false_refusal_rate": 0.1},
                                         thresholds) == [
        "answer_accuracy 0.85 is below the minimum 0.9",
        "false_refusal_rate 0.1 is above the maximum 0.05"]
    bounds.write_text(json.dumps({"accuracy": {"min": 0.9}}))
    with pytest.raises(GoldenError, match="'accuracy' needs a known metric"):
        evaluation.load_thresholds(bounds)
    old = {"metrics": {"answer_accuracy": 0.8, "false_refusal_rate": 0.0},
           "cases": [{"id": "a", "failures": ["x"]}, {"id": "b", "failures": []}]}
    new = {"metrics": {"answer_accuracy": 0.9, "false_refusal_rate": 0.1},
           "cases": [{"id": "a", "failures": []}, {"id": "b", "failures": ["refused"]}]}
    assert evaluation.compare(old, new) == [
        "better  answer_accuracy: 0.8 -> 0.9", "worse   false_refusal_rate: 0.0 -> 0.1",
        "case a now passes", "case b now fails: refused"]


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "x", "question": "q", "category": "who", "answerable": true', "invalid JSON"),
    ('{"id": "x", "category": "who", "answerable": false}', "'question' must be a str"),
    ('{"id": "x", "question": "q", "category": "who", "answerable": true, "answers": ["a"]}',
     "an answerable case needs 'answers' and 'evidence'"),
    ('{"id": "x", "question": "q", "category": "c", "answerable": false, "history": ["hi"]}',
     "'history' must be a list of dicts"),
])
def test_a_broken_golden_line_is_named(tmp_path, line, message):
    golden = tmp_path / "golden.jsonl"
    golden.write_text('{"id": "ok", "question": "q", "category": "c", "answerable": false}\n'
                      + line + "\n")
    with pytest.raises(GoldenError, match=f"golden.jsonl line 2: {message}"):
        evaluation.load_golden(golden)


def test_duplicate_ids_and_invented_evidence_are_errors(tmp_path):
    golden = tmp_path / "golden.jsonl"
    golden.write_text('{"id": "a", "question": "q", "category": "c", "answerable": false}\n' * 2)
    with pytest.raises(GoldenError, match="line 2: duplicate id 'a'"):
        evaluation.load_golden(golden)
    from assistant.models import Article

    article = Article("a.txt", "a.txt", "T", ARTICLE, "h")
    invented = GoldenCase("x", "q", "who", True, ("NK",), ("North Korea sent troops.",))
    with pytest.raises(GoldenError, match="case x: evidence is not verbatim"):
        evaluation.locate_evidence([invented], [article])
    real = GoldenCase("y", "q", "who", True, ("NK",), ("Seoul said 1,500 troops went.",))
    assert evaluation.locate_evidence([real], [article]) == {"y": [("a.txt", S2, S3 - 1)]}


def test_reports_hold_every_figure_every_failed_case_and_a_chart(tmp_path):
    failed = score_case(case("refused"), Answer("q", "The coverage doesn't say.", None, True),
                        GOLD_DENIAL, TEXTS.get, [], 12.0)
    results = [failed]
    payload = {"generated": "now", "golden": "g.jsonl", "corpus": "corpus",
               "metrics": summarize(results), "categories": evaluation.by_category(results),
               "thresholds": {"false_refusal_rate": {"max": 0.05}},
               "threshold_failures": ["false_refusal_rate 1.0 is above the maximum 0.05"],
               "cases": evaluation.case_dicts(results)}
    paths = write_reports(tmp_path / "out", payload)
    assert json.loads(paths["json"].read_text())["metrics"]["false_refusal_rate"] == 1.0
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = paths["markdown"].read_text()
    assert "| false_refusal_rate | 1.000 | ≤ 0.05 | FAIL |" in text
    assert "### refused (who)" in text and "refused a question the coverage answers" in text
    assert "**answer_accuracy** (higher is better)" in text
    assert text == markdown(payload)
