"""Citation markers: the one grammar for ``[n]`` in answers, histories and model replies.

Answers write ``[n]`` after each statement. Models also write ``[1, 2]``, ``[Passage 1]`` or
``[^1]``; every reader of markers (the reply parser, the metrics, the page, follow-up handling)
goes through this module, so they all agree on what a marker is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBERS = r"\d{1,4}(?:\s*[,;]\s*\d{1,4})*"
_ONE = r"\[\s*(?:passage\s*|\^)?(" + _NUMBERS + r")\s*\]"
MARKER = re.compile(_ONE, re.IGNORECASE)
_WITH_SPACE = re.compile(r"\s*" + _ONE, re.IGNORECASE)
# Markers written at the start of a piece, with the punctuation a model may put between them.
LEADING_MARKERS = re.compile(r"\s*(?:" + _ONE + r"[\s.,;:]*)+", re.IGNORECASE)
# A tail that may still become markers as more text streams in: "[", "[1", "[Pass", "[2]".
_PARTIAL = re.compile(r"[\s\[\]\d,;.:^]*(?:\[\s*[a-z]{0,7}\s*[\d,;\s]*\]?)?[\s.,;:]*",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Marker:
    """One marker in a text: where it is and the passage or citation numbers it holds."""

    start: int
    end: int
    numbers: tuple[int, ...]


def marker(n: int) -> str:
    """How an answer writes citation ``n``."""
    return f"[{n}]"


def find_markers(text: str) -> list[Marker]:
    return [Marker(m.start(), m.end(), tuple(int(n) for n in re.split(r"[,;]", m.group(1))))
            for m in MARKER.finditer(text)]


def marker_numbers(text: str) -> list[int]:
    """Every number the markers of ``text`` hold, each once, in order of first appearance."""
    return list(dict.fromkeys(n for m in find_markers(text) for n in m.numbers))


def strip_markers(text: str) -> str:
    """The text without its markers (and the spaces before them); other spacing is kept."""
    return _WITH_SPACE.sub("", text)


def without_markers(text: str) -> tuple[str, list[int]]:
    """The text without markers, tidied (no double spaces, no space before punctuation), and
    the numbers they held."""
    bare = re.sub(r"\s{2,}", " ", MARKER.sub("", text))
    return re.sub(r"\s+([.,;:!?])", r"\1", bare).strip(), marker_numbers(text)


def could_become_markers(tail: str) -> bool:
    """Whether streamed text so far could still turn out to be only citation markers."""
    return bool(_PARTIAL.fullmatch(tail))


def statement_ends(text: str) -> list[int]:
    """Offsets where a statement ends: after a run of markers that whitespace follows."""
    ends = []
    found = find_markers(text)
    for this, following in zip(found, [*found[1:], None], strict=False):
        gap = text[this.end:following.start] if following else text[this.end:]
        if following is not None and not gap.strip():
            continue  # "[1] [2]": the run goes on
        if gap[:1].isspace():
            ends.append(this.end)
    return ends
