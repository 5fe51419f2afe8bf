"""The evaluation reports: JSON, Markdown and the chart hold every figure and failed case."""

from __future__ import annotations

import json

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
