"""The extractive answerer: quote the sentences that answer, cite each, or refuse.

No language model writes anything here, so nothing can be said that the article does not say:
every sentence of an answer is an article sentence, verbatim, with its offsets. The work is in
choosing. Each candidate sentence from the retrieved passages gets a support score that mixes
meaning (cosine of sentence and question vectors) with coverage (the share of the question's
content words, weighted by rarity, that the sentence contains). Questions that want a name,
number, time or place prefer sentences that hold one. When the best support is too low, or a
name the question hinges on appears nowhere in the evidence, the answer is a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer_types import (
    OTHER,
    PREDICATE_WEIGHT,
    appositive,
    asked_noun,
    described_name,
    find_answer,
    headed_phrase,
    object_phrase,
    predicate_term,
    question_type,
)
from assistant.chunking import sentence_id
from assistant.followup import ResolvedQuestion
from assistant.lexical import STOPWORDS, stem, terms, words
from assistant.models import Citation, Passage
from assistant.prompts import Prompts

_INSTRUCTION = re.compile(
    r"[^.?!]*\b(?:ignore|disregard|forget|override)\b[^.?!]*\b(?:instructions?|rules?|prompts?|"
    r"guidelines|above|previous|context|articles?|coverage)\b[^.?!]*[.?!]?"
    r"|[^.?!]*\b(?:you are now|pretend to be|act as|system prompt|jailbreak)\b[^.?!]*[.?!]?",
    re.IGNORECASE,
)
_TYPE_PENALTY = 0.75
_CONTEXT_WEIGHT = 0.35
_DENSE_WEIGHT = 0.45
_REDUNDANT = 0.92


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, scored against the question."""

    sentence_id: str
    passage: Passage
    text: str
    start: int
    end: int
    support: float = 0.0
    lexical: float = 0.0


@dataclass(frozen=True)
class Draft:
    """The answerer's decision before timings are added."""

    answer: str
    short_answer: str | None
    refused: bool
    citations: tuple[Citation, ...]


def strip_instructions(question: str) -> str:
    """Drop sentences that try to instruct the assistant; only the question part is answered."""
    return _INSTRUCTION.sub(" ", question).strip()


class ExtractiveAnswerer:
    """Chooses, orders and cites article sentences; refuses when they don't answer."""

    def __init__(self, prompts: Prompts, idf: Callable[[str], float],
                 sentence_vectors: Callable[[list[str]], dict[str, np.ndarray]],
                 min_support: float, max_sentences: int) -> None:
        self.prompts = prompts
        self.idf = idf
        self.sentence_vectors = sentence_vectors
        self.min_support = min_support
        self.max_sentences = max_sentences

    def refusal(self, name: str = "refusal", **values: str) -> Draft:
        return Draft(self.prompts.render(name, **values), None, True, ())

    def answer(self, resolved: ResolvedQuestion, passages: Sequence[Passage],
               query_vector: np.ndarray, vocabulary: Callable[[str], bool]) -> Draft:
        own_terms = set(terms(resolved.question))
        if not own_terms:
            return self.refusal("empty_question")
        candidates = self._candidates(passages)
        if not candidates:
            return self.refusal()
        missing = self._missing_names(resolved.question, candidates, vocabulary)
        if missing:
            return self.refusal("refusal_missing", missing=" or ".join(missing))
        kind = question_type(resolved.question)
        context_terms = set(terms(resolved.context)) - own_terms
        vectors = self.sentence_vectors([c.sentence_id for c in candidates])
        scored = self._score(candidates, resolved.question, kind, own_terms, context_terms,
                             query_vector, vectors)
        ranked = sorted(scored, key=lambda c: -c.support)
        best = ranked[0]
        if best.support < self.min_support:
            return self.refusal()
        chosen = self._choose(ranked, vectors)
        short = self._short_answer(resolved.question, kind, best, own_terms)
        if short is None and kind != OTHER:
            neighbour = _neighbour_with_answer(best, scored, kind, own_terms)
            if neighbour is not None:
                # Lead with the sentence that holds the short answer, so [1] supports it.
                chosen = [neighbour, best, *[c for c in chosen[1:] if c is not neighbour]]
                chosen = chosen[: self.max_sentences]
                short = self._short_answer(resolved.question, kind, neighbour, own_terms)
        return self._compose(chosen, short)

    @staticmethod
    def _short_answer(question: str, kind: str, best: Candidate, own: set[str]) -> str | None:
        """The phrase that answers: an object, a description, a named head noun, or a typed
        phrase, tried from the most specific question form to the most general."""
        name = described_name(question)
        noun = asked_noun(question)
        found = (object_phrase(question, best.text)
                 or (appositive(best.text, name) if name else None)
                 or (headed_phrase(best.text, noun) if noun else None)
                 or (find_answer(kind, best.text, own) if kind != OTHER else None))
        return found.text if found else None

    def _candidates(self, passages: Sequence[Passage]) -> list[Candidate]:
        seen: dict[str, Candidate] = {}
        for passage in passages:
            chunk = passage.chunk
            for span, text in zip(chunk.sentences, chunk.sentence_texts(), strict=True):
                key = sentence_id(chunk.doc_id, text, span)
                if key not in seen:
                    seen[key] = Candidate(key, passage, text, span.start, span.end)
        return list(seen.values())

    def _missing_names(self, question: str, candidates: list[Candidate],
                       vocabulary: Callable[[str], bool]) -> list[str]:
        """Names and numbers the question hinges on that no evidence sentence contains."""
        evidence = set()
        for candidate in candidates:
            evidence.update(stem(w.replace(",", "")) for w in words(candidate.text))
        missing = []
        for name in _key_names(question):
            name_terms = [stem(w.replace(",", "")) for w in words(name) if w not in STOPWORDS]
            if name_terms and not any(t in evidence or _prefix_in(t, evidence)
                                      for t in name_terms):
                if not all(vocabulary(t) for t in name_terms):
                    missing.append(name)
        return missing

    def _score(self, candidates: list[Candidate], question: str, kind: str, own: set[str],
               context: set[str], query_vector: np.ndarray,
               vectors: dict[str, np.ndarray]) -> list[Candidate]:
        """Support = meaning and weighted word coverage, lowered when a question that wants a
        name, number, time or place meets a sentence without one."""
        weights = {t: self.idf(t) for t in own}
        predicate = predicate_term(question)
        if predicate in weights:
            weights[predicate] *= PREDICATE_WEIGHT
        weights.update({t: self.idf(t) * _CONTEXT_WEIGHT for t in context})
        total = sum(weights.values()) or 1.0
        scored = []
        for candidate in candidates:
            present = set(terms(candidate.text))
            lexical = sum(w for t, w in weights.items() if t in present) / total
            vector = vectors.get(candidate.sentence_id)
            dense = float(np.dot(vector, query_vector)) if vector is not None else 0.0
            support = _DENSE_WEIGHT * dense + (1 - _DENSE_WEIGHT) * lexical
            if kind != OTHER and not find_answer(kind, candidate.text, own):
                support *= _TYPE_PENALTY
            scored.append(replace(candidate, support=support, lexical=lexical))
        return scored

    def _choose(self, ranked: list[Candidate],
                vectors: dict[str, np.ndarray]) -> list[Candidate]:
        """The best sentence, then close runners-up that add something, at most a few."""
        best = ranked[0]
        floor = max(self.min_support, best.support * 0.85)
        chosen = [best]
        for candidate in ranked[1:8]:
            if len(chosen) >= self.max_sentences:
                break
            if candidate.support < floor or candidate.lexical == 0:
                continue
            if any(_similar(vectors, candidate, other) for other in chosen):
                continue
            chosen.append(candidate)
        return chosen

    def _compose(self, chosen: list[Candidate], short_answer: str | None) -> Draft:
        citations = []
        parts = []
        for n, candidate in enumerate(chosen, start=1):
            chunk = candidate.passage.chunk
            citations.append(Citation(n, chunk.doc_id, chunk.title, chunk.source,
                                      chunk.published, chunk.url, chunk.chunk_id,
                                      candidate.text, candidate.start, candidate.end))
            parts.append(f"{candidate.text} [{n}]")
        if short_answer and not chosen[0].text.startswith(short_answer):
            parts[0] = self.prompts.render("answer_lead", short_answer=short_answer,
                                           sentence=parts[0])
        return Draft(" ".join(parts), short_answer, False, tuple(citations))


def _neighbour_with_answer(best: Candidate, scored: list[Candidate], kind: str,
                           own: set[str]) -> Candidate | None:
    """The sentence right before or after ``best`` when it holds the wanted kind of phrase.

    News prose often splits a fact over two sentences ("… denied sending troops." / "The
    statement, made … on Monday, …"), so the neighbour is the first place to look.
    """
    chunk = best.passage.chunk
    by_start = {c.start: c for c in scored if c.passage.chunk.doc_id == chunk.doc_id}
    spans = list(chunk.sentences)
    position = next(i for i, span in enumerate(spans) if span.start == best.start)
    for index in (position + 1, position - 1):
        if 0 <= index < len(spans):
            neighbour = by_start.get(spans[index].start)
            if neighbour is not None and find_answer(kind, neighbour.text, own):
                return neighbour
    return None


def _similar(vectors: dict[str, np.ndarray], a: Candidate, b: Candidate) -> bool:
    va, vb = vectors.get(a.sentence_id), vectors.get(b.sentence_id)
    return va is not None and vb is not None and float(np.dot(va, vb)) > _REDUNDANT


def _prefix_in(term: str, evidence: set[str]) -> bool:
    """"korea" matches "korean": names and their adjectives share a stem prefix."""
    return len(term) >= 4 and any(e.startswith(term) or term.startswith(e)
                                  for e in evidence if len(e) >= 4)


def _key_names(question: str) -> list[str]:
    """Capitalised names (not the first word), numbers and quoted phrases in a question."""
    names = []
    for match in re.finditer(r"(?<![\w’'])([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)", question):
        phrase = match.group(1)
        if match.start() == 0 or question[: match.start()].rstrip().endswith(("?", ".", "!")):
            phrase = phrase.split(None, 1)[1] if " " in phrase else ""
        if phrase and phrase.lower() not in STOPWORDS:
            names.append(phrase)
    names.extend(re.findall(r"\b\d[\d,.]*\b", question))
    names.extend(re.findall(r"[\"“]([^\"”]+)[\"”]", question))
    return names

