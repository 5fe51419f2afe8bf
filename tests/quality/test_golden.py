"""The golden set and its thresholds: loading, errors named by line, verbatim evidence."""

from __future__ import annotations

import json

import pytest

from assistant.quality import evaluation, golden
from assistant.quality.golden import GoldenCase, GoldenError, ThresholdFailure
from tests.support import ARTICLE, S2, S3


def test_thresholds_fail_loudly_and_compare_tells_better_from_worse(tmp_path):
    bounds = tmp_path / "t.json"
    bounds.write_text(json.dumps({"answer_accuracy": {"min": 0.9},
                                  "false_refusal_rate": {"max": 0.05}}))
    thresholds = golden.load_thresholds(bounds)
    assert golden.threshold_failures({"answer_accuracy": 0.95, "false_refusal_rate": 0.0},
                                     thresholds) == []
    assert golden.threshold_failures({"answer_accuracy": 0.85, "false_refusal_rate": 0.1},
                                     thresholds) == [
        ThresholdFailure("answer_accuracy", "answer_accuracy 0.85 is below the minimum 0.9"),
        ThresholdFailure("false_refusal_rate",
                         "false_refusal_rate 0.1 is above the maximum 0.05")]
    bounds.write_text(json.dumps({"accuracy": {"min": 0.9}}))
    with pytest.raises(GoldenError, match="'accuracy' needs a known metric"):
        golden.load_thresholds(bounds)
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
    path = tmp_path / "golden.jsonl"
    path.write_text('{"id": "ok", "question": "q", "category": "c", "answerable": false}\n'
                    + line + "\n")
    with pytest.raises(GoldenError, match=f"golden.jsonl line 2: {message}"):
        golden.load_golden(path)


def test_duplicate_ids_and_invented_evidence_are_errors(tmp_path):
    path = tmp_path / "golden.jsonl"
    path.write_text('{"id": "a", "question": "q", "category": "c", "answerable": false}\n' * 2)
    with pytest.raises(GoldenError, match="line 2: duplicate id 'a'"):
        golden.load_golden(path)
    from assistant.models import Article

    article = Article("a.txt", "a.txt", "T", ARTICLE, "h")
    invented = GoldenCase("x", "q", "who", True, ("NK",), ("North Korea sent troops.",))
    with pytest.raises(GoldenError, match="case x: evidence is not verbatim"):
        golden.locate_evidence([invented], [article])
    real = GoldenCase("y", "q", "who", True, ("NK",), ("Seoul said 1,500 troops went.",))
    assert golden.locate_evidence([real], [article]) == {"y": [("a.txt", S2, S3 - 1)]}


def test_parts_are_read_and_a_broken_parts_field_is_named(tmp_path):
    path = tmp_path / "golden.jsonl"
    path.write_text('{"id": "a", "question": "Who and how many?", "category": "multi_part", '
                    '"answerable": true, "answers": ["NK"], "evidence": ["NK did."], '
                    '"parts": [["NK"], ["5", "five"]]}\n')
    assert golden.load_golden(path)[0].parts == (("NK",), ("5", "five"))
    path.write_text('{"id": "a", "question": "q", "category": "c", "answerable": true, '
                    '"answers": ["NK"], "evidence": ["NK did."], "parts": [[]]}\n')
    with pytest.raises(GoldenError, match="line 1: 'parts' must be a list of non-empty lists"):
        golden.load_golden(path)
