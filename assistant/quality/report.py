"""The answer-quality suite's outputs: ``eval.json`` (every figure and case), ``report.md``
(summary, definitions, per-category table, every failed case) and ``chart.png``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.quality.evaluation import CaseResult, by_category, case_dicts, summarize
from assistant.quality.golden import threshold_failures
from assistant.quality.metrics import METRICS

CATEGORY_COLUMNS = ("answer_accuracy", "citation_precision", "citation_recall",
                    "retrieval_hit_at_k", "refusal_rate", "false_refusal_rate")


def report_payload(results: Sequence[CaseResult], thresholds: dict[str, dict[str, float]],
                   golden: str, corpus: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Everything ``eval.json`` holds: every metric, per category, the threshold failures and
    every case."""
    metrics = summarize(results)
    failures = threshold_failures(metrics, thresholds)
    return {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "golden": golden, "corpus": corpus, "settings": settings,
        "metrics": metrics, "categories": by_category(results), "thresholds": thresholds,
        "threshold_failures": [f.message for f in failures],
        "failing_metrics": [f.metric for f in failures],
        "cases": case_dicts(results),
    }


def write_reports(folder: Path, payload: dict[str, Any]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "eval.json", "markdown": folder / "report.md",
             "chart": folder / "chart.png"}
    paths["json"].write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    write_chart(paths["chart"], payload)
    paths["markdown"].write_text(markdown(payload), encoding="utf-8")
    return paths


def summary_table(payload: dict[str, Any]) -> str:
    rows = ["| metric | value | threshold | status |", "|---|---|---|---|"]
    failing = set(payload.get("failing_metrics", []))
    for name in METRICS:
        value = payload["metrics"].get(name)
        if value is None and name.startswith("llm_"):
            continue  # a run without a model
        bound = payload.get("thresholds", {}).get(name, {})
        limit = " ".join(f"{'≥' if k == 'min' else '≤'} {v}" for k, v in bound.items())
        status = "" if not bound else ("FAIL" if name in failing else "ok")
        rows.append(f"| {name} | {_fmt(value)} | {limit} | {status} |")
    return "\n".join(rows)


def markdown(payload: dict[str, Any]) -> str:
    m = payload["metrics"]
    out = [
        "# Answer-quality report", "",
        f"Golden set `{payload['golden']}`: {m['cases']} cases ({m['answerable']} answerable, "
        f"{m['unanswerable']} not), {m['passed']} passed every check. Corpus "
        f"`{payload['corpus']}`. Generated {payload['generated']}.", "",
        "## Summary", "", summary_table(payload), "",
    ]
    if payload.get("threshold_failures"):
        out += ["**Below thresholds:** " + "; ".join(payload["threshold_failures"]), ""]
    out += ["## What each metric means", ""]
    out += [f"- **{name}** ({better} is better): {text}" for name, (better, text) in
            METRICS.items()]
    out += ["", "## By category", "",
            "| category | cases | passed | " + " | ".join(CATEGORY_COLUMNS) + " |",
            "|---" * (len(CATEGORY_COLUMNS) + 3) + "|"]
    for name, stats in sorted(payload["categories"].items()):
        cells = " | ".join(_fmt(stats.get(column)) for column in CATEGORY_COLUMNS)
        out.append(f"| {name} | {stats['cases']} | {stats['passed']} | {cells} |")
    failed = [c for c in payload["cases"] if c["failures"]]
    out += ["", f"## Failed cases ({len(failed)})", ""]
    for case in failed:
        expected = " / ".join(case["expected"]) if case["answerable"] else "a refusal"
        got = "a refusal" if case["refused"] else f"short answer {case['short_answer']!r}"
        out += [f"### {case['id']} ({case['category']})", "",
                f"- question: {case['question']}", f"- expected: {expected}",
                f"- got: {got}: {case['answer']}"]
        out += [f"- quote [{n}]: “{quote}”" for n, quote in enumerate(case["quotes"], start=1)]
        if case.get("fallback"):
            out.append(f"- the model's answer was not used: {case['fallback']}")
        out += [f"- left out by the check: “{d['text']}” ({d['reason']})"
                for d in case.get("dropped", [])]
        out += [f"- why: {'; '.join(case['failures'])}", ""]
    out += ["## Reliability", "",
            "Answers given, by the answerer's confidence that they are right, against how "
            "many were right (an answer to an unanswerable question is wrong):", "",
            "| confidence | answers | mean confidence | right |", "|---|---|---|---|"]
    out += [f"| {b['from']:.1f}–{b['to']:.1f} | {b['n']} | {b['mean_confidence']:.3f} | "
            f"{b['observed_right']:.3f} |" for b in reliability(payload["cases"])]
    out += ["", "![Scores by category, latency and reliability](chart.png)", ""]
    return "\n".join(out)


def reliability(cases: list[dict[str, Any]], bins: int = 10) -> list[dict[str, Any]]:
    """Answered cases grouped by confidence: how sure the answerer was, how often it was
    right."""
    answered = [c for c in cases if not c["refused"] and c.get("confidence") is not None]
    out = []
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        inside = [c for c in answered
                  if low <= c["confidence"] < high or (index == bins - 1 and
                                                       c["confidence"] == 1.0)]
        if inside:
            out.append({"from": low, "to": high, "n": len(inside),
                        "mean_confidence": sum(c["confidence"] for c in inside) / len(inside),
                        "observed_right": sum(bool(c["correct"]) for c in inside) /
                        len(inside)})
    return out


def write_chart(path: Path, payload: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    categories = sorted(payload["categories"])
    columns = ("answer_accuracy", "citation_precision", "citation_recall", "refusal_rate")
    figure, (bars, histogram, curve) = plt.subplots(1, 3, figsize=(17, 4.8),
                                                    gridspec_kw={"width_ratios": [2.2, 1, 1]})
    width = 0.8 / len(columns)
    for offset, column in enumerate(columns):
        values = [payload["categories"][c].get(column) for c in categories]
        positions = [i + offset * width for i in range(len(categories))]
        bars.bar(positions, [v if v is not None else 0 for v in values], width, label=column)
    bars.set_xticks([i + 0.4 - width / 2 for i in range(len(categories))], categories,
                    rotation=30, ha="right")
    bars.set_ylim(0, 1.05)
    bars.set_title("Scores by category (no bar: not applicable)")
    bars.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=len(columns))
    latencies = [c["latency_ms"] for c in payload["cases"]]
    histogram.hist(latencies, bins=20, color="#4a78b5")
    histogram.set_title(f"Latency per question (p50 {payload['metrics']['latency_p50_ms']} ms)")
    histogram.set_xlabel("milliseconds")
    histogram.set_ylabel("questions")
    points = reliability(payload["cases"])
    curve.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1)
    curve.plot([b["mean_confidence"] for b in points], [b["observed_right"] for b in points],
               marker="o", color="#4a78b5")
    curve.set_xlim(0, 1)
    curve.set_ylim(0, 1.05)
    curve.set_title("Reliability of the answers given")
    curve.set_xlabel("confidence")
    curve.set_ylabel("share right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
