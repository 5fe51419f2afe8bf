"""Prose detection: scrape leftovers are dropped, hard-wrapped paragraphs stay whole."""

from __future__ import annotations

from assistant.text.cleaning import is_prose, prose_spans
from tests.support import SEED, texts


def test_scrape_leftovers_are_not_prose():
    text = SEED.read_text(encoding="utf-8")
    kept = texts(text, prose_spans(text))
    joined = "\n".join(kept)
    assert "Related Posts" not in joined
    assert "North Korea Mobilizes Citizens" not in joined
    assert not any(k.startswith("North Korea Denies Sending Troops") for k in kept)
    assert kept[0].startswith("North Korea has officially denied sending troops")
    assert kept[-1].endswith("beyond Ukraine’s borders.")


def test_prose_rule_on_other_scrapes():
    assert not is_prose("Share this article")
    assert not is_prose("Copyright 2024 The Coastal Times. All rights reserved.")
    assert not is_prose("Read more: the ten best ferries of the year.")
    assert is_prose("The mayor declined to comment on the shortage of pastry supplies.")
    text = "## Heading Here\nThe council met on Tuesday and approved the new budget for roads."
    assert texts(text, prose_spans(text)) == [
        "The council met on Tuesday and approved the new budget for roads."
    ]


def test_hard_wrapped_paragraph_stays_whole():
    text = ("The council met on Tuesday and approved\nthe new budget for roads and bridges\n"
            "after a long debate.")
    assert texts(text, prose_spans(text)) == [text]
