"""Sentence-aware chunking with exact offsets.

Chunks are runs of whole prose sentences packed up to ``chunk_size`` tiktoken tokens, with
trailing sentences repeated at the start of the next chunk up to ``chunk_overlap`` tokens. A
chunk never cuts a sentence (unless one sentence alone is over the limit), and it records the
offsets of each of its sentences, so any sentence can be quoted and cited exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from assistant.models import Article, Chunk, Sentence, Span
from assistant.text.cleaning import prose_spans
from assistant.text.instructions import is_instruction
from assistant.text.sentences import split_sentences
from assistant.text.tokens import TokenCounter


def article_sentences(article: Article, count_tokens: TokenCounter, limit: int) -> list[Span]:
    """The prose sentences of an article; a sentence over ``limit`` tokens is cut at spaces.
    A sentence planted to instruct a language model is no prose of the story: it is left out."""
    spans: list[Span] = []
    for block in prose_spans(article.text):
        for sentence in split_sentences(article.text, block):
            if not is_instruction(article.text[sentence.start:sentence.end]):
                spans.extend(_fit(article.text, sentence, count_tokens, limit))
    return spans


def _fit(text: str, span: Span, count_tokens: TokenCounter, limit: int) -> list[Span]:
    if count_tokens(text[span.start : span.end]) <= limit:
        return [span]
    pieces: list[Span] = []
    start = span.start
    while start < span.end:
        end = span.end
        while count_tokens(text[start:end]) > limit:
            cut = text.rfind(" ", start + 1, start + (end - start) * 3 // 4)
            end = cut if cut > start else start + (end - start) * 3 // 4
        pieces.append(Span(start, end))
        start = end
        while start < span.end and text[start].isspace():
            start += 1
    return pieces


def to_sentences(article: Article, spans: Sequence[Span]) -> list[Sentence]:
    return [Sentence.of(article.doc_id, article.text[s.start : s.end], s) for s in spans]


def chunk_article(article: Article, spans: Sequence[Span], count_tokens: TokenCounter,
                  chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Pack the article's sentence spans into overlapping chunks of whole sentences."""
    costs = [count_tokens(article.text[s.start : s.end]) + 1 for s in spans]
    groups: list[list[int]] = []
    first = 0
    while first < len(spans):
        last, total = first, costs[first]
        while last + 1 < len(spans) and total + costs[last + 1] <= chunk_size:
            last += 1
            total += costs[last]
        groups.append(list(range(first, last + 1)))
        if last + 1 >= len(spans):
            break
        next_first, carried = last + 1, 0
        while next_first - 1 > first and carried + costs[next_first - 1] <= chunk_overlap:
            next_first -= 1
            carried += costs[next_first]
        first = next_first
    return [_make_chunk(article, [spans[i] for i in group], index)
            for index, group in enumerate(groups)]


def _make_chunk(article: Article, spans: list[Span], index: int) -> Chunk:
    text = _join(article.text, spans)
    digest = hashlib.sha256(
        f"{article.doc_id}\x00{spans[0].start}\x00{spans[-1].end}\x00{text}".encode()
    )
    return Chunk(
        chunk_id="c-" + digest.hexdigest()[:24],
        doc_id=article.doc_id,
        index=index,
        text=text,
        sentences=tuple(spans),
        title=article.title,
        source=article.source,
        published=article.published,
        url=article.url,
    )


def _join(text: str, spans: list[Span]) -> str:
    """Sentences joined as they stand: a space inside a paragraph, a blank line between."""
    parts = [text[spans[0].start : spans[0].end]]
    for previous, span in zip(spans, spans[1:], strict=False):
        gap = text[previous.end : span.start]
        parts.append("\n\n" if "\n" in gap else " ")
        parts.append(text[span.start : span.end])
    return "".join(parts)
