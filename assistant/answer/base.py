"""The contract every answerer keeps: a question in, drafts of its answer out.

``Assistant.ask_stream`` checks the question, picks the answerer of the requested mode and
passes on what it yields; it never needs to know how an answer is made. An answerer decides
what to search for (a follow-up may need the conversation, or a rewrite by a model) and calls
``retrieve`` with it: once, or once per part of a question that asks several things.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.answer.extractive.confidence import Signals
from assistant.models import AnswerMode, Citation, Passage, Turn, Verification
from assistant.retrieval.followup import ResolvedQuestion


@dataclass(frozen=True)
class Question:
    """A question ready to answer: what was asked (instructions to the assistant removed),
    the same with misspelt words corrected to the corpus's own, and the conversation so far."""

    asked: str
    corrected: str
    turns: tuple[Turn, ...] = ()


@dataclass(frozen=True)
class Retrieval:
    """What retrieval found for one resolved question."""

    resolved: ResolvedQuestion
    passages: tuple[Passage, ...]
    query_vector: np.ndarray
    # For a follow-up: every passage of the articles the previous answer quoted.
    conversation: tuple[Passage, ...] = ()


Retrieve = Callable[[ResolvedQuestion], Retrieval]


@dataclass(frozen=True)
class Draft:
    """An answer before the assistant adds the question, timings and retrieved ids."""

    answer: str
    short_answer: str | None
    refused: bool
    citations: tuple[Citation, ...] = ()
    support: float | None = None  # the best sentence's support score, when one was scored
    confidence: float | None = None  # calibrated probability that the best sentence answers
    mode: AnswerMode = AnswerMode.EXTRACTIVE  # LLM when the shown sentences are a model's
    note: str | None = None
    verification: Verification | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)  # beyond retrieve and answer
    signals: Signals | None = None  # what the confidence was computed from
    best_sentence: str | None = None  # the sentence the confidence is about


class Answerer(Protocol):
    """Makes the answer to a question, yielding it as it grows; the last draft is final."""

    def stream(self, question: Question, retrieve: Retrieve) -> Iterator[Draft]: ...
