"""Turning a follow-up question into one that stands on its own.

"How many troops did it say were in Russia?" means nothing without the turn before it. When a
question leans on the conversation (a pronoun, or almost no content words of its own), the
previous question and the first sentence of the previous answer are added as context. The
question's own words stay separate from that context, so scoring can weigh them higher. The
sentences the previous answer quoted travel with it: they name the article the conversation is
about, where the follow-up's "he" or "that band" is most likely to be found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import Turn
from assistant.text.lexical import terms, words
from assistant.text.markers import MARKER, strip_markers

_ANAPHORA = frozenset(
    "it its they them their theirs he him his she her this that these those there such "
    "the former latter".split()
)
_ELLIPSIS = re.compile(r"^\s*(and|also|what about|how about|why|so)\b", re.IGNORECASE)
_CONTEXT_WORDS = 40


@dataclass(frozen=True)
class ResolvedQuestion:
    """The question as asked, plus context from the conversation when it needs some."""

    question: str
    context: str = ""
    said: tuple[str, ...] = ()  # the sentences the previous answer quoted, for a follow-up

    @property
    def query(self) -> str:
        """What retrieval searches for."""
        return f"{self.question} {self.context}".strip()


def needs_context(question: str) -> bool:
    tokens = words(question)
    return (any(t in _ANAPHORA for t in tokens if t != "the") or len(terms(question)) <= 1
            or bool(_ELLIPSIS.match(question)))


def resolve_followup(question: str, history: list[Turn] | None) -> ResolvedQuestion:
    """Add the last exchange as context when ``question`` depends on it."""
    if not history or not needs_context(question):
        return ResolvedQuestion(question)
    last_user = next((t.content for t in reversed(history) if t.role == "user"), "")
    last_answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    first_sentence = re.split(r"(?<=[.!?”])\s+(?=[A-Z“])", strip_markers(last_answer).strip(),
                              maxsplit=1)[0]
    context_words = f"{last_user} {first_sentence}".split()[:_CONTEXT_WORDS]
    return ResolvedQuestion(question, " ".join(context_words), quoted(last_answer))


def quoted(answer: str) -> tuple[str, ...]:
    """The article text an answer quotes: its statements, cut at citation markers and line
    breaks, and at dashes so that a bold short answer set before a sentence ("42 pacemakers —
    …") leaves the sentence itself."""
    fragments = []
    for piece in re.split(r"\s*" + MARKER.pattern + r"\s*|\n+|\s+[—–]\s+", answer,
                          flags=re.IGNORECASE):
        piece = (piece or "").strip().strip("*").strip()
        if len(terms(piece)) >= 3:
            fragments.append(piece)
    return tuple(dict.fromkeys(fragments))
