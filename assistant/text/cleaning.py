"""Telling article prose from scrape leftovers, without changing the text.

A scraped page carries headings, link captions ("North Korea Mobilizes Citizens"), "Related
Posts" trailers, share buttons and copyright lines around the prose. Rather than editing the
text (which would break citation offsets), this module returns the spans of the blocks that are
prose; everything else is simply never chunked, embedded or quoted.

The rule is general: a prose block is a paragraph of at least ``MIN_PROSE_WORDS`` words that
ends like a sentence and is not a known boilerplate line. Headlines, captions and navigation
text do not end like sentences.
"""

from __future__ import annotations

import re

from assistant.models import Span
from assistant.text.sentences import trim_span

MIN_PROSE_WORDS = 6

_BLOCK_SEPARATOR = re.compile(r"\n[ \t\r\f\v]*\n")
_ENDS_LIKE_SENTENCE = re.compile(r"""[.!?…]["'”’)\]]*$""")
_WORD = re.compile(r"\w+")
_BOILERPLATE = re.compile(
    r"""^(?:
        (?:copyright|\(c\)|©).*|
        .*all\ rights\ reserved.*|
        (?:read\ more|related\ (?:posts|articles|stories)|share\ this|sign\ up|subscribe|
           follow\ us|click\ here|advertisement|cookies?\ (?:policy|settings)).*
    )$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def _blocks(text: str) -> list[Span]:
    spans: list[Span] = []
    cursor = 0
    for match in _BLOCK_SEPARATOR.finditer(text):
        spans.append(Span(cursor, match.start()))
        cursor = match.end()
    spans.append(Span(cursor, len(text)))
    return spans


def _lines(text: str, block: Span) -> list[Span]:
    spans: list[Span] = []
    cursor = block.start
    for match in re.finditer(r"\n", text[block.start : block.end]):
        spans.append(Span(cursor, block.start + match.start()))
        cursor = block.start + match.end()
    spans.append(Span(cursor, block.end))
    return spans


def is_prose(block_text: str) -> bool:
    """Whether a paragraph reads as article prose rather than page furniture."""
    stripped = block_text.strip()
    if len(_WORD.findall(stripped)) < MIN_PROSE_WORDS:
        return False
    if not _ENDS_LIKE_SENTENCE.search(stripped):
        return False
    return not _BOILERPLATE.match(stripped)


def prose_spans(text: str) -> list[Span]:
    """Spans of the prose paragraphs of ``text``, in order, trimmed of surrounding space.

    Heading-like lines at the top of a paragraph (a Markdown ``#`` line, or a short line
    with no closing punctuation) are left out, so a caption glued to the paragraph below it
    is not quoted either.
    """
    kept: list[Span] = []
    for block in _blocks(text):
        lines = [s for s in (trim_span(text, s) for s in _lines(text, block)) if s.end > s.start]
        while len(lines) > 1 and _is_heading_line(text[lines[0].start : lines[0].end]):
            lines.pop(0)
        if not lines:
            continue
        span = Span(lines[0].start, lines[-1].end)
        if is_prose(text[span.start : span.end]):
            kept.append(span)
    return kept


def _is_heading_line(line: str) -> bool:
    """A Markdown heading, or a short title-cased line with no closing punctuation."""
    if line.startswith("#"):
        return True
    if _ENDS_LIKE_SENTENCE.search(line):
        return False
    words = [w for w in _WORD.findall(line) if len(w) > 3]
    capitalised = sum(1 for w in words if w[0].isupper())
    return bool(words) and capitalised / len(words) >= 0.6
