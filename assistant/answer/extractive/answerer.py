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

from assistant.answer.extractive.kinds import (
    HOW_MANY,
    OTHER,
    PREDICATE_WEIGHT,
    STRICT_KINDS,
    WHO,
    actor_phrase,
    appositive,
    asked_noun,
    counted_noun,
    described_name,
    find_answer,
    headed_phrase,
    object_phrase,
    opening_entity,
    predicate_term,
    question_type,
)
from assistant.ingest.chunking import passage_sentences
from assistant.retrieval.followup import ResolvedQuestion
from assistant.text.lexical import STOPWORDS, stem, terms, words
from assistant.models import Citation, Passage
from assistant.prompts import Prompts
from assistant.text.names import key_names, mentions, names_outside

_TYPE_PENALTY = 0.75
_CONTEXT_WEIGHT = 0.15
_DENSE_WEIGHT = 0.45
_REDUNDANT = 0.92
_COUNTED_MATCH = 0.45  # how close a number's noun must be to the noun the question counts
_SOFT_POOL = 12  # sentences per question whose words are compared by word vector
_SOFT_MATCH = 0.62  # word-vector cosine above which a different word counts as the same idea
_REFERS_BACK = re.compile(r"(?:The|This|These|That|Those|Such)\s+[a-z]|(?:He|She|It|They)\b")


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
    support: float | None = None  # the best sentence's support score, when one was scored


class ExtractiveAnswerer:
    """Chooses, orders and cites article sentences; refuses when they don't answer."""

    def __init__(self, prompts: Prompts, idf: Callable[[str], float],
                 sentence_vectors: Callable[[list[str]], dict[str, np.ndarray]],
                 min_support: float, max_sentences: int,
                 word_vectors: Callable[[list[str]], np.ndarray] | None = None) -> None:
        self.prompts = prompts
        self.idf = idf
        self.sentence_vectors = sentence_vectors
        self.word_vectors = word_vectors
        self.min_support = min_support
        self.max_sentences = max_sentences

    def refusal(self, name: str = "refusal", **values: str) -> Draft:
        return Draft(self.prompts.render(name, **values), None, True, ())

    def answer(self, resolved: ResolvedQuestion, passages: Sequence[Passage],
               query_vector: np.ndarray, vocabulary: Callable[[str], bool]) -> Draft:
        own_terms = set(terms(resolved.question))
        if not own_terms and resolved.context:
            # "What did he say?": every content word is in the conversation, not the question
            # (whose form still decides what kind of answer is wanted).
            own_terms = set(terms(resolved.context))
            resolved = ResolvedQuestion(resolved.question)
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
        if kind in STRICT_KINDS:
            # A count or a date is only answered by a sentence that gives one (of the thing
            # counted: "two countries" is no answer to "how many troops").
            scored = [c for c in scored if self._gives(kind, c, resolved.question, own_terms)]
        ranked = sorted(scored, key=lambda c: -c.support)
        if not ranked:
            return self.refusal()
        best = ranked[0]
        if best.support < self.min_support:
            return replace(self.refusal(), support=round(best.support, 4))
        predicate = predicate_term(resolved.question)
        if predicate and not self._says(best, predicate, resolved.question):
            # "Who commands …?" is not answered by a sentence that never says who commands.
            return replace(self.refusal(), support=round(best.support, 4))
        chunk = best.passage.chunk
        if names_outside(resolved.question, f"{chunk.title} {chunk.text}"):
            # "What did Japan's prime minister say …?" is not answered by a passage that never
            # mentions Japan, however well the rest of the question matches it.
            return replace(self.refusal(), support=round(best.support, 4))
        short = self._short_answer(resolved.question, kind, best, own_terms)
        lead = best
        if short is None and kind != OTHER:
            neighbour = _neighbour_with_answer(best, scored, kind, own_terms)
            if neighbour is not None:
                # Lead with the sentence that holds the short answer, so [1] supports it.
                lead = neighbour
                referent = opening_entity(neighbour.text) if kind == WHO and \
                    neighbour.start < best.start and _REFERS_BACK.match(best.text) else None
                # "… South Korea's NIS shared intelligence …" / "The spy agency reported …":
                # the agency is the earlier sentence's subject, not just any name in it.
                short = referent.text if referent else self._short_answer(
                    resolved.question, kind, neighbour, own_terms)
        chosen = self._choose(ranked, vectors, lead, best, short,
                              lambda c: self._states(c, short, predicate, resolved.question))
        return replace(self._compose(chosen, short), support=round(best.support, 4))

    def _gives(self, kind: str, candidate: Candidate, question: str, own: set[str]) -> bool:
        found = find_answer(kind, candidate.text, own)
        if found is None or kind != HOW_MANY:
            return found is not None
        counted = counted_noun(question)
        phrase = [w for w in words(found.text) if w.isalpha() and w not in STOPWORDS]
        if not counted or not phrase or self.word_vectors is None:
            return True
        similarity = self.word_vectors([counted]) @ self.word_vectors(phrase).T
        return float(similarity.max()) >= _COUNTED_MATCH

    def _says(self, candidate: Candidate, term: str, question: str) -> bool:
        """Whether the sentence holds the question's key verb, itself or a close synonym."""
        if term in set(terms(candidate.text)):
            return True
        soft = self._soft_matches(question, {term}, [candidate])
        return bool(soft)

    @staticmethod
    def _short_answer(question: str, kind: str, best: Candidate, own: set[str]) -> str | None:
        """The phrase that answers: an object, a description, a named head noun, or a typed
        phrase, tried from the most specific question form to the most general."""
        name = described_name(question)
        noun = asked_noun(question)
        found = (object_phrase(question, best.text)
                 or (appositive(best.text, name) if name else None)
                 or (actor_phrase(question, best.text) if kind == WHO else None)
                 or (headed_phrase(best.text, noun) if noun else None)
                 or (find_answer(kind, best.text, own) if kind != OTHER else None))
        if found is None:
            return None
        text = re.sub(r"[’']s?$", "", found.text)  # "Kim Jong-un’s meeting" names Kim Jong-un
        if set(terms(text)) <= own:
            return None  # "spy agency" for "Which spy agency …?" repeats the question
        return text

    @staticmethod
    def _candidates(passages: Sequence[Passage]) -> list[Candidate]:
        return [Candidate(key, passage, text, span.start, span.end)
                for _, passage, key, text, span in passage_sentences(passages)]

    def _missing_names(self, question: str, candidates: list[Candidate],
                       vocabulary: Callable[[str], bool]) -> list[str]:
        """Names and numbers the question hinges on that no evidence sentence contains and
        the corpus does not know either."""
        text = " ".join(c.text for c in candidates)
        evidence = {stem(w.replace(",", "")) for w in words(text)}
        missing = []
        for name in key_names(question):
            if not mentions(name, evidence, text):
                name_terms = [stem(w.replace(",", "")) for w in words(name)
                              if w not in STOPWORDS]
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
        total = sum(weights.values()) or 1.0
        context_weights = {t: self.idf(t) for t in context}
        context_total = sum(context_weights.values()) or 1.0
        def scored(candidate: Candidate, soft: dict[tuple[str, str], float]) -> Candidate:
            present = set(terms(candidate.text))
            lexical = sum(w if t in present else w * soft.get((candidate.sentence_id, t), 0.0)
                          for t, w in weights.items()) / total
            # The conversation can only add to a sentence's coverage, never dilute it: the
            # question's own words decide, the context breaks ties about what "it" was.
            lexical = min(1.0, lexical + _CONTEXT_WEIGHT * sum(
                w for t, w in context_weights.items() if t in present) / context_total)
            vector = vectors.get(candidate.sentence_id)
            dense = float(np.dot(vector, query_vector)) if vector is not None else 0.0
            support = _DENSE_WEIGHT * dense + (1 - _DENSE_WEIGHT) * lexical
            if kind != OTHER and not find_answer(kind, candidate.text, own):
                support *= _TYPE_PENALTY
            return replace(candidate, support=support, lexical=lexical)

        exact = [scored(c, {}) for c in candidates]
        # Synonyms are looked up for the strongest sentences only: the words of a dozen
        # sentences, not of every retrieved passage, are embedded for a new question.
        pool = sorted(exact, key=lambda c: -c.support)[:_SOFT_POOL]
        soft = self._soft_matches(question, own, pool)
        rescored = {c.sentence_id: scored(c, soft) for c in pool}
        return [rescored.get(c.sentence_id, c) for c in exact]

    def _soft_matches(self, question: str, own: set[str],
                      candidates: list[Candidate]) -> dict[tuple[str, str], float]:
        """For each question word a sentence lacks, its closest word in that sentence by
        word-vector cosine, when close enough to mean the same ("soldiers" ~ "troops")."""
        if self.word_vectors is None:
            return {}
        asked = {stem(w.replace(",", "")): w for w in words(question)
                 if w not in STOPWORDS and w.isalpha()}
        asked = {t: w for t, w in asked.items() if t in own}
        content = [[w for w in dict.fromkeys(words(c.text)) if w not in STOPWORDS and
                    w.isalpha()] for c in candidates]
        vocabulary = list(dict.fromkeys(w for ws in content for w in ws))
        if not asked or not vocabulary:
            return {}
        column = {w: i for i, w in enumerate(vocabulary)}
        similarity = self.word_vectors(list(asked.values())) @ self.word_vectors(vocabulary).T
        matches = {}
        for candidate, sentence_words in zip(candidates, content, strict=True):
            if not sentence_words:
                continue
            best = similarity[:, [column[w] for w in sentence_words]].max(axis=1)
            for row, term in enumerate(asked):
                if best[row] >= _SOFT_MATCH:
                    matches[(candidate.sentence_id, term)] = float(best[row])
        return matches

    def _choose(self, ranked: list[Candidate], vectors: dict[str, np.ndarray],
                lead: Candidate, best: Candidate, short: str | None,
                states: Callable[[Candidate], bool]) -> list[Candidate]:
        """The lead sentence, then close runners-up that state the same answer again.

        A second sentence earns its place only by stating the short answer again (another
        source for the same fact); without a short answer there is nothing to corroborate,
        so the answer is the one best sentence and its neighbour when that holds the answer.
        """
        chosen = [lead] if lead is best else [lead, best]
        if not short:
            return chosen[: self.max_sentences]
        floor = max(self.min_support, best.support * 0.85)
        for candidate in ranked[:8]:
            if len(chosen) >= self.max_sentences:
                break
            if candidate in chosen or candidate.support < floor or candidate.lexical == 0:
                continue
            if not states(candidate) or any(_similar(vectors, candidate, other)
                                             for other in chosen):
                continue
            chosen.append(candidate)
        return chosen

    def _states(self, candidate: Candidate, short: str | None, predicate: str | None,
                question: str) -> bool:
        """Whether a sentence repeats the short answer in the role the question asks about:
        for "Who denied …?", "North Korea has … denied" does, "Russia denied that North
        Korea …" does not (there the answer comes after the verb)."""
        at = candidate.text.lower().find(short.lower()) if short else -1
        if at < 0:
            return False
        if not predicate:
            return True
        after = Candidate(candidate.sentence_id, candidate.passage,
                          candidate.text[at + len(short):], candidate.start, candidate.end)
        return self._says(after, predicate, question)

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
    # "The spy agency reported …" / "He also …" point back to an earlier mention: look there
    # first. Otherwise the fact usually continues in the next sentence.
    order = (position - 1, position + 1) if _REFERS_BACK.match(best.text) else \
        (position + 1, position - 1)
    for index in order:
        if 0 <= index < len(spans):
            neighbour = by_start.get(spans[index].start)
            if neighbour is not None and find_answer(kind, neighbour.text, own):
                return neighbour
    return None


def _similar(vectors: dict[str, np.ndarray], a: Candidate, b: Candidate) -> bool:
    va, vb = vectors.get(a.sentence_id), vectors.get(b.sentence_id)
    return va is not None and vb is not None and float(np.dot(va, vb)) > _REDUNDANT
