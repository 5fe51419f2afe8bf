"""Golden cases and thresholds: the files the answer-quality suite reads.

A golden file is JSON Lines, one case per line: ``id``, ``question``, ``category``,
``answerable``, and for answerable cases ``answers`` (acceptable answers) and ``evidence`` (the
article sentences that answer, verbatim); ``history`` (earlier turns) is optional, and so is
``parts`` for a question of several parts: one list of acceptable answers per part. Evidence
is located in the corpus before anything runs, so a golden file that quotes text the articles
do not contain is an error, not a silent zero.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.models import Article
from assistant.quality.metrics import METRICS, SpanRef


class GoldenError(ValueError):
    """A golden or thresholds file that cannot be used; the message names the line."""


@dataclass(frozen=True)
class GoldenCase:
    id: str
    question: str
    category: str
    answerable: bool
    answers: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    history: tuple[dict[str, str], ...] = ()
    parts: tuple[tuple[str, ...], ...] = ()  # acceptable answers of each part of the question


def load_golden(path: Path) -> list[GoldenCase]:
    if not path.is_file():
        raise GoldenError(f"golden file {path} does not exist")
    cases: list[GoldenCase] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise GoldenError(f"{where}: invalid JSON ({error.msg})") from None
        case = _case(record, where)
        if case.id in seen:
            raise GoldenError(f"{where}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise GoldenError(f"{path.name} has no cases")
    return cases


def _case(record: Any, where: str) -> GoldenCase:
    if not isinstance(record, dict):
        raise GoldenError(f"{where}: a case must be a JSON object")
    for key, kind in (("id", str), ("question", str), ("category", str), ("answerable", bool)):
        if not isinstance(record.get(key), kind):
            raise GoldenError(f"{where}: {key!r} must be a {kind.__name__}")
    lists = {}
    for key in ("answers", "evidence", "history"):
        value = record.get(key, [])
        kind = dict if key == "history" else str
        if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
            raise GoldenError(f"{where}: {key!r} must be a list of {kind.__name__}s")
        lists[key] = tuple(value)
    parts = record.get("parts", [])
    if not isinstance(parts, list) or not all(
            isinstance(p, list) and p and all(isinstance(a, str) for a in p) for p in parts):
        raise GoldenError(f"{where}: 'parts' must be a list of non-empty lists of strings")
    if record["answerable"] and not (lists["answers"] and lists["evidence"]):
        raise GoldenError(f"{where}: an answerable case needs 'answers' and 'evidence'")
    return GoldenCase(record["id"], record["question"], record["category"],
                      record["answerable"], lists["answers"], lists["evidence"],
                      lists["history"], tuple(tuple(p) for p in parts))


def locate_evidence(cases: Sequence[GoldenCase],
                    articles: Sequence[Article]) -> dict[str, list[SpanRef]]:
    """Each case's evidence sentences as spans in the corpus; each must occur verbatim."""
    spans: dict[str, list[SpanRef]] = {}
    for case in cases:
        spans[case.id] = []
        for sentence in case.evidence:
            found = [(a.doc_id, at, at + len(sentence)) for a in articles
                     if (at := a.text.find(sentence)) >= 0]
            if not found:
                raise GoldenError(f"case {case.id}: evidence is not verbatim in any article: "
                                  f"{sentence[:60]!r}")
            spans[case.id].extend(found)
    return spans


def load_thresholds(path: Path) -> dict[str, dict[str, float]]:
    """``{"metric": {"min": x} | {"max": x}}``; unknown metrics are an error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GoldenError(f"thresholds file {path} does not exist") from None
    except json.JSONDecodeError as error:
        raise GoldenError(f"{path.name}: invalid JSON ({error.msg})") from None
    for name, bound in data.items():
        if name not in METRICS or not isinstance(bound, dict) or not bound or \
                set(bound) - {"min", "max"}:
            raise GoldenError(f"{path.name}: {name!r} needs a known metric and a min or max")
    return data


@dataclass(frozen=True)
class ThresholdFailure:
    """A metric outside its bound, and the sentence that says so."""

    metric: str
    message: str


def threshold_failures(metrics: dict[str, Any], thresholds: dict[str, dict[str, float]]
                       ) -> list[ThresholdFailure]:
    failures = []
    for name, bound in thresholds.items():
        value = metrics.get(name)
        if value is None:
            message = f"{name}: no value (no cases to measure it)"
        elif "min" in bound and value < bound["min"]:
            message = f"{name} {value} is below the minimum {bound['min']}"
        elif "max" in bound and value > bound["max"]:
            message = f"{name} {value} is above the maximum {bound['max']}"
        else:
            continue
        failures.append(ThresholdFailure(name, message))
    return failures
