"""`assistant eval` as evaluators run it: the full golden set on the seed corpus must meet the
thresholds in evals/ (this is the quality gate of `make test`), and the suite runs on any corpus
and golden file."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support import FIXTURES, PROJECT_ROOT
from tests.test_cli import run

EVALS = PROJECT_ROOT / "evals"


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """The shipped golden set on a copy of the shipped corpus, ingested from scratch."""
    root = tmp_path_factory.mktemp("eval")
    corpus = root / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    done = run("eval", "--corpus", str(corpus), "--index", str(root / "index"), "--reports",
               str(root / "reports"))
    return root, done


def test_the_golden_set_meets_every_threshold(full_run):
    root, done = full_run
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((root / "reports" / "eval.json").read_text())
    thresholds = json.loads((EVALS / "thresholds.json").read_text())
    for name, bound in thresholds.items():
        value = report["metrics"][name]
        assert value >= bound.get("min", value) and value <= bound.get("max", value), name
    assert report["metrics"]["cases"] == len((EVALS / "golden.jsonl").read_text().splitlines())
    assert report["metrics"]["cases"] >= 80
    assert {c["category"] for c in report["cases"]} >= {
        "who", "what", "when", "where", "how_many", "why", "paraphrase", "noisy", "followup",
        "unanswerable", "out_of_scope", "injection"}
    assert "| answer_accuracy |" in done.stdout
    markdown = (root / "reports" / "report.md").read_text()
    assert "## Failed cases" in markdown and "## By category" in markdown
    assert (root / "reports" / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_compare_shows_what_changed(full_run, tmp_path):
    root, _ = full_run
    old = json.loads((root / "reports" / "eval.json").read_text())
    old["metrics"]["answer_accuracy"] = 0.5
    old["cases"][0]["failures"] = ["made up for the comparison"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    done = run("eval", "--corpus", str(root / "corpus"), "--index", str(root / "index"),
               "--reports", str(tmp_path / "new"), "--compare", str(tmp_path / "old.json"))
    assert done.returncode == 0, done.stderr
    assert "better  answer_accuracy: 0.5 ->" in done.stdout
    assert f"case {old['cases'][0]['id']} now passes" in done.stdout


def test_an_evaluator_brings_a_corpus_golden_file_and_thresholds(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / "boilerplate.html", corpus)
    golden = tmp_path / "mine.jsonl"
    cases = [
        {"id": "b1", "question": "How many corroded plates did engineers replace?",
         "category": "how_many", "answerable": True, "answers": ["340"],
         "evidence": ["Engineers replaced 340 corroded plates and repainted the main span, at "
                      "a cost of 12 million dollars, according to the department."]},
        {"id": "b2", "question": "Who designed the original bridge in 1932?",
         "category": "unanswerable", "answerable": False},
    ]
    golden.write_text("".join(json.dumps(c) + "\n" for c in cases))
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"answer_accuracy": {"min": 1.0},
                                  "latency_p95_ms": {"max": 0.001}}))
    done = run("eval", "--corpus", str(corpus), "--index", str(tmp_path / "index"),
               "--golden", str(golden), "--thresholds", str(strict), "--reports",
               str(tmp_path / "reports"))
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((tmp_path / "reports" / "eval.json").read_text())
    assert report["metrics"]["cases"] == 2 and report["metrics"]["answer_accuracy"] == 1.0
    assert report["metrics"]["refusal_rate"] == 1.0
    assert done.stderr.splitlines()[-1].startswith(
        "assistant: quality below threshold: latency_p95_ms ")
    assert "answer_accuracy" not in done.stderr


def test_a_broken_golden_file_is_one_line(tmp_path):
    golden = tmp_path / "bad.jsonl"
    golden.write_text('{"id": "x", "question": "q"}\n')
    done = run("eval", "--golden", str(golden), "--reports", str(tmp_path / "r"), "--index",
               str(tmp_path / "index"))
    assert done.returncode == 2
    assert done.stderr == "assistant: bad.jsonl line 1: 'category' must be a str\n"
    assert not (tmp_path / "r").exists() and not (tmp_path / "index").exists()


def test_the_golden_evidence_is_verbatim_in_the_corpus():
    articles = {p.name: p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "corpus").glob(
        "*.txt")}
    for line in (EVALS / "golden.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        for sentence in case.get("evidence", []):
            assert any(sentence in text for text in articles.values()), (case["id"], sentence)
        assert case["answerable"] == bool(case.get("answers")), case["id"]
