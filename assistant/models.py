"""Plain data passed between the pipeline stages.

Every stage takes and returns these frozen dataclasses, so a stage can be swapped or faked
without touching its neighbours. Offsets are always character offsets into ``Article.text``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` in an article's text."""

    start: int
    end: int


@dataclass(frozen=True)
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

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end

    def sentence_texts(self) -> list[str]:
        """Each sentence's text, recovered from ``text`` (joined by " " or a blank line)."""
        texts: list[str] = []
        cursor = 0
        for span in self.sentences:
            length = span.end - span.start
            texts.append(self.text[cursor : cursor + length])
            cursor += length
            cursor += 2 if self.text.startswith("\n\n", cursor) else 1
        return texts


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article, the unit that answers quote and cite."""

    sentence_id: str
    doc_id: str
    text: str
    start: int
    end: int


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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [asdict(c) for c in self.citations]
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
