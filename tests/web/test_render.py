"""The page's HTML: what comes from articles and users is shown as text, never interpreted."""

from __future__ import annotations

import html
import re

from assistant.models import Answer, Chunk, Citation, Span
from assistant.web.render import answer_html, answer_pieces, escape, passage_html, sources_html

TEXT = "First sentence here. The <b>cited</b> one [x](http://e.x/y). Last one."
CHUNK = Chunk("c1", "doc.txt", 0, TEXT, (Span(0, 20), Span(21, 60), Span(61, 70)), title="T")


def citation(n: int, quote: str = "The <b>cited</b> one [x](http://e.x/y).", start: int = 21,
             end: int = 61, url: str = "") -> Citation:
    return Citation(n, "doc.txt", "A <i>title</i>", "Gazette", "2026-01-02", url, "c1", quote,
                    start, end)


def test_escape_leaves_no_markup_or_markdown_syntax():
    hostile = '<script>alert(1)</script> ![i](http://x/y.png) [l](javascript:x) **b** `c` # h'
    escaped = escape(hostile)
    assert not re.search(r"[<>\[\]()*`#:!]", re.sub(r"&#\d+;", "", escaped))
    assert html.unescape(escaped) == hostile


def test_answer_links_each_valid_marker_and_keeps_others_as_text():
    answer = Answer("q", "North Korea denied it [1] Then [9] more. [2]", "North Korea", False,
                    (citation(1), citation(2)))
    rendered = answer_html(answer, turn=3)
    assert rendered.count('class="cite"') == 2
    assert 'href="#src-3-1"' in rendered and 'href="#src-3-2"' in rendered
    assert "&#91;9&#93;" in rendered and "src-3-9" not in rendered
    assert rendered.startswith("<strong>North Korea</strong>")
    assert "<b>" not in rendered and "&#60;b&#62;cited" in rendered  # the quote in the tooltip


def test_refusal_is_marked_as_a_refusal():
    rendered = answer_html(Answer("q", "The coverage doesn't say.", None, True), turn=1)
    assert 'class="refusal-badge"' in rendered and "cite" not in rendered


def test_answer_streams_one_cited_sentence_at_a_time():
    answer = Answer("q", "One [1] Two [2]", None, False, (citation(1), citation(2)))
    assert answer_pieces(answer) == ["One [1]", "Two [2]"]


def test_passage_marks_exactly_the_cited_sentence():
    rendered = passage_html(citation(1), CHUNK)
    assert rendered.count("<mark>") == 1
    marked = re.search(r"<mark>(.*?)</mark>", rendered).group(1)
    assert html.unescape(marked) == "The <b>cited</b> one [x](http://e.x/y)."
    assert rendered.startswith("First sentence here&#46;")


def test_sources_panel_escapes_metadata_and_only_links_web_urls():
    answers = [Answer("who <em>?</em>", "a [1]", None, False, (citation(1, url="javascript:x"),)),
               Answer("next", "b [1]", None, False, (citation(1, url="https://e.x/a"),))]
    panel = sources_html(answers, {"c1": CHUNK}.get)
    assert panel.index('id="src-2-1"') < panel.index('id="src-1-1"')  # newest first
    assert "<i>" not in panel and "<em>" not in panel and "<b>" not in panel
    assert 'href="javascript' not in panel
    assert panel.count('class="source-link"') == 1
    assert "Gazette" in panel and "2026&#45;01&#45;02" in panel


def test_sources_panel_before_any_answer_explains_itself():
    assert "Sources appear here" in sources_html([], lambda _: None)


def test_a_written_answer_says_how_it_was_checked_without_showing_what_failed():
    from assistant.models import Checked, CheckOutcome, Verification

    check = Verification("tiny<model>", (
        Checked("North Korea denied it [1].", CheckOutcome.SUPPORTED, "supported",
                "North Korea denied it."),
        Checked("It sent 20,000 troops [1].", CheckOutcome.UNSUPPORTED, "names 20,000, which …",
                "It sent 20,000."),
        Checked("![x](http://203.0.113.9/x.png)", CheckOutcome.MARKUP_ONLY, "an image or link "
                "that no source contains", "", removed_links=("http://203.0.113.9/x.png",)),
    ))
    answer = Answer("Who?", "North Korea denied it. [1]", None, False, (citation(1),), mode="llm",
                    verification=check)
    shown = answer_html(answer, 1)
    text = html.unescape(re.sub(r"<[^>]+>", "", shown))
    assert text == ("North Korea denied it. [1]Written by tiny<model>; each sentence checked "
                    "against the sentence it cites. 1 sentence left out: not supported by the "
                    "sources. 1 link or image no source contains removed.")
    assert "20,000" not in shown and "203.0.113.9" not in shown and "<model>" not in shown
    assert "Writing the answer" in answer_html(answer, 1, pending=True)
    noted = Answer("Who?", "Quoted. [1]", None, False, (citation(1),), note="The model <failed>.")
    assert html.unescape(re.sub(r"<[^>]+>", "", answer_html(noted, 1))).startswith(
        "The model <failed>.Quoted. [1]")
