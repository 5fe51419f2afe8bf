"""The answer-quality suite: run golden cases through ``Assistant.ask`` and score every answer.

The cases come from ``golden``; each answer is scored with the plain functions of ``metrics``
and the results are summed up per metric (``METRICS``) and per category.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.models import Answer, AnswerMode, Article, Chunk
from assistant.quality.golden import GoldenCase, locate_evidence
from assistant.quality.metrics import (
    METRICS,
    SpanRef,
    citation_precision_recall,
    citation_problems,
    contains_answer,
    first_sentence,
    percentile,
    retrieval_rank,
)
from assistant.text.markers import strip_markers


@dataclass
class CaseResult:
    id: str
    category: str
    question: str
    answerable: bool
    expected: list[str]
    answer: str
    short_answer: str | None
    refused: bool
    quotes: list[str]
    correct: bool
    short_answer_correct: bool | None
    citation_problems: list[str]
    citation_precision: float | None
    citation_recall: float | None
    retrieval_rank: int | None
    latency_ms: float
    support: float | None = None
    confidence: float | None = None  # the answerer's probability that its answer is right
    mode: AnswerMode = AnswerMode.EXTRACTIVE
    fallback: str | None = None  # llm mode: why the extractive answer was shown instead
    dropped: list[dict[str, str]] = field(default_factory=list)  # llm mode: left out, and why
    sentences_written: int = 0  # llm mode: sentences the model wrote
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def evaluate(ask: Callable[[str, Sequence[dict]], Answer], cases: Sequence[GoldenCase],
             articles: Sequence[Article], chunk: Callable[[str], Chunk | None]
             ) -> list[CaseResult]:
    """Ask every case and score it. ``ask`` is ``Assistant.ask``; ``chunk`` finds passages."""
    gold = locate_evidence(cases, articles)
    texts = {a.doc_id: a.text for a in articles}
    results = []
    for case in cases:
        started = time.perf_counter()
        answer = ask(case.question, list(case.history))
        latency = (time.perf_counter() - started) * 1000
        passages = [(c.doc_id, c.start, c.end) for c in map(chunk, answer.retrieved) if c]
        results.append(score_case(case, answer, gold[case.id], texts.get, passages, latency))
    return results


def score_case(case: GoldenCase, answer: Answer, gold: Sequence[SpanRef],
               article_text: Callable[[str], str | None], passages: Sequence[SpanRef],
               latency_ms: float) -> CaseResult:
    problems = citation_problems(answer, article_text)
    correct = case.answerable and not answer.refused and answers_every_part(case, answer)
    scored = citation_precision_recall(answer, gold) if case.answerable and not \
        answer.refused else None
    short_correct = contains_answer(case.answers, [answer.short_answer]) if \
        case.answerable and answer.short_answer and not answer.refused else None
    result = CaseResult(
        case.id, case.category, case.question, case.answerable, _expected(case),
        answer.answer, answer.short_answer, answer.refused,
        [c.quote for c in answer.citations], correct, short_correct, problems,
        scored[0] if scored else None, scored[1] if scored else None,
        retrieval_rank(passages, gold) if case.answerable else None, round(latency_ms, 2),
        answer.support, answer.confidence, answer.mode)
    if answer.verification is not None:
        result.fallback = answer.verification.fallback
        result.dropped = [{"text": c.text, "reason": c.reason}
                          for c in answer.verification.dropped]
        result.sentences_written = len(answer.verification.sentences)
    result.failures = _failures(result)
    return result


def answers_every_part(case: GoldenCase, answer: Answer) -> bool:
    """Whether the answer holds an acceptable answer: in its short answer or first sentence;
    for a question of several parts, an answer to each part anywhere in it."""
    if not case.parts:
        return contains_answer(case.answers, [answer.short_answer,
                                              first_sentence(answer.answer)])
    said = [answer.short_answer, strip_markers(answer.answer)]
    return all(contains_answer(part, said) for part in case.parts)


def _expected(case: GoldenCase) -> list[str]:
    if not case.parts:
        return list(case.answers)
    return ["; ".join(" or ".join(part) for part in case.parts)]


def _failures(r: CaseResult) -> list[str]:
    if not r.answerable:
        return [] if r.refused else ["answered a question the coverage does not answer"]
    if r.refused:
        return ["refused a question the coverage answers"]
    out = [] if r.correct else ["no acceptable answer in the short answer or first sentence"]
    if r.short_answer_correct is False:
        out.append(f"short answer {r.short_answer!r} is not an acceptable answer")
    out += r.citation_problems
    if r.citation_precision is not None and r.citation_precision < 1:
        out.append(f"citation precision {r.citation_precision:.2f}: a quote is not gold "
                   "evidence")
    if r.citation_recall is not None and r.citation_recall < 1:
        out.append(f"citation recall {r.citation_recall:.2f}: a statement cites no gold "
                   "evidence")
    if r.retrieval_rank is None:
        out.append("no retrieved passage holds the gold evidence")
    return out


def summarize(results: Sequence[CaseResult]) -> dict[str, float | int | None]:
    """Every metric of ``METRICS`` over a set of results, plus case counts."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r for r in results if not r.refused]
    scored = [r for r in answerable if r.citation_precision is not None]
    ranks = [r.retrieval_rank for r in answerable]
    latencies = [r.latency_ms for r in results]
    return {
        "cases": len(results), "answerable": len(answerable),
        "unanswerable": len(unanswerable), "passed": sum(r.passed for r in results),
        "answer_accuracy": _share(sum(r.correct for r in answerable), len(answerable)),
        "short_answer_precision": _share(
            sum(r.short_answer_correct is True for r in answerable),
            sum(r.short_answer_correct is not None for r in answerable)),
        "citation_validity": _share(sum(not r.citation_problems for r in answered),
                                    len(answered)),
        "citation_precision": _mean([r.citation_precision for r in scored]),
        "citation_recall": _mean([r.citation_recall for r in scored]),
        "retrieval_hit_at_1": _share(sum(rank == 1 for rank in ranks), len(ranks)),
        "retrieval_hit_at_k": _share(sum(rank is not None for rank in ranks), len(ranks)),
        "retrieval_mrr": _mean([1 / rank if rank else 0.0 for rank in ranks]),
        "refusal_rate": _share(sum(r.refused for r in unanswerable), len(unanswerable)),
        "false_refusal_rate": _share(sum(r.refused for r in answerable), len(answerable)),
        **_llm_metrics(results),
        "latency_p50_ms": round(percentile(latencies, 0.5), 2),
        "latency_p95_ms": round(percentile(latencies, 0.95), 2),
    }


def _llm_metrics(results: Sequence[CaseResult]) -> dict[str, float | None]:
    """The llm mode's figures; None for runs in which no model was asked."""
    asked = [r for r in results if r.sentences_written or r.fallback or r.mode == AnswerMode.LLM]
    written = sum(r.sentences_written for r in asked)
    return {
        "llm_written_rate": _share(sum(r.mode == AnswerMode.LLM for r in asked), len(asked)),
        "llm_fallback_rate": _share(sum(r.fallback is not None for r in asked), len(asked)),
        "llm_dropped_sentence_rate": _share(sum(len(r.dropped) for r in asked), written),
    }


def by_category(results: Sequence[CaseResult]) -> dict[str, dict[str, float | int | None]]:
    categories: dict[str, list[CaseResult]] = {}
    for r in results:
        categories.setdefault(r.category, []).append(r)
    return {name: summarize(group) for name, group in categories.items()}


def _share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 4) if present else None


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What got better and worse between two report JSON files, metric by metric and case
    by case."""
    lines = []
    for name, (better, _) in METRICS.items():
        before, after = old["metrics"].get(name), new["metrics"].get(name)
        if before is None or after is None or before == after:
            continue
        improved = (after > before) == (better == "higher")
        lines.append(f"{'better' if improved else 'worse '}  {name}: {before} -> {after}")
    old_cases = {c["id"]: c for c in old.get("cases", [])}
    for case in new.get("cases", []):
        was = old_cases.get(case["id"])
        if was is not None and bool(was["failures"]) != bool(case["failures"]):
            state = "now passes" if not case["failures"] else "now fails: " + "; ".join(
                case["failures"])
            lines.append(f"case {case['id']} {state}")
    return lines or ["no metric or case changed"]


def case_dicts(results: Sequence[CaseResult]) -> list[dict[str, Any]]:
    return [asdict(r) | {"passed": r.passed} for r in results]
