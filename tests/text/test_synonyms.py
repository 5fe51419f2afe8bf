"""Close synonyms by word vector, on a recording fake word-vector function."""

from __future__ import annotations

import numpy as np

from assistant.text.lexical import stem
from assistant.text.synonyms import SYNONYM_COSINE, SynonymMatcher, content_words


class FakeWordVectors:
    """Hand-made unit vectors for a few words; records every list of words it is asked for."""

    VECTORS = {
        "troops": (1.0, 0.0, 0.0),
        "soldiers": (0.8, 0.6, 0.0),  # cosine 0.8 with "troops"
        "forces": (0.6, 0.8, 0.0),  # cosine 0.6 with "troops": under the threshold
        "arrived": (0.0, 1.0, 0.0),
        "bananas": (0.0, 0.0, 1.0),
        "yellow": (0.0, 0.6, 0.8),
    }

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, words: list[str]) -> np.ndarray:
        self.calls.append(list(words))
        return np.array([self.VECTORS[w] for w in words], dtype=np.float64)


QUESTION = "How many troops were sent?"
WANTED = {stem("troops")}


def test_a_close_synonym_is_found_with_its_cosine_and_a_distant_word_is_not():
    vectors = FakeWordVectors()
    matcher = SynonymMatcher(vectors)
    found = matcher.matches(QUESTION, WANTED, ["The soldiers arrived.", "Bananas are yellow.",
                                               "The forces arrived."])
    assert found == [{"troop": 0.8}, {}, {}]
    assert vectors.calls == [["troops"], ["soldiers", "arrived", "bananas", "yellow", "forces"]]


def test_the_threshold_is_inclusive_and_can_be_set():
    assert SYNONYM_COSINE == 0.62
    candidates = ["The forces arrived."]
    assert SynonymMatcher(FakeWordVectors(), threshold=0.6).matches(
        QUESTION, WANTED, candidates) == [{"troop": 0.6}]
    assert SynonymMatcher(FakeWordVectors(), threshold=0.61).matches(
        QUESTION, WANTED, candidates) == [{}]


def test_only_wanted_words_are_looked_up_and_empty_candidates_find_nothing():
    vectors = FakeWordVectors()
    matcher = SynonymMatcher(vectors)
    assert matcher.matches(QUESTION, {"zebra"}, ["The soldiers arrived."]) == [{}]
    assert matcher.matches(QUESTION, WANTED, ["The of and it was", ""]) == [{}, {}]
    assert vectors.calls == []  # nothing asked, or nothing to compare with: no lookup
    assert matcher.matches(QUESTION, WANTED, ["It was so.", "The soldiers arrived."]) == [
        {}, {"troop": 0.8}]


def test_without_word_vectors_there_are_no_synonyms():
    assert SynonymMatcher(None).matches(QUESTION, WANTED, ["The soldiers arrived.", "x"]) == [
        {}, {}]
    assert SynonymMatcher(None).matches(QUESTION, WANTED, []) == []


def test_content_words_are_distinct_alphabetic_non_stopwords_in_order():
    assert content_words("The Soldiers, the soldiers and 1,500 troops arrived in Russia’s "
                         "east.") == ["soldiers", "troops", "arrived", "russia", "east"]
    assert content_words("The of and it was") == []


def test_the_words_of_a_text_that_say_an_asked_word_otherwise_are_found():
    vectors = FakeWordVectors()
    matcher = SynonymMatcher(vectors)
    # "soldiers" says "troops" (0.8); "forces" is too far (0.6); "troops" itself is no synonym.
    assert matcher.said_for(["troops"], "The troops and soldiers and forces arrived.") == \
        ["soldiers"]
    assert vectors.calls == [["troops"], ["soldiers", "forces", "arrived"]]
    assert matcher.said_for(["the"], "The soldiers arrived.") == []  # no content word asked
    assert SynonymMatcher(None).said_for(["troops"], "The soldiers arrived.") == []
