"""Answer-quality metrics, each a plain function of an answer and the gold data; no LLM judge.

Spans are ``(doc_id, start, end)`` character ranges in an article's text. A citation "hits" the
gold evidence when its span overlaps (or contains, or lies inside) a gold evidence sentence's
span in the same article, in the spirit of ALCE's citation precision and recall.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Callable, Sequence

from assistant.models import Answer
from assistant.text.markers import find_markers, marker_numbers, statement_ends, strip_markers

SpanRef = tuple[str, int, int]
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation) | {"“", "”", "‘", "’", "—", "–", "…"}


# name -> (better when "higher" or "lower", definition shown in the report)
METRICS: dict[str, tuple[str, str]] = {
    "answer_accuracy": ("higher", "Answerable cases where an acceptable answer appears (SQuAD "
                        "normalisation: case, punctuation and articles ignored) in the short "
                        "answer or the answer's first sentence. A refusal counts as wrong."),
    "short_answer_precision": ("higher", "Answered answerable cases with a short answer (the "
                               "phrase shown first, in bold) where that phrase itself holds an "
                               "acceptable answer: a wrong phrase in bold misleads even when the "
                               "quoted sentence is right."),
    "citation_validity": ("higher", "Answered cases where every [n] resolves to a citation and "
                          "every quote is exactly its article's text at its offsets."),
    "citation_precision": ("higher", "Mean over answered answerable cases of the share of "
                           "citations whose quote overlaps a gold evidence sentence."),
    "citation_recall": ("higher", "Mean over answered answerable cases of the share of answer "
                        "statements with at least one citation on gold evidence."),
    "retrieval_hit_at_1": ("higher", "Answerable cases whose first retrieved passage holds "
                           "gold evidence."),
    "retrieval_hit_at_k": ("higher", "Answerable cases where any of the top-k passages handed "
                           "to the answerer holds gold evidence."),
    "retrieval_mrr": ("higher", "Mean reciprocal rank of the first passage holding gold "
                      "evidence (0 when none does), over answerable cases."),
    "refusal_rate": ("higher", "Unanswerable cases that were refused."),
    "false_refusal_rate": ("lower", "Answerable cases that were refused."),
    "llm_written_rate": ("higher", "llm mode: cases whose answer is the model's own checked "
                         "sentences (or its refusal), not the extractive fallback."),
    "llm_fallback_rate": ("lower", "llm mode: cases where the model failed or wrote nothing "
                          "supported, so the extractive answer was shown with a note."),
    "llm_dropped_sentence_rate": ("lower", "llm mode: the share of the model's sentences that "
                                  "the check left out (unsupported, uncited, or markup)."),
    "latency_p50_ms": ("lower", "Median wall time of one ask, in milliseconds."),
    "latency_p95_ms": ("lower", "95th percentile wall time of one ask, in milliseconds."),
}


def normalize(text: str) -> str:
    """SQuAD-style: lower case, no punctuation, no articles, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if ch in "-—–" else ch for ch in text)
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(aliases: Sequence[str], texts: Sequence[str | None]) -> bool:
    """Whether any acceptable answer appears, as whole words, in any of the texts."""
    padded = [f" {normalize(t)} " for t in texts if t]
    return any(f" {normalize(alias)} " in text for alias in aliases if normalize(alias)
               for text in padded)


def statements(answer_text: str) -> list[tuple[str, list[int]]]:
    """The answer cut into statements, each ending with its citation markers."""
    text = answer_text.strip()
    bounds = [0, *statement_ends(text), len(text)]
    out = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        part = text[start:end]
        if part.strip():
            numbers = [n for found in find_markers(part) for n in found.numbers]
            out.append((strip_markers(part).strip(), numbers))
    return out


def first_sentence(answer_text: str) -> str:
    parts = statements(answer_text)
    return parts[0][0] if parts else ""


def citation_problems(answer: Answer, article_text: Callable[[str], str | None]) -> list[str]:
    """Why the citations cannot be trusted: markers that resolve to nothing, quotes that are
    not the article's text at their offsets. Empty when every citation checks out."""
    problems = []
    numbers = {c.n for c in answer.citations}
    for n in sorted(set(marker_numbers(answer.answer)) - numbers):
        problems.append(f"[{n}] resolves to no citation")
    for citation in answer.citations:
        text = article_text(citation.doc_id)
        if text is None:
            problems.append(f"[{citation.n}] cites an unknown article {citation.doc_id!r}")
        elif text[citation.start:citation.end] != citation.quote:
            problems.append(f"[{citation.n}] quote is not the article text at "
                            f"{citation.start}–{citation.end}")
    return problems


def overlaps(a: SpanRef, b: SpanRef) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def citation_precision_recall(answer: Answer,
                              gold: Sequence[SpanRef]) -> tuple[float, float] | None:
    """(precision, recall) of an answer's citations against gold evidence spans.

    Precision: the share of citations whose quote overlaps a gold evidence sentence. Recall:
    the share of the answer's statements with at least one such citation (a statement with no
    citation counts as unsupported). None when there is nothing to score (no statements)."""
    parts = statements(answer.answer)
    if not parts:
        return None
    by_n = {c.n: (c.doc_id, c.start, c.end) for c in answer.citations}
    hits = {n for n, span in by_n.items() if any(overlaps(span, g) for g in gold)}
    precision = len(hits) / len(by_n) if by_n else 0.0
    recall = sum(1 for _, markers in parts if hits & set(markers)) / len(parts)
    return precision, recall


def retrieval_rank(passages: Sequence[SpanRef], gold: Sequence[SpanRef]) -> int | None:
    """1-based rank of the first passage that holds gold evidence; None when none does."""
    for rank, passage in enumerate(passages, start=1):
        if any(overlaps(passage, g) for g in gold):
            return rank
    return None


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]
