"""How sure the answerer is: a calibrated probability that its best sentence answers.

A logistic regression over a few signals of the best candidate sentence (how well it matches,
how far ahead of the runner-up it is, whether the question's names, key verb and wanted kind of
phrase are there). It is fitted by ``training/train_confidence.py`` on SQuAD 2.0 and the
Wikinews dev split; the coefficients and a record of the data they came from live in
``confidence.json`` beside this file. No weight here is set by hand.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from assistant.answer.extractive.linear import read_linear

CONFIDENCE_FILE = Path(__file__).with_name("confidence.json")


@dataclass(frozen=True)
class Signals:
    """What the answerer knows about the sentence that matches the question best on its own
    words (the one refusing is judged on; the sentence quoted may be another of its article)."""

    support: float  # the best sentence's support score
    dense: float  # its embedding cosine with the question
    lexical: float  # the rarity-weighted share of the question's words it holds
    margin: float  # how far its support is ahead of the runner-up's
    missing_names: float  # 1 when a name or number of the question is nowhere in the passages
    names_outside: float  # 1 when one is not in the best sentence's passage
    predicate_unsaid: float  # 1 when the sentence lacks the question's key verb
    kind_unmet: float  # 1 when the question wants a count or date and no sentence gives one
    no_short_answer: float  # 1 when no phrase of the wanted kind was found in it

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def values(self) -> tuple[float, ...]:
        return tuple(float(v) for v in asdict(self).values())


@dataclass(frozen=True)
class ConfidenceModel:
    """P(the best sentence answers the question) = sigmoid(coefficients · signals +
    intercept)."""

    coefficients: tuple[float, ...]
    intercept: float

    @classmethod
    def load(cls, path: Path = CONFIDENCE_FILE) -> ConfidenceModel:
        return cls(*read_linear(path, "confidence", Signals.names(),
                                "training/train_confidence.py"))

    def confidence(self, signals: Signals) -> float:
        score = self.intercept + sum(c * v for c, v in zip(self.coefficients, signals.values(),
                                                           strict=True))
        return 1.0 / (1.0 + math.exp(-score))
