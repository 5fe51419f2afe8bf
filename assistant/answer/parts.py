"""Questions of several parts: each part is answered on its own, then the answers are joined.

"How many people were killed in the crash, and how many were injured?" asks two things, often
answered by two sentences, sometimes of two articles; searched and scored as one question, it
matches neither sentence well. A question is cut where ", and" (or "and") is followed by a
question word, possibly after a preposition ("and in what year …"). A later part that leans on
the earlier one ("how many were injured?", "where did it launch from?") searches with the
earlier part as context, as a follow-up searches with the conversation.

The joined answer keeps each part's statements and citations, numbered anew in order; a
sentence already quoted for an earlier part is not quoted again, its short answer points at the
same number. A part the coverage does not answer is said to be unanswered, not dropped.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.answer.base import Draft
from assistant.models import Citation
from assistant.prompts import Prompts
from assistant.text.markers import find_markers, marker

_QUESTION_WORD = r"(?:who|whom|whose|what|which|when|where|why|how)"
# ", and where …", "and in what year …", "and after how many weeks …"
_JOIN = re.compile(rf",?\s+and\s+(?=(?:[a-z]+\s+)?{_QUESTION_WORD}\b)")
_OPENS = re.compile(rf"\W*(?:[A-Za-z]+\s+)?(?i:{_QUESTION_WORD})\b")


def question_parts(question: str) -> list[str]:
    """The parts of a question, each ending with a question mark; one part when it asks one
    thing. The first part must itself be a question (so "Where did Alice and who …" keeps
    whole), and every part must have words of its own."""
    text = question.strip()
    if not _OPENS.match(text):
        return [question]
    pieces = [p.strip(" ,;?") for p in _JOIN.split(text)]
    if len(pieces) < 2 or any(len(p.split()) < 2 for p in pieces):
        return [question]
    return [f"{p}?" for p in pieces]


def join_answers(parts: list[str], drafts: list[Draft], prompts: Prompts) -> Draft:
    """One answer from the answers to each part (``drafts``, in the order of ``parts``)."""
    answered = [d for d in drafts if not d.refused]
    if not answered:
        return drafts[0]
    numbers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    pieces: list[str] = []
    shorts: list[str] = []
    for part, draft in zip(parts, drafts, strict=True):
        if draft.refused:
            pieces.append(prompts.render("refusal_part", part=part))
            continue
        if draft.short_answer:
            shorts.append(draft.short_answer)
        pieces.extend(_renumbered(draft, numbers, citations))
    confidences = [d.confidence for d in answered if d.confidence is not None]
    supports = [d.support for d in answered if d.support is not None]
    return replace(answered[0], answer=" ".join(pieces), short_answer="; ".join(shorts) or None,
                   refused=False, citations=tuple(citations),
                   support=min(supports) if supports else None,
                   confidence=min(confidences) if confidences else None)


def _renumbered(draft: Draft, numbers: dict[tuple[str, int, int], int],
                citations: list[Citation]) -> list[str]:
    """The draft's statements with their citations numbered after ``citations`` (which this
    extends). A statement quoting a sentence already cited is left out; when it led with the
    short answer, the short answer stays, pointing at the earlier citation."""
    by_number = {c.n: c for c in draft.citations}
    pieces: list[str] = []
    start = 0
    for found in find_markers(draft.answer):
        statement = draft.answer[start:found.start].strip()
        start = found.end
        new, repeated = [], []
        for n in found.numbers:
            citation = by_number[n]
            key = (citation.doc_id, citation.start, citation.end)
            if key in numbers:
                repeated.append(numbers[key])
            else:
                numbers[key] = len(citations) + 1
                citations.append(replace(citation, n=numbers[key]))
                new.append(numbers[key])
        if new:
            pieces.append(f"{statement} {' '.join(marker(n) for n in new + repeated)}")
        elif not pieces and draft.short_answer and statement.startswith(draft.short_answer):
            pieces.append(f"{draft.short_answer} {' '.join(marker(n) for n in repeated)}")
    return pieces
