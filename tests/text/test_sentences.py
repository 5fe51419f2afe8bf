"""Sentence boundaries with exact offsets: abbreviations, closing quotes, windows."""

from __future__ import annotations

from assistant.models import Span
from assistant.text.sentences import split_sentences
from tests.support import texts


def test_sentences_handle_abbreviations_and_closing_quotes():
    text = ("U.S. Ambassador Robert Wood spoke. He called it “groundless rumors.” Then Mr. Kim "
            "left at 3.5 p.m. on Monday! Was it true? Nobody knows")
    assert texts(text, split_sentences(text)) == [
        "U.S. Ambassador Robert Wood spoke.",
        "He called it “groundless rumors.”",
        "Then Mr. Kim left at 3.5 p.m. on Monday!",
        "Was it true?",
        "Nobody knows",
    ]


def test_sentence_spans_respect_a_window():
    text = "Skip this. Keep this one. And this."
    window = Span(11, len(text))
    assert texts(text, split_sentences(text, window)) == ["Keep this one.", "And this."]
