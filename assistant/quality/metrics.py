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

SpanRef = tuple[str, int, int]
_MARKER = re.compile(r"\[(\d+)\]")
_STATEMENT_END = re.compile(r"(?<=\])\s+(?!\[)")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation) | {"“", "”", "‘", "’", "—", "–", "…"}


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
    out = []
    for part in _STATEMENT_END.split(answer_text.strip()):
        if part.strip():
            markers = [int(n) for n in _MARKER.findall(part)]
            out.append((_MARKER.sub("", part).strip(), markers))
    return out


def first_sentence(answer_text: str) -> str:
    parts = statements(answer_text)
    return parts[0][0] if parts else ""


def citation_problems(answer: Answer, article_text: Callable[[str], str | None]) -> list[str]:
    """Why the citations cannot be trusted: markers that resolve to nothing, quotes that are
    not the article's text at their offsets. Empty when every citation checks out."""
    problems = []
    numbers = {c.n for c in answer.citations}
    for n in sorted({int(n) for n in _MARKER.findall(answer.answer)} - numbers):
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
