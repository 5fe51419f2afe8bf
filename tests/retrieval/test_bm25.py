"""BM25 lexical ranking over passage texts."""

from __future__ import annotations

from assistant.retrieval.bm25 import BM25


def test_bm25_finds_the_rare_name():
    texts = ["The ambassador spoke to the council about troops.",
             "Robert Wood spoke before the Security Council.",
             "Troops and more troops were reported near the border."]
    index = BM25(texts)
    assert index.top("What did Robert Wood say?", 2)[0] == 1
    assert index.top("nothing matches zebra", 3) == []
