"""The corpus's places that a nationality's word names, and names said through them."""

import numpy as np
import pytest

from assistant.models import Chunk, Entity, Span
from assistant.store.embedding import WordVectors
from assistant.text.groups import GROUP, PLACE, GroupPlaces, entity_texts
from assistant.text.names import asked_groups, names_outside, says_place


class RecordingVectors:
    """Fixed vectors for a few names, whatever phrase holds them; records every batch it is
    asked to embed."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array([self.vectors[_named(t)] for t in texts], dtype=np.float32)


def _named(phrase: str) -> str:
    for prefix, suffix in (("the government of ", ""), ("the ", " government")):
        if phrase.startswith(prefix) and phrase.endswith(suffix):
            return phrase[len(prefix):len(phrase) - len(suffix)]
    raise AssertionError(f"not a place or group phrase: {phrase}")


VECTORS = {
    # places
    "Poland": [1.0, 0.0, 0.0, 0.0], "Warsaw": [0.9, 0.2, 0.0, 0.0],
    "Ukraine": [0.0, 1.0, 0.0, 0.0], "Kyiv": [0.2, 0.9, 0.0, 0.0],
    "Denmark": [0.1, 0.1, 1.0, 0.0],
    # groups the corpus names
    "Polish": [1.0, 0.1, 0.0, 0.0], "polish": [1.0, 0.1, 0.0, 0.0],
    "Ukrainian": [0.0, 1.0, 0.1, 0.0], "Republicans": [0.0, 0.0, 0.0, 1.0],
    # and one it does not
    "Danish": [0.0, 0.0, 1.0, 0.1],
}


PLACES = ["Poland", "Warsaw", "Ukraine", "Kyiv", "Denmark"]


def corpus_places(embed):
    return GroupPlaces(["Polish", "Ukrainian", "Republicans"], embed, PLACES)


def test_a_group_names_the_places_closest_to_it_of_all_groups():
    places = corpus_places(RecordingVectors(VECTORS))
    assert places.places("Polish", PLACES) == ("Poland", "Warsaw")
    assert places.places("Polish", ["Kyiv", "Warsaw"]) == ("Warsaw",)
    assert places.places("Republicans", PLACES) == ()  # no place is closer to it than to another


def test_a_place_closest_to_a_group_but_not_close_is_not_named_by_it():
    # Denmark is closer to "Ukrainian" than to "Polish" or "Republicans", but far from all.
    places = corpus_places(RecordingVectors(VECTORS))
    assert places.places("Ukrainian", PLACES) == ("Ukraine", "Kyiv")


def test_a_group_the_corpus_never_names_takes_the_places_closer_to_it_than_to_theirs():
    places = corpus_places(RecordingVectors(VECTORS))
    assert places.places("Danish", PLACES) == ("Denmark",)


def test_groups_and_places_are_embedded_once_as_phrases():
    embed = RecordingVectors(VECTORS)
    places = corpus_places(embed)
    places.warm_up(limit=2)
    assert embed.calls == [
        ["the Polish government", "the Ukrainian government", "the Republicans government"],
        ["the government of Poland", "the government of Warsaw"]]
    places.places("Polish", ["Warsaw", "Kyiv"])
    places.places("polish", ["Kyiv"])  # one group however it is written
    assert embed.calls[2:] == [["the government of Kyiv"]]  # only the place not yet embedded
    places.places("Danish", ["Kyiv"])
    places.places("Danish", ["Warsaw"])
    assert embed.calls[3:] == [["the Danish government"]]


def test_no_places_are_named_among_none():
    embed = RecordingVectors(VECTORS)
    places = GroupPlaces(["Polish"], embed)
    places.warm_up()
    assert places.places("Polish", []) == ()
    assert places.places("", ["Poland"]) == ()


def test_the_places_a_text_says_are_read_from_the_corpus_places():
    places = corpus_places(RecordingVectors(VECTORS))
    text = "The Warsaw office of the Poland-based firm, not the one in Kyiv."
    assert places.said(text) == ["Poland", "Warsaw", "Kyiv"]
    assert places.named_in("Polish", text) == ("Poland", "Warsaw")
    assert places.named_in("Polish", "Nothing about it here.") == ()


def test_without_corpus_groups_a_group_names_the_places_close_to_it():
    places = GroupPlaces([], RecordingVectors(VECTORS))
    assert places.places("Polish", PLACES) == ("Poland", "Warsaw")


def test_the_corpus_places_and_groups_are_read_from_the_entities_found_at_ingest():
    first = "Poland's president spoke in the United States."
    second = "Polish and American officials met in Poland."
    chunk = Chunk("c1", "d1", 0, f"{first} {second}",
                  (Span(100, 100 + len(first)), Span(101 + len(first), 101 + len(first)
                                                     + len(second))),
                  entities=(Entity(100, 108, PLACE),  # Poland's
                            Entity(100 + first.index("the United"),
                                   100 + first.index("."), PLACE),
                            Entity(101 + len(first), 101 + len(first) + 6, GROUP),
                            Entity(101 + len(first) + second.index("American"),
                                   101 + len(first) + second.index(" officials"), GROUP),
                            Entity(101 + len(first) + second.index("Poland"),
                                   101 + len(first) + second.index("."), PLACE)))
    assert entity_texts([chunk], PLACE) == ["Poland", "United States"]
    assert entity_texts([chunk], GROUP) == ["American", "Polish"]


def test_a_groups_word_is_said_where_one_of_its_places_is():
    text = "President Andrzej Duda of Poland called it an appalling tragedy."
    question = "How did the Polish president describe the deaths?"
    assert asked_groups(question) == ["Polish"]
    assert names_outside(question, text, ["Polish"]) == ["Polish"]
    assert names_outside(question, text, ["Polish"], {"Polish": ("Poland",)}) == []
    assert names_outside(question, text, ["Polish"], {"Polish": ("Warsaw",)}) == ["Polish"]


def test_a_place_is_said_by_all_its_words_or_its_acronym_in_full():
    def said(place, text):
        return says_place(place, {w.lower().strip(".,") for w in text.split()}, text)

    assert said("Saudi Arabia", "Saudi Arabia denied it.")
    assert not said("Saudi Arabia", "The Arabia Sea.")
    assert said("US", "The US envoy spoke.")
    assert said("US", "The United States envoy spoke.")
    assert said("U.S.", "The U.S. envoy spoke.")
    assert not said("US", "He told us nothing.")


# Nationalities and their countries, as news writes them: the pairs ``MIN_SIMILARITY`` is
# measured to separate.
COUNTRIES = {
    "American": ("United States", "US"), "British": ("United Kingdom", "Britain"),
    "French": ("France",), "German": ("Germany",), "Italian": ("Italy",),
    "Spanish": ("Spain",), "Polish": ("Poland",), "Danish": ("Denmark",),
    "Dutch": ("Netherlands",), "Swedish": ("Sweden",), "Norwegian": ("Norway",),
    "Finnish": ("Finland",), "Russian": ("Russia",), "Ukrainian": ("Ukraine",),
    "Chinese": ("China",), "Japanese": ("Japan",), "Indian": ("India",),
    "Pakistani": ("Pakistan",), "Iranian": ("Iran",), "Iraqi": ("Iraq",),
    "Syrian": ("Syria",), "Turkish": ("Turkey",), "Greek": ("Greece",),
    "Egyptian": ("Egypt",), "Saudi": ("Saudi Arabia",), "Yemeni": ("Yemen",),
    "Israeli": ("Israel",), "Canadian": ("Canada",), "Mexican": ("Mexico",),
    "Brazilian": ("Brazil",), "Australian": ("Australia",), "Hungarian": ("Hungary",),
    "Czech": ("Czechia",), "Swiss": ("Switzerland",), "Portuguese": ("Portugal",),
    "Venezuelan": ("Venezuela",), "Colombian": ("Colombia",), "Qatari": ("Qatar",),
}


@pytest.fixture(scope="module")
def real_places(real_query_embedder):
    """A corpus that names none of the nationalities: the bound alone decides which of the
    countries above each names, on the packaged embedding model."""
    return GroupPlaces([], WordVectors(real_query_embedder))


ALL_COUNTRIES = [c for names in COUNTRIES.values() for c in names]


@pytest.mark.parametrize("group", sorted(COUNTRIES))
def test_on_the_real_model_a_nationality_names_its_country_and_no_other(real_places, group):
    assert set(real_places.places(group, ALL_COUNTRIES)) == set(COUNTRIES[group])


def test_on_the_real_model_a_group_that_is_no_nationality_names_no_country(real_places):
    assert real_places.places("Republicans", ALL_COUNTRIES) == ()
    assert real_places.places("Catholic", ALL_COUNTRIES) == ()
