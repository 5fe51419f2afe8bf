"""HTML for the chat page: answers with clickable ``[n]`` markers and the sources panel.

Everything that comes from an article or a user is escaped here, once, before it reaches the
page: HTML special characters and every character Markdown gives a meaning to become numeric
character references, so no markup, script, image or link inside an article or a question is
ever interpreted. The only markup on the page is what these functions write themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.models import Answer, AnswerMode, CheckOutcome, Chunk, Citation, Verification
from assistant.text.markers import find_markers, statement_ends

# HTML specials plus Markdown's syntax characters (and ':' so no text turns into an autolink).
_SPECIAL = set("&<>\"'\\`*_{}[]()#+-.!|~:=")


def escape(text: str) -> str:
    """Text shown literally whether the page renders it as HTML or as Markdown."""
    return "".join(f"&#{ord(ch)};" if ch in _SPECIAL else ch for ch in text)


def source_anchor(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


def answer_pieces(answer: Answer) -> list[str]:
    """The answer text cut after each citation marker: the units the page streams in."""
    text = answer.answer
    bounds = [0, *statement_ends(text), len(text)]
    pieces = [text[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False)]
    return [p for p in pieces if p] or [text]


def answer_html(answer: Answer, turn: int, text: str | None = None,
                pending: bool = False) -> str:
    """The answer (or a prefix of it) with each valid ``[n]`` linked to its source, after any
    note, and for a written answer a line on how it was checked (or, while it is still being
    written, that it is)."""
    note = f'<div class="answer-note">{escape(answer.note)}</div>' if answer.note else ""
    after = ""
    if pending:
        after = ('<div class="check-line pending">Writing the answer and checking each '
                 "sentence against its source…</div>")
    elif answer.mode == AnswerMode.LLM and answer.verification:
        after = check_html(answer.verification)
    return note + _answer_body(answer, turn, answer.answer if text is None else text) + after


def check_html(verification: Verification) -> str:
    """How a written answer was checked: the model, and what was left out (counted, never
    shown: a sentence that failed the check does not reach the reader)."""
    dropped = verification.dropped
    unsupported = sum(1 for c in dropped if c.shown and c.outcome is not CheckOutcome.MARKUP_ONLY)
    links = sum(len(c.removed_links) for c in verification.sentences)
    parts = [f"Written by {escape(verification.model)}; each sentence checked against the "
             "sentence it cites."]
    if verification.model_refused:
        parts = [f"{escape(verification.model)} found no answer in the retrieved passages."]
    elif unsupported:
        parts.append(f"{unsupported} sentence{'s' if unsupported != 1 else ''} left out: not "
                     "supported by the sources.")
    if links:
        parts.append(f"{links} link{'s' if links != 1 else ''} or image"
                     f"{'s' if links != 1 else ''} no source contains removed.")
    return f'<div class="check-line">{" ".join(parts)}</div>'


def _answer_body(answer: Answer, turn: int, text: str) -> str:
    if answer.refused:
        return (f'<span class="refusal-badge">Not in the coverage</span> '
                f'<span class="refusal">{escape(text)}</span>')
    by_n = {c.n: c for c in answer.citations}
    out: list[str] = []
    cursor = 0
    for found in find_markers(text):
        cited = [by_n[n] for n in found.numbers if n in by_n]
        if not cited:
            continue
        out.append(_segment(text[cursor:found.start], answer.short_answer if not out else None))
        out.extend(_marker(citation, turn) for citation in cited)
        cursor = found.end
    out.append(_segment(text[cursor:], answer.short_answer if not out else None))
    return "".join(out)


def _segment(text: str, short_answer: str | None) -> str:
    """Escaped text; the short answer, where the first sentence holds it, in bold."""
    at = text.find(short_answer) if short_answer else -1
    if at < 0:
        return escape(text)
    end = at + len(short_answer)
    return f"{escape(text[:at])}<strong>{escape(text[at:end])}</strong>{escape(text[end:])}"


def _marker(citation: Citation, turn: int) -> str:
    hint = escape(f"{citation.title}: “{citation.quote}”" if citation.title else citation.quote)
    return (f'<a class="cite" href="#{source_anchor(turn, citation.n)}" '
            f'title="{hint}">'
            f"&#91;{citation.n}&#93;</a>")


def error_html(message: str) -> str:
    return f'<span class="engine-error">{escape(message)}</span>'


def sources_html(answers: Sequence[Answer], chunk: Callable[[str], Chunk | None]) -> str:
    """The sources of every answer so far, newest first, each quote shown in its passage."""
    blocks = []
    for turn in range(len(answers), 0, -1):
        answer = answers[turn - 1]
        if not answer.citations:
            continue
        items = "".join(_source(c, turn, chunk(c.chunk_id)) for c in answer.citations)
        blocks.append(f'<section class="turn-sources"><h4>Sources for “{escape(answer.question)}”'
                      f"</h4>{items}</section>")
    if not blocks:
        return ('<div class="sources-empty">Sources appear here: each cited sentence is shown '
                "highlighted inside its passage.</div>")
    return "".join(blocks)


def _source(citation: Citation, turn: int, chunk: Chunk | None) -> str:
    byline = " · ".join(escape(x) for x in (citation.source, citation.published) if x)
    link = ""
    if citation.url.startswith(("https://", "http://")):
        link = (f' <a class="source-link" href="{escape(citation.url)}" target="_blank" '
                f'rel="noopener noreferrer nofollow">open article</a>')
    return (f'<div class="source" id="{source_anchor(turn, citation.n)}">'
            f'<div class="source-head"><span class="source-n">&#91;{citation.n}&#93;</span> '
            f'<span class="source-title">{escape(citation.title or citation.doc_id)}</span>'
            f'{f" <span class=source-byline>{byline}</span>" if byline else ""}{link}</div>'
            f'<blockquote class="passage">{passage_html(citation, chunk)}</blockquote>'
            f'<div class="source-where">{escape(citation.doc_id)}, characters '
            f"{citation.start}–{citation.end}</div></div>")


def passage_html(citation: Citation, chunk: Chunk | None) -> str:
    """The passage around the cited sentence, with that sentence marked."""
    if chunk is None:
        return f"<mark>{escape(citation.quote)}</mark>"
    parts = []
    for span, text in zip(chunk.sentences, chunk.sentence_texts(), strict=True):
        cited = (span.start, span.end) == (citation.start, citation.end)
        parts.append(f"<mark>{escape(text)}</mark>" if cited else escape(text))
    if not any("<mark>" in p for p in parts):
        parts.append(f"<mark>{escape(citation.quote)}</mark>")
    return " ".join(parts)
