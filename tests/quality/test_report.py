"""The evaluation reports: JSON, Markdown and the chart hold every figure and failed case."""

from __future__ import annotations

import json

import pytest

from assistant.models import Answer
from assistant.quality.evaluation import score_case
from assistant.quality.report import markdown, report_payload, write_reports
from tests.support import GOLD_DENIAL, TEXTS, case


def test_reports_hold_every_figure_every_failed_case_and_a_chart(tmp_path):
    failed = score_case(case("refused"), Answer("q", "The coverage doesn't say.", None, True),
                        GOLD_DENIAL, TEXTS.get, [], 12.0)
    results = [failed]
    payload = report_payload(results, {"false_refusal_rate": {"max": 0.05}}, golden="g.jsonl",
                             corpus="corpus", settings={})
    assert payload["threshold_failures"] == ["false_refusal_rate 1.0 is above the maximum 0.05"]
    paths = write_reports(tmp_path / "out", payload)
    assert json.loads(paths["json"].read_text())["metrics"]["false_refusal_rate"] == 1.0
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = paths["markdown"].read_text()
    assert "| false_refusal_rate | 1.000 | ≤ 0.05 | FAIL |" in text
    assert "### refused (who)" in text and "refused a question the coverage answers" in text
    assert "**answer_accuracy** (higher is better)" in text
    assert text == markdown(payload)


def test_the_reliability_table_groups_answers_by_confidence():
    from assistant.quality.report import reliability

    cases = [{"refused": False, "confidence": 0.92, "correct": True},
             {"refused": False, "confidence": 0.95, "correct": False},
             {"refused": False, "confidence": 0.15, "correct": False},
             {"refused": True, "confidence": 0.05, "correct": False},
             {"refused": False, "confidence": None, "correct": True}]
    table = reliability(cases)
    assert [(b["from"], b["n"], b["observed_right"]) for b in table] == [(0.1, 1, 0.0),
                                                                          (0.9, 2, 0.5)]
    assert table[1]["mean_confidence"] == pytest.approx(0.935)
