"""How well each retrieved sentence answers a question: its support score.

Support mixes meaning (cosine of sentence and question vectors) with coverage (the share of the
question's content words, weighted by rarity, that the sentence holds itself or as a close
synonym). A question that wants a name, number, time or place scores a sentence without one
lower.

News names its subject in the title and the first sentence, then says "he", "the tanker" or
"the fine": the sentence that gives the asked fact rarely repeats the name. So each sentence
has two scores: ``support``, where the question's names that the title or an earlier sentence
of the passage gives count as present, one of the measures the chooser (``chooser``) ranks
sentences by; and ``alone``, on the sentence's own words, which decides whether the coverage
answers at all (a title or an earlier sentence is no statement of the asked fact). A question
made only of names ("Who is Robert Wood?") has no asked fact to choose by, and is scored on own
words alone. Two more coverages tell the asked fact from the story's scene, for the chooser:
``focus`` weighs each word by how few of the article's sentences say it, ``beyond`` counts
only the words the article's first sentence lacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer.extractive.kinds import (
    PREDICATE_WEIGHT,
    QuestionKind,
    asked_noun,
    counted_noun,
    event_names,
    predicate_term,
)
from assistant.answer.extractive.phrases import Found, typed_phrases
from assistant.evidence import EvidenceSentence
from assistant.models import Passage
from assistant.text.lexical import STOPWORDS, stem, terms, words
from assistant.text.names import key_names
from assistant.text.synonyms import SynonymMatcher
from assistant.text.syntax import Parse

_TYPE_PENALTY = 0.75
_AMOUNTS = frozenset({"MONEY", "PERCENT"})  # entity types that measure, not count
_CONTEXT_WEIGHT = 0.15
_DENSE_WEIGHT = 0.45
_COUNTED_MATCH = 0.45  # how close a number's noun must be to the noun the question counts
_SOFT_POOL = 12  # sentences per question whose words are compared by word vector
_EXACT_POOL = 4  # at most this many sentences are scored again at full precision
# How far int8 sentence vectors move a question-sentence cosine: 0.0225 at the 99.9th
# percentile, 0.037 at most, over the dev questions and 1,500 dev sentences.
_INT8_DENSE_ERROR = 0.025
# Supports closer than this may be in either order: either sentence's vector may have moved.
TIE = 2 * _DENSE_WEIGHT * _INT8_DENSE_ERROR


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, scored against the question."""

    evidence: EvidenceSentence
    support: float = 0.0  # in context: names the title or earlier sentences give count as said
    lexical: float = 0.0
    dense: float = 0.0
    alone: float = 0.0  # the support of the sentence's own words, title aside
    # The share of the question's words it holds in context, each weighed by how few of its
    # article's sentences say it: the asked fact, not the scene every sentence repeats.
    focus: float = 0.0
    # The share of the question's words that its article's first sentence does not hold
    # (the asked fact beyond the story's scene) that it holds.
    beyond: float = 0.0
    typed: bool = False  # it holds a phrase of the wanted kind (never, for an open question)
    said: frozenset[str] = frozenset()  # its (stemmed) words, once scored

    @property
    def sentence_id(self) -> str:
        return self.evidence.sentence_id

    @property
    def passage(self) -> Passage:
        return self.evidence.passage

    @property
    def text(self) -> str:
        return self.evidence.text

    @property
    def start(self) -> int:
        return self.evidence.start

    @property
    def parse(self) -> Parse:
        return self.evidence.parse


class SupportScorer:
    """Scores candidate sentences; also answers the word questions the answerer asks of one
    sentence (does it say the question's verb, does it give the asked count)."""

    def __init__(self, idf: Callable[[str], float], synonyms: SynonymMatcher,
                 embed_exact: Callable[[list[str]], np.ndarray] | None = None,
                 threshold: float = 0.0) -> None:
        """``embed_exact``, given when the stored sentence vectors are int8 ones: embeds
        texts as the question is embedded, at full precision. Where int8 could have decided
        otherwise than fp32 (sentences that could have changed places with the best one, or a
        best one so close to ``threshold``, the support under which the answerer refuses, that
        it could have crossed it), those sentences are scored again on such vectors. The
        answer and its refusal then go as they would on an fp32 index: the shortlist is
        rescored exactly, as search over quantized vectors does."""
        self.idf = idf
        self.synonyms = synonyms
        self.embed_exact = embed_exact
        self.threshold = threshold

    def score(self, candidates: list[Candidate], question: str, kind: QuestionKind,
              own: set[str], context: set[str], query_vector: np.ndarray,
              vectors: dict[str, np.ndarray]) -> list[Candidate]:
        """Each candidate with its support and lexical coverage, in the given order."""
        weights = {t: self.idf(t) for t in own}
        described = event_names(question)  # names whose descriptions are no answer
        predicate = predicate_term(question)
        if predicate in weights:
            weights[predicate] *= PREDICATE_WEIGHT
        # Names the question is about count as present in a sentence when the title or an
        # earlier sentence gives them: a later sentence says "He had cancer", not the name.
        names = {t for name in key_names(question) for t in terms(name)} & set(weights)
        if names == set(weights):
            names = set()  # "Who is Robert Wood?": no asked fact to choose a sentence by
        introduced: dict[str, dict[int, set[str]]] = {}
        said_in: dict[str, set[str]] = {}

        def terms_of(text: str) -> set[str]:
            if text not in said_in:
                said_in[text] = set(terms(text))
            return said_in[text]

        # The asked noun ("Which *hospital* …") names the asked fact, as the verb does: it
        # weighs as much where some sentence says it ("What *kind* of troops …" is said by
        # none, and then choosing by it would only lower every sentence).
        noun = asked_noun(question)
        asked = stem(noun) if noun else None
        if asked in weights and asked != predicate and \
                any(asked in terms_of(c.text) for c in candidates):
            weights[asked] *= PREDICATE_WEIGHT
        total = sum(weights.values()) or 1.0
        context_weights = {t: self.idf(t) for t in context}
        context_total = sum(context_weights.values()) or 1.0

        def names_before(candidate: Candidate) -> set[str]:
            """The question's names the title or an earlier sentence of the chunk gives."""
            if not names:
                return set()
            chunk = candidate.passage.chunk
            if chunk.chunk_id not in introduced:
                seen = terms_of(chunk.title) & names
                by_start = {}
                for span, text in zip(chunk.sentences, chunk.sentence_texts(), strict=True):
                    by_start[span.start] = seen
                    seen = seen | (terms_of(text) & names)
                introduced[chunk.chunk_id] = by_start
            return introduced[chunk.chunk_id].get(candidate.start, set())

        # Within an article, a word most of its sentences say sets the scene; the words few
        # of them say tell its sentences apart (inverse sentence frequency).
        by_doc: dict[str, list[set[str]]] = {}
        for c in candidates:
            by_doc.setdefault(c.passage.chunk.doc_id, []).append(terms_of(c.text))
        local: dict[str, tuple[dict[str, float], float]] = {}
        for doc, said_sets in by_doc.items():
            n = len(said_sets)
            doc_weights = {t: w * math.log((n + 1) / (sum(t in s for s in said_sets) + 0.5))
                           for t, w in weights.items()}
            local[doc] = (doc_weights, sum(doc_weights.values()) or 1.0)
        # An article's first sentence sets its scene: the question's words it holds say what
        # the story is, the others what is asked of it.
        beyond_scene: dict[str, tuple[dict[str, float], float]] = {}
        for c in candidates:
            chunk = c.passage.chunk
            if chunk.index == 0 and c.start == chunk.start:
                asked_weights = {t: w for t, w in weights.items()
                                 if t not in terms_of(c.text)}
                beyond_scene[chunk.doc_id] = (asked_weights, sum(asked_weights.values()))

        def scored(candidate: Candidate, soft: dict[str, float],
                   vectors: dict[str, np.ndarray] = vectors) -> Candidate:
            before = names_before(candidate)
            doc_weights, doc_total = local[candidate.passage.chunk.doc_id]
            said = terms_of(candidate.text)
            vector = vectors.get(candidate.sentence_id)
            dense = float(np.dot(vector, query_vector)) if vector is not None else 0.0
            typed = kind == QuestionKind.OTHER or bool(typed_phrases(kind, candidate.parse,
                                                                     own, described))

            def support_with(present: set[str], weights: dict[str, float] = weights,
                             total: float = total) -> tuple[float, float]:
                lexical = sum(w if t in present else w * soft.get(t, 0.0)
                              for t, w in weights.items()) / total
                # The conversation can only add to a sentence's coverage, never dilute it:
                # the question's own words decide, the context breaks ties about what "it" was.
                lexical = min(1.0, lexical + _CONTEXT_WEIGHT * sum(
                    w for t, w in context_weights.items() if t in present) / context_total)
                support = _DENSE_WEIGHT * dense + (1 - _DENSE_WEIGHT) * lexical
                return (support if typed else support * _TYPE_PENALTY), lexical

            alone, lexical = support_with(said)
            support, _ = support_with(said | before) if before - said else (alone, 0.0)
            _, focus = support_with(said | before, doc_weights, doc_total)
            asked_weights, asked_total = beyond_scene.get(candidate.passage.chunk.doc_id,
                                                          ({}, 0.0))
            _, beyond = support_with(said | before, asked_weights, asked_total) \
                if asked_total else (0.0, 0.0)
            return replace(candidate, support=support, lexical=lexical, dense=dense,
                           alone=alone, focus=focus, beyond=beyond,
                           typed=bool(typed) and kind != QuestionKind.OTHER,
                           said=frozenset(said))

        exact = [scored(c, {}) for c in candidates]
        # Synonyms are looked up for the strongest sentences only: the words of a dozen
        # sentences, not of every retrieved passage, are embedded for a new question.
        pool = sorted(exact, key=lambda c: -c.support)[:_SOFT_POOL]
        soft = dict(zip((c.sentence_id for c in pool),
                        self.synonyms.matches(question, own, [c.text for c in pool]),
                        strict=True))
        rescored = {c.sentence_id: scored(c, soft[c.sentence_id]) for c in pool}
        if self.embed_exact is not None and rescored:
            # Decided on the final scores, synonyms included: which sentences could int8
            # have put in another order, or on the other side of the threshold? Sentences
            # within TIE of each other may have swapped; allow that error once more.
            ranked = sorted(rescored.values(), key=lambda c: -c.support)
            top = [c for c in ranked[:_EXACT_POOL] if c.support >= ranked[0].support - 2 * TIE]
            standing = max(ranked, key=lambda c: c.alone)  # what refusing is judged on
            near = abs(standing.alone - self.threshold) <= TIE
            if near and standing not in top:
                top.append(standing)
            if len(top) > 1 or near:
                texts = list(dict.fromkeys(c.text for c in top))  # a sentence repeated: once
                fresh = dict(zip(texts, self.embed_exact(texts), strict=True))
                vectors = {**vectors, **{c.sentence_id: fresh[c.text] for c in top}}
                rescored.update({c.sentence_id: scored(c, soft[c.sentence_id], vectors)
                                 for c in top})
        return [rescored.get(c.sentence_id, c) for c in exact]

    def says(self, text: str, term: str, question: str) -> bool:
        """Whether ``text`` holds the question's key verb ``term``, itself or a close
        synonym."""
        if term in set(terms(text)):
            return True
        return bool(self.synonyms.matches(question, {term}, [text])[0])

    def gives(self, kind: QuestionKind, candidate: Candidate, question: str,
              own: set[str], amount: bool = False) -> bool:
        """Whether the sentence holds a phrase of the wanted kind (see ``answering``)."""
        return bool(self.answering(kind, candidate.parse, question, own, amount))

    def answering(self, kind: QuestionKind, sentence: Parse, question: str, own: set[str],
                  amount: bool = False) -> list[Found]:
        """The sentence's phrases of the wanted kind; for a count, only counts of the thing
        asked about ("two countries" is no answer to "how many troops") or figures alone
        ("1,500"). For an ``amount`` ("how much …"), money or a share answers whatever it
        measures."""
        found = typed_phrases(kind, sentence, own, event_names(question))
        counted = counted_noun(question)
        word_vectors = self.synonyms.word_vectors
        if kind != QuestionKind.HOW_MANY or not counted or word_vectors is None:
            return found
        asked = word_vectors([counted])
        answering = []
        for phrase in found:
            if amount and phrase.label in _AMOUNTS:
                answering.append(phrase)  # "How much bond was posted?": "$2 million", of bail
                continue
            units = [w for w in words(phrase.text) if w.isalpha() and w not in STOPWORDS]
            if not units or float((asked @ word_vectors(units).T).max()) >= _COUNTED_MATCH:
                answering.append(phrase)
        return answering
