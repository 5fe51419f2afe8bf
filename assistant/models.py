"""Plain data passed between the pipeline stages.

Every stage takes and returns these frozen dataclasses, so a stage can be swapped or faked
without touching its neighbours. Offsets are always character offsets into ``Article.text``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any


class AnswerMode(StrEnum):
    """How an answer is made: quoted article sentences, or written by a language model and
    checked sentence by sentence against its citations."""

    EXTRACTIVE = "extractive"
    LLM = "llm"

    @classmethod
    def from_str(cls, value: str) -> AnswerMode:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown answer mode {value!r}: use one of "
                             f"{', '.join(m.value for m in cls)}") from None


class CheckOutcome(StrEnum):
    """What the check decided about one sentence a language model wrote."""

    SUPPORTED = "supported"  # the passage it cites supports it
    RECITED = "recited"  # another passage supports it; its citation was corrected
    UNSUPPORTED = "unsupported"  # no passage supports it: left out
    MARKUP_ONLY = "markup_only"  # nothing but an image or link no source contains: left out
    UNCHECKABLE = "uncheckable"  # states nothing that can be checked: left out
    REPEATED = "repeated"  # says again what an earlier shown sentence said: left out
    MODEL_REFUSAL = "model_refusal"  # the model's "the coverage does not say", not a claim

    @property
    def kept(self) -> bool:
        return self in (CheckOutcome.SUPPORTED, CheckOutcome.RECITED)


@dataclass(frozen=True)
class Article:
    """One article as read from the corpus: its body text unchanged, plus metadata."""

    doc_id: str
    path: str
    title: str
    text: str
    content_hash: str
    source: str = ""
    author: str = ""
    published: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` in an article's text."""

    start: int
    end: int


def dateline(published: str) -> str:
    """An ISO publication date ("2019-01-04", optionally with a time) in words."""
    try:
        day = date.fromisoformat(published.strip()[:10])
    except ValueError:
        return ""
    return f"{day.day} {day:%B} {day.year}"


@dataclass(frozen=True, slots=True)
class Entity:
    """A named thing, number or time the NLP pipeline found in a sentence at ingest: a
    character range ``[start, end)`` and its type ("PERSON", "GPE", "DATE", "CARDINAL", ...).
    Stored with a chunk, offsets are into the article's text; handed out for one sentence
    (``EvidenceSentence.entities``, ``SentenceTagger.tag``), into that sentence's. ``counted``
    marks a span that counts something in units of time ("three days", "16 weeks"): typed as
    a date, it answers "how many" too."""

    start: int
    end: int
    label: str
    counted: bool = False

    def within(self, span: Span) -> bool:
        return span.start <= self.start and self.end <= span.end

    def moved(self, by: int) -> Entity:
        """The same entity with offsets ``by`` characters later (earlier when negative): from
        a sentence's own offsets to its article's, and back."""
        return replace(self, start=self.start + by, end=self.end + by)


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a sentence as the NLP pipeline parsed it at ingest: a character range
    ``[start, end)`` in the sentence's text, its part of speech (Penn Treebank: "VBD",
    "NNP", "MD"), its dependency relation ("nsubj", "dobj", "neg", "ROOT"), where its head
    is (``head`` tokens later, earlier when negative; 0 for a clause's root) and its lemma
    (empty when it is the word itself in lower case, see ``Parse.lemma``)."""

    start: int
    end: int
    tag: str
    dep: str
    head: int
    lemma: str = ""


@dataclass(frozen=True, slots=True)
class Tagged:
    """What the NLP pipeline found in one sentence, in offsets into its text."""

    entities: tuple[Entity, ...] = ()
    tokens: tuple[Token, ...] = ()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of whole sentences of one article, the unit that is embedded and retrieved."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    sentences: tuple[Span, ...]
    title: str = ""
    source: str = ""
    published: str = ""
    url: str = ""
    entities: tuple[Entity, ...] = ()  # of all its sentences, in article order

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def dateline(self) -> str:
        """The publication date in words ("4 January 2019"), empty when there is none: a
        question set "in January 2019" is about an article of that date even if its text
        never repeats the year."""
        return dateline(self.published)

    @property
    def end(self) -> int:
        return self.sentences[-1].end

    def sentence_texts(self) -> list[str]:
        """Each sentence's text, recovered from ``text``."""
        return [self.text[start:end] for start, end in self._bounds()]

    def leading(self, count: int) -> Chunk:
        """The chunk cut to its first ``count`` sentences."""
        end = self._bounds()[count - 1][1]
        last = self.sentences[count - 1].end
        return replace(self, text=self.text[:end], sentences=self.sentences[:count],
                       entities=tuple(e for e in self.entities if e.end <= last))

    def _bounds(self) -> list[tuple[int, int]]:
        """Where each sentence sits in ``text``: sentences are joined by " " inside a paragraph
        and by a blank line between paragraphs."""
        bounds: list[tuple[int, int]] = []
        cursor = 0
        for span in self.sentences:
            bounds.append((cursor, cursor + span.end - span.start))
            cursor = bounds[-1][1]
            cursor += 2 if self.text.startswith("\n\n", cursor) else 1
        return bounds


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of an article, the unit that answers quote and cite."""

    sentence_id: str
    doc_id: str
    text: str
    start: int
    end: int

    @classmethod
    def of(cls, doc_id: str, text: str, span: Span) -> Sentence:
        """The sentence with its stored id: the same text at the same place, the same id."""
        digest = hashlib.sha256(f"{doc_id}\x00{span.start}\x00{span.end}\x00{text}".encode())
        return cls("s-" + digest.hexdigest()[:24], doc_id, text, span.start, span.end)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused rank score."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass(frozen=True)
class Citation:
    """The exact article sentence behind one ``[n]`` marker of an answer."""

    n: int
    doc_id: str
    title: str
    source: str
    published: str
    url: str
    chunk_id: str
    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class Checked:
    """One sentence a language model wrote, and what the check decided about it."""

    text: str  # as the model wrote it
    outcome: CheckOutcome
    reason: str  # "supported", or in words why it was re-cited or dropped
    shown: str = ""  # the sentence as the reader would see it: no markers, no stripped links
    cited: tuple[int, ...] = ()  # passage numbers it cited that exist
    invalid_citations: tuple[int, ...] = ()  # numbers it cited that name no passage
    removed_links: tuple[str, ...] = ()  # addresses of links and images no source contains
    overlap: float | None = None  # share of its content words found in its evidence
    similarity: float | None = None  # embedding cosine with its closest evidence sentence

    @property
    def kept(self) -> bool:
        return self.outcome.kept

    @property
    def refusal(self) -> bool:
        return self.outcome is CheckOutcome.MODEL_REFUSAL

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"kept": self.kept, "refusal": self.refusal}


@dataclass(frozen=True)
class Verification:
    """How an answer written by a language model was checked, in the ``llm`` answer mode."""

    model: str
    sentences: tuple[Checked, ...] = ()
    fallback: str | None = None  # why the extractive answer was shown instead, if it was
    model_refused: bool = False  # the model said the passages do not answer
    condensed_question: str | None = None  # the follow-up rewritten to stand on its own
    prompt_tokens: int = 0
    passages_in_prompt: int = 0
    passages_left_out: int = 0  # retrieved passages that did not fit the context window
    history_turns_left_out: int = 0

    @property
    def dropped(self) -> tuple[Checked, ...]:
        return tuple(c for c in self.sentences if not c.kept and not c.refusal)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sentences"] = [c.to_dict() for c in self.sentences]
        data["dropped"] = [{"text": c.text, "reason": c.reason} for c in self.dropped]
        return data


@dataclass(frozen=True)
class Answer:
    """What ``ask`` returns: the cited answer text, or a refusal, and where time went."""

    question: str
    answer: str
    short_answer: str | None
    refused: bool
    citations: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    retrieved: tuple[str, ...] = ()  # chunk ids of the passages handed to the answerer, best first
    support: float | None = None  # how well the best sentence matches the question (0-1)
    confidence: float | None = None  # calibrated probability that the best sentence answers
    mode: AnswerMode = AnswerMode.EXTRACTIVE  # LLM: written by a language model, then checked
    note: str | None = None  # shown above the answer, e.g. why the model's answer is not used
    verification: Verification | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [asdict(c) for c in self.citations]
        data["verification"] = self.verification.to_dict() if self.verification else None
        return data


@dataclass(frozen=True)
class Skipped:
    """A corpus file (or record) that was not ingested, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Turn:
    """One message of a conversation's history."""

    role: str
    content: str
