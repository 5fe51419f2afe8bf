"""Which retrieved sentence to quote: a learned ranking of the candidates.

Each candidate sentence is described by a few measures (how well it matches the question in
meaning and in words, how much of the asked fact rather than the scene it holds, whether it
says the question's verb and noun and holds a phrase of the wanted kind, whether it is its
article's opening sentence). A linear score over them ranks the candidates; its weights are
fitted by ``training/train_chooser.py`` on SQuAD 2.0 and the Wikinews dev split, from pairs of
one answering and one non-answering sentence of the same question, and live with a record of
their data in ``chooser.json`` beside this file. No weight here is set by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from assistant.answer.extractive.kinds import (
    asked_noun,
    asked_verb,
    core_lemmas,
    predicate_term,
)
from assistant.answer.extractive.linear import read_linear
from assistant.answer.extractive.scoring import Candidate
from assistant.text.lexical import stem, terms

CHOOSER_FILE = Path(__file__).with_name("chooser.json")


@dataclass(frozen=True)
class Choice:
    """What is known about one candidate sentence for one question."""

    support: float  # its support score, names given earlier in its passage counted
    alone: float  # the support of its own words
    dense: float  # its embedding cosine with the question
    lexical: float  # the rarity-weighted share of the question's words it holds
    focus: float  # that share with words weighed by how few of its article's sentences say them
    beyond: float  # the share it holds of the question's words its article's first sentence lacks
    typed: float  # 1 when it holds a phrase of the wanted kind
    verb: float  # 1 when it says the question's main verb, -1 when it does not, 0: no verb
    predicate: float  # the same for the verb of a subject question ("Who *denied* …?"), stemmed
    core: float  # the share it says of the question's verb and the words completing it
    noun: float  # 1 when it says the noun the question asks about, -1 when not, 0: none
    lead: float  # 1 for its article's first sentence
    lead_unsaid: float  # 1 for a first sentence that lacks the question's verb or noun
    novelty: float  # the share of its words the question does not use

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def values(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, name)) for name in _NAMES)


_NAMES = Choice.names()


def choice(candidate: Candidate, own: set[str], asked: Asked) -> Choice:
    """``own``: the question's (stemmed) words."""
    said = candidate.said or set(terms(candidate.text))
    parse = candidate.parse
    lemmas = {parse.lemma(i).lower() for i in range(len(parse))}
    chunk = candidate.passage.chunk
    lead = chunk.index == 0 and candidate.start == chunk.start
    return Choice(
        support=candidate.support, alone=candidate.alone, dense=candidate.dense,
        lexical=candidate.lexical, focus=candidate.focus,
        beyond=candidate.beyond, typed=float(candidate.typed),
        verb=_said(asked.verb, lemmas),
        predicate=_said(asked.predicate, said),
        core=len(asked.core & lemmas) / len(asked.core) if asked.core else 0.0,
        noun=_said(asked.noun, said), lead=float(lead),
        lead_unsaid=float(lead and min(_said(asked.verb, lemmas), _said(asked.noun, said)) < 0),
        novelty=len(said - own) / len(said) if said else 0.0)


@dataclass(frozen=True)
class Asked:
    """What a question asks, as the chooser compares it with a sentence."""

    verb: str | None  # the lemma of its main verb
    predicate: str | None  # the stemmed verb of a subject question
    core: frozenset[str]  # lemmas of that verb and the words completing it
    noun: str | None  # the noun it asks about ("Which *hospital* …"), stemmed

    @classmethod
    def of(cls, question: str) -> Asked:
        noun = asked_noun(question)
        return cls(asked_verb(question), predicate_term(question), core_lemmas(question),
                   stem(noun) if noun else None)


def _said(term: str | None, said: set[str]) -> float:
    return 0.0 if term is None else 1.0 if term in said else -1.0


@dataclass(frozen=True)
class SentenceChooser:
    """score = coefficients · choice; the candidates are ranked by it, best first."""

    coefficients: tuple[float, ...]

    @classmethod
    def load(cls, path: Path = CHOOSER_FILE) -> SentenceChooser:
        coefficients, _ = read_linear(path, "sentence chooser", Choice.names(),
                                      "training/train_chooser.py")
        return cls(coefficients)

    def score(self, choice: Choice) -> float:
        return sum(c * v for c, v in zip(self.coefficients, choice.values(), strict=True))

    def rank(self, candidates: Sequence[Candidate], choices: Sequence[Choice]
             ) -> list[Candidate]:
        """The candidates, best first; of two that score the same, the one whose own words
        match better."""
        scores = [self.score(c) for c in choices]
        order = sorted(range(len(candidates)), key=lambda i: (-scores[i], -candidates[i].alone))
        return [candidates[i] for i in order]
