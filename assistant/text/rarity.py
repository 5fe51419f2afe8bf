"""The corpus's own words: how rare each is, and the nearest one to a misspelt question word.

The answerer weighs a question's words by rarity, and a question word the corpus never uses is
corrected to a close corpus word before anything is searched.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Sequence

from assistant.models import Chunk
from assistant.text.lexical import STOPWORDS, stem, terms, words


class TermRarity:
    """Inverse document frequency over sentences, the unit the answerer compares.

    Chunk-level statistics are too coarse for one article (a word in every chunk looks common
    even if only a few sentences say it); sentence-level statistics tell the key word of a
    question from the background.
    """

    def __init__(self, texts: list[str]) -> None:
        frequencies: Counter[str] = Counter()
        known: set[str] = set()
        for text in texts:
            frequencies.update(set(terms(text)))
            known.update(words(text))
        self.words = known
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(known | STOPWORDS):  # question words may be misspelt too
            self._by_initial.setdefault(word[0], []).append(word)
        self.size = len(texts)
        self._frequencies = frequencies

    @classmethod
    def of_chunks(cls, chunks: Sequence[Chunk]) -> TermRarity:
        """Statistics over the distinct sentences of the indexed chunks (overlapping chunks
        repeat sentences; each counts once)."""
        sentences = {(c.doc_id, span): text for c in chunks
                     for span, text in zip(c.sentences, c.sentence_texts(), strict=True)}
        return cls(list(sentences.values()))

    def __contains__(self, term: str) -> bool:
        return term in self._frequencies

    def common_words(self) -> list[str]:
        """The corpus's words, those in the most sentences first."""
        return sorted(self.words, key=lambda w: (-self._frequencies.get(stem(w), 0), w))

    def idf(self, term: str) -> float:
        return math.log(1.0 + (self.size + 1) / (self._frequencies.get(term, 0) + 0.5))

    def correct_spelling(self, text: str) -> str:
        """Replace words the corpus never uses by a close corpus word ("deploymnet")."""

        def fix(match: re.Match) -> str:
            word = match.group(0)
            lowered = word.lower()
            if (len(lowered) < 3 or lowered in self.words or lowered in STOPWORDS
                    or not lowered.isalpha() or stem(lowered) in self._frequencies):
                return word  # known, or a known word's other form ("provide"/"provided")
            # Short words only take a one-letter fix ("wod" -> "wood", "wich" -> "which").
            cutoff = 0.82 if len(lowered) >= 5 else 0.85
            pool = [w for w in self._by_initial.get(lowered[0], ())
                    if abs(len(w) - len(lowered)) <= (2 if len(lowered) >= 5 else 1)]
            close = difflib.get_close_matches(lowered, pool, n=1, cutoff=cutoff)
            if not close:
                return word
            return close[0].capitalize() if word[0].isupper() else close[0]

        return re.sub(r"[A-Za-z]+", fix, text)
