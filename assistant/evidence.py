"""The one shape of "a sentence of a retrieved passage", shared by every answerer and check.

Answers quote, score and cite sentences, and the check of a written answer weighs them as
evidence; all of them see the retrieved passages as the same numbered list of sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from assistant.models import Citation, Entity, Passage, Sentence, Span, Token
from assistant.text.instructions import is_instruction
from assistant.text.syntax import Parse

# The stored vectors of sentences, by sentence id (a sentence not stored is left out).
SentenceVectors = Callable[[Sequence[Sentence]], dict[str, np.ndarray]]
# The stored parses of sentences, likewise.
SentenceTokens = Callable[[Sequence[Sentence]], dict[str, tuple[Token, ...]]]


@dataclass(frozen=True)
class EvidenceSentence:
    """One sentence of a retrieved passage, with the passage's number in rank order."""

    n: int  # the passage's number, from 1
    passage: Passage
    sentence: Sentence
    tokens: tuple[Token, ...] = ()  # its parse, stored at ingest, when it was asked for

    @property
    def sentence_id(self) -> str:
        return self.sentence.sentence_id

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def start(self) -> int:
        return self.sentence.start

    @property
    def end(self) -> int:
        return self.sentence.end

    @cached_property
    def entities(self) -> tuple[Entity, ...]:
        """The entities found in this sentence at ingest, in offsets into its own text."""
        span = Span(self.start, self.end)
        return tuple(e.moved(-self.start) for e in self.passage.chunk.entities
                     if e.within(span))

    @cached_property
    def parse(self) -> Parse:
        return Parse(self.text, self.tokens, self.entities)

    def citation(self, n: int) -> Citation:
        """This sentence as citation ``[n]`` of an answer."""
        chunk = self.passage.chunk
        return Citation(n, chunk.doc_id, chunk.title, chunk.source, chunk.published, chunk.url,
                        chunk.chunk_id, self.text, self.start, self.end)

    def position(self) -> int:
        """Where the sentence sits in its passage, from 0."""
        return [span.start for span in self.passage.chunk.sentences].index(self.start)


def evidence_sentences(passages: Sequence[Passage]) -> Iterator[EvidenceSentence]:
    """Each distinct sentence of the passages, in rank order. Overlapping passages share
    sentences; each comes once, under the first passage that holds it. A sentence that
    instructs a model is skipped (an index built before such sentences were left out at
    ingestion may still hold one)."""
    seen: set[str] = set()
    for n, passage in enumerate(passages, start=1):
        chunk = passage.chunk
        for span, text in zip(chunk.sentences, chunk.sentence_texts(), strict=True):
            sentence = Sentence.of(chunk.doc_id, text, span)
            if sentence.sentence_id not in seen and not is_instruction(text):
                seen.add(sentence.sentence_id)
                yield EvidenceSentence(n, passage, sentence)


def with_parses(evidence: Sequence[EvidenceSentence], parses: SentenceTokens
                ) -> list[EvidenceSentence]:
    """The sentences with their stored parses (one read for all of them)."""
    found = parses([e.sentence for e in evidence])
    return [replace(e, tokens=found.get(e.sentence_id, ())) for e in evidence]
