"""The places a nationality names: "Polish" is said where Poland or Warsaw is.

"How did the Polish president describe the deaths?" is answered by "President Andrzej Duda
said …" in an article about a fire in Poland that never writes "Polish". A name the question
hinges on must be in the passage that answers (``names``); a group's word (the NLP pipeline's
NORP: a nationality, a religious or a political group) therefore also counts as said where a
place it names is said.

Which places those are is read from the corpus and the embedding model, with no list of
nationalities. The places of the indexed articles (GPE entities found at ingest) that the
retrieved passages say, and the articles' groups (NORP), are embedded in one phrase each, "the
government of Poland" and "the Polish government": said so, a nationality and its country are
paraphrases, which the model is made to find. A group names a place when the two phrases are
closer than ``MIN_SIMILARITY`` and the place is closer to it than to any other group of the
corpus: "Polish" names Poland and Warsaw, not Ukraine (closer to "Ukrainian"); "Republicans"
names no place. Each place is embedded once, the first time a passage that says it is
retrieved for such a question (or ahead, see ``warm_up``).

``MIN_SIMILARITY`` was measured on 71 nationality / country pairs (Wikinews's places and the
packaged model): every pair of a nationality and its country is at 0.867 or more ("Korean" /
North Korea the lowest), every pair of a nationality and another country at 0.775 or less
("Danish" / Norway the highest); the bound lies halfway. Asked by a single word, the model
cannot tell them apart (American / United States 0.63, Saudi / Yemen 0.67).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from assistant.models import Chunk
from assistant.text.lexical import STOPWORDS, stem, words
from assistant.text.names import says_place

PLACE = "GPE"
GROUP = "NORP"
_POSSESSIVE = re.compile(r"[’']s?$")
_ARTICLE = re.compile(r"^(?:the|an?)\s+", re.IGNORECASE)
_MAX_KEPT = 100_000  # places (and asked groups) whose measures are kept once read
MIN_SIMILARITY = 0.82
_PLACE_PHRASE = "the government of {}"
_GROUP_PHRASE = "the {} government"

Embed = Callable[[list[str]], np.ndarray]


def group_key(group: str) -> str:
    """One group however it is written: "Americans", "American" and "american" are one."""
    return " ".join(stem(w) for w in words(group))


def entity_texts(chunks: Iterable[Chunk], label: str) -> list[str]:
    """The distinct texts of the ``label`` entities of ``chunks``, without a leading "the"
    or a trailing possessive ("Saudi Arabia's" is Saudi Arabia), most frequent first."""
    counts: dict[str, int] = {}
    for chunk in chunks:
        sentences = list(zip(chunk.sentences, chunk.sentence_texts(), strict=True))
        for entity in chunk.entities:
            if entity.label != label:
                continue
            span, sentence = next(((span, text) for span, text in sentences
                                   if entity.within(span)), (None, ""))
            if span is None:
                continue
            text = sentence[entity.start - span.start:entity.end - span.start]
            text = _ARTICLE.sub("", _POSSESSIVE.sub("", text.strip())).strip()
            if text and any(c.isalpha() for c in text):
                counts[text] = counts.get(text, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t))


class GroupPlaces:
    """Which places each group word names (see the module's docstring)."""

    def __init__(self, groups: Sequence[str], embed: Embed, places: Sequence[str] = ()) -> None:
        """``groups``: the corpus's; ``places``: the corpus's, most frequent first, embedded
        by ``warm_up``."""
        first: dict[str, str] = {}  # each group's first way of writing it
        for group in groups:
            if key := group_key(group):
                first.setdefault(key, group)
        self._group_index = {key: i for i, key in enumerate(first)}
        self._groups = list(first.values())
        self._places = list(dict.fromkeys(places))
        self._place_terms: list[tuple[str, frozenset[str]]] | None = None
        self._embed = embed
        self._lock = threading.Lock()
        self._group_vectors: np.ndarray | None = None
        # Each place's unit vector, its closest corpus group (index) and that cosine.
        self._measured: dict[str, tuple[np.ndarray, int, float]] = {}
        self._asked: dict[str, np.ndarray] = {}  # the vectors of asked groups the corpus lacks

    @classmethod
    def of_chunks(cls, chunks: Sequence[Chunk], embed: Embed) -> GroupPlaces:
        return cls(entity_texts(chunks, GROUP), embed, entity_texts(chunks, PLACE))

    def warm_up(self, limit: int = 5_000) -> None:
        """Embed the corpus's groups and its most frequent places now, not inside a question."""
        self._measure(self._places[:limit])

    def named_in(self, group: str, text: str) -> tuple[str, ...]:
        """The places ``text`` says that ``group`` names, closest first."""
        return self.places(group, self.said(text)) if group_key(group) else ()

    def said(self, text: str) -> list[str]:
        """The corpus's places that ``text`` says (see ``says_place``)."""
        if self._place_terms is None:
            self._place_terms = [(p, frozenset(stem(w) for w in words(p) if w not in STOPWORDS))
                                 for p in self._places]
        present = {stem(w.replace(",", "")) for w in words(text)}
        return [place for place, terms in self._place_terms
                if (terms <= present or not terms) and says_place(place, present, text)]

    def places(self, group: str, among: Sequence[str]) -> tuple[str, ...]:
        """Of the places ``among`` (those a passage says: ``said``), those ``group`` names,
        closest first."""
        key = group_key(group)
        among = list(dict.fromkeys(among))
        if not key or not among:
            return ()
        measured = self._measure(among)
        index = self._group_index.get(key)
        vector = self._group_vectors[index] if index is not None else self._asked_vector(group)
        named = []
        for place in among:
            place_vector, nearest, similarity = measured[place]
            closeness = float(place_vector @ vector)
            # A group the corpus names must be the place's closest; one it does not, closer
            # to the place than the place's closest corpus group.
            closest = nearest == index if index is not None else closeness > similarity
            if closest and closeness >= MIN_SIMILARITY:
                named.append((closeness, place))
        return tuple(place for _, place in sorted(named, key=lambda n: -n[0]))

    def _asked_vector(self, group: str) -> np.ndarray:
        with self._lock:
            vector = self._asked.get(group)
        if vector is None:
            vector = _unit(self._embed([_GROUP_PHRASE.format(group)]))[0]
            with self._lock:
                if len(self._asked) >= _MAX_KEPT:
                    self._asked.clear()
                self._asked[group] = vector
        return vector

    def _measure(self, places: Sequence[str]) -> dict[str, tuple[np.ndarray, int, float]]:
        """Each place's vector and closest corpus group, embedding the groups once and each
        place the first time it is asked for."""
        with self._lock:
            if self._group_vectors is None:
                self._group_vectors = _unit(self._embed(
                    [_GROUP_PHRASE.format(g) for g in self._groups])) if self._groups else None
            groups = self._group_vectors
            known = {p: self._measured[p] for p in places if p in self._measured}
        new = [p for p in places if p not in known]
        if new:
            vectors = _unit(self._embed([_PLACE_PHRASE.format(p) for p in new]))
            if groups is not None:
                similarity = vectors @ groups.T
                nearest, closest = similarity.argmax(axis=1), similarity.max(axis=1)
            else:
                nearest, closest = np.full(len(new), -1), np.full(len(new), -1.0)
            with self._lock:
                if len(self._measured) + len(new) > _MAX_KEPT:
                    self._measured.clear()
                for place, vector, group, cosine in zip(new, vectors, nearest, closest,
                                                        strict=True):
                    known[place] = self._measured[place] = (vector, int(group), float(cosine))
        return known


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)
