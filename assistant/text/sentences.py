"""Sentence boundaries with exact character offsets.

Answers quote whole sentences and cite their offsets, so the splitter never rewrites text: it
only finds boundaries. It knows common abbreviations ("U.S.", "Mr.") and closing quotes after
the full stop, the two things news prose is full of.
"""

from __future__ import annotations

import re

from assistant.models import Span

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st jr sr gen col lt sgt capt maj cmdr adm gov sen rep pres
    inc corp ltd co no vs etc e.g i.e al fig jan feb mar apr jun jul aug sep sept oct nov dec
    mt ft approx dept est""".split()
)

# A sentence ends at . ! ? or … , optionally followed by closing quotes or brackets, then
# whitespace and something that can open a sentence.
_BOUNDARY = re.compile(
    r"""(?<=[.!?…])["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])""",
)
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


def _is_abbreviation(text_before: str) -> bool:
    match = _LAST_WORD.search(text_before)
    if not match:
        return False
    word = match.group(1)
    if word.lower() in _ABBREVIATIONS:
        return True
    # Initialisms such as "U.S." or "J." in "John F. Kennedy".
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word)) and len(word) <= 5 and (
        "." in word or word.isupper()
    )


def split_sentences(text: str, span: Span | None = None) -> list[Span]:
    """Return the sentence spans inside ``span`` (default: all of ``text``), trimmed of spaces."""
    start = span.start if span else 0
    end = span.end if span else len(text)
    spans: list[Span] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        cut = match.end()
        if _is_abbreviation(text[cursor : match.start()].rstrip("\"'”’)]")):
            continue
        spans.append(trim_span(text, Span(cursor, cut)))
        cursor = cut
    spans.append(trim_span(text, Span(cursor, end)))
    return [span for span in spans if span.end > span.start]


def trim_span(text: str, span: Span) -> Span:
    """The span without the whitespace at its ends (empty if it was all whitespace)."""
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)
