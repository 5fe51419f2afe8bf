"""Reading what a language model wrote: sentences, citation markers, links.

A reply arrives in pieces. ``SentenceStream`` turns them into whole sentences as soon as each is
complete, with the ``[n]`` markers a model writes after the full stop attached to the sentence
before them; ``text.markers`` reads and removes those markers; ``strip_links`` removes the images,
links and addresses that no source contains. The checks themselves are in ``verify``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.text.markers import LEADING_MARKERS, could_become_markers
from assistant.text.sentences import split_sentences

# Where markup starts a new piece right after a sentence ends: "… Russia. ![chart](…)".
_MARKUP_START = re.compile(r"(?<=[.!?\]”\"])\s+(?=!\[|<[a-zA-Z]|\[[^\]\d])")
_BULLET = re.compile(r"^\s*(?:[-*•+]\s+|\d{1,2}[.)]\s+|#{1,6}\s+|>\s*)")
_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*([^)\s]*)[^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*([^)\s]*)[^)]*\)")
_HTML_IMAGE = re.compile(r"<img\b(?:[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]*))?[^>]*>",
                         re.IGNORECASE)
_HTML_LINK = re.compile(r"<a\b(?:[^>]*?\bhref\s*=\s*[\"']?([^\"'\s>]*))?[^>]*>(.*?)</a\s*>",
                        re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_BARE_URL = re.compile(r"<?\b(?:https?://|www\.)[^\s<>()\"']+>?", re.IGNORECASE)
_EMPHASIS = re.compile(r"\*\*|__|`")


class SentenceStream:
    """Cuts streamed text into whole sentences, each with the markers that follow it."""

    def __init__(self) -> None:
        self.buffer = ""

    def feed(self, delta: str) -> list[str]:
        self.buffer += delta
        cut = self.buffer.rfind("\n")
        out = split_output(self.buffer[:cut]) if cut >= 0 else []
        tail = self.buffer[cut + 1:]
        spans = _line_spans(tail)
        # The last sentence may still grow; the one before it waits while the text after it
        # could still turn out to be its citation markers ("… Russia. [1").
        held = 2 if spans and could_become_markers(tail[spans[-1][0]:spans[-1][1]]) else 1
        ready = spans[:-held] if len(spans) > held else []
        out.extend(tail[a:b] for a, b in ready)
        self.buffer = tail[ready[-1][1]:] if ready else tail
        return [_BULLET.sub("", piece).strip() for piece in out if piece.strip()]

    def finish(self, cut_off: bool = False) -> list[str]:
        """The sentences still buffered once the reply ends; when it was ``cut_off``, a last
        one that stops mid-sentence is dropped."""
        out, self.buffer = split_output(self.buffer), ""
        if cut_off and out and not re.search(r"[.!?…\]\"”’)]$", out[-1]):
            out.pop()
        return out


def split_output(text: str) -> list[str]:
    """A model's text as sentences: one line never spans two, list bullets and headings are
    dropped, and markers written after a full stop belong to the sentence before them."""
    out = []
    for line in text.split("\n"):
        out.extend(line[a:b] for a, b in _line_spans(line))
    return [_BULLET.sub("", piece).strip() for piece in out if piece.strip()]


def _line_spans(line: str) -> list[tuple[int, int]]:
    """Sentence spans of one line (after any bullet), markers joined to the sentence before."""
    bullet = _BULLET.match(line)
    offset = bullet.end() if bullet else 0
    spans: list[tuple[int, int]] = []
    pieces = []
    for span in split_sentences(line[offset:]):
        cuts = [m.end() for m in _MARKUP_START.finditer(line, span.start + offset,
                                                          span.end + offset)]
        bounds = [span.start + offset, *cuts, span.end + offset]
        pieces.extend(zip(bounds, bounds[1:], strict=False))
    for start, end in pieces:
        leading = LEADING_MARKERS.match(line, start, end)
        if leading and spans:
            spans[-1] = (spans[-1][0], leading.end())
            start = leading.end()
        if line[start:end].strip():
            spans.append((start, end))
    return spans


def strip_links(text: str, holds_url: Callable[[str], bool]) -> tuple[str, list[str]]:
    """The sentence without emphasis marks and without the images, links and URLs that no
    source contains (the visible words of a link stay), and the addresses removed."""
    removed: list[str] = []
    text = _EMPHASIS.sub("", text)

    def unless_sourced(match: re.Match, url: str | None, visible: str) -> str:
        if url and holds_url(url):
            return match.group(0)
        removed.append(url or "(no address)")
        return visible

    text = _IMAGE.sub(lambda m: unless_sourced(m, m.group(1), ""), text)
    text = _HTML_IMAGE.sub(lambda m: unless_sourced(m, m.group(1), ""), text)
    text = _LINK.sub(lambda m: unless_sourced(m, m.group(2), m.group(1)), text)
    text = _HTML_LINK.sub(lambda m: unless_sourced(m, m.group(1), _TAG.sub("", m.group(2))),
                          text)
    text = _TAG.sub("", text)
    text = _BARE_URL.sub(lambda m: unless_sourced(m, m.group(0).strip("<>"), ""), text)
    return re.sub(r"\s{2,}", " ", text).strip(), removed
