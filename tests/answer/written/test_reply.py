"""A model's reply cut into sentences as it streams, and links no source holds removed."""

from __future__ import annotations

from assistant.answer.written.reply import SentenceStream, split_output, strip_links
from tests.support import SOURCES


def test_output_is_cut_into_sentences_with_their_markers():
    text = ("North Korea denied it. [1] The agency said 1,500 troops were sent [2]. Mr. Wood "
            "spoke at the U.N. [3][1]\n- A listed point [2].\n2. A numbered point [1]\n"
            "## A heading")
    expected = ["North Korea denied it. [1]", "The agency said 1,500 troops were sent [2].",
                "Mr. Wood spoke at the U.N. [3][1]", "A listed point [2].",
                "A numbered point [1]", "A heading"]
    assert split_output(text) == expected
    for size in (1, 2, 5):  # however the stream is cut, the same sentences come out
        stream = SentenceStream()
        got = [s for at in range(0, len(text), size) for s in stream.feed(text[at:at + size])]
        assert got + stream.finish() == expected


def test_a_sentence_waits_while_its_markers_may_still_be_arriving():
    stream = SentenceStream()
    assert stream.feed("North Korea denied it. [") == []
    assert stream.feed("1] It said") == ["North Korea denied it. [1]"]
    assert stream.finish() == ["It said"]
    assert stream.feed("It did. [Pass") == []
    assert stream.feed("age 2] Next") == ["It did. [Passage 2]"]
    assert stream.feed(" one ends [1]. And then") == ["Next one ends [1]."]
    assert stream.finish(cut_off=True) == []  # a reply cut off mid-sentence loses that part


def test_markup_after_a_sentence_starts_a_new_piece():
    assert split_output("It denied it [1]. ![x](http://a.example/x.png) Next [2].") == [
        "It denied it [1].", "![x](http://a.example/x.png) Next [2]."]


def test_links_and_images_no_source_holds_are_removed():
    text, removed = strip_links(
        "See ![proof](http://203.0.113.9/x.png) and [the report](https://evil.example/r) or "
        '<img src="http://203.0.113.9/y.png" onerror="alert(1)"> <a href="https://x.example">'
        "here</a> at www.evil.example/page and https://news.example/denial.", SOURCES.holds_url)
    assert text == "See and the report or here at and https://news.example/denial."
    assert removed == ["http://203.0.113.9/x.png", "http://203.0.113.9/y.png",
                       "https://evil.example/r", "https://x.example", "www.evil.example/page"]
