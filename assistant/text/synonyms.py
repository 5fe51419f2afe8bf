"""Close synonyms by word vector: "soldiers" meets "troops", "rejected" meets "denied".

The extractive answerer credits a sentence for a question word it says in other words, and the
check of a written answer accepts a claim that says an evidence word in other words. Both ask
the same question of the same word vectors, so both use this one matcher.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from assistant.text.lexical import STOPWORDS, stem, words

WordVectors = Callable[[list[str]], np.ndarray]
SYNONYM_COSINE = 0.62  # word-vector cosine above which another word counts as the same idea


def content_words(text: str) -> list[str]:
    """The distinct alphabetic non-stopwords of ``text``, in order."""
    return [w for w in dict.fromkeys(words(text)) if w.isalpha() and w not in STOPWORDS]


class SynonymMatcher:
    """Finds, for words a text lacks, a close synonym among the words it has."""

    def __init__(self, word_vectors: WordVectors | None,
                 threshold: float = SYNONYM_COSINE) -> None:
        self.word_vectors = word_vectors
        self.threshold = threshold

    def matches(self, text: str, wanted: set[str], candidates: Sequence[str]
                ) -> list[dict[str, float]]:
        """For each candidate text, the stems of ``wanted`` (stems of words of ``text``) that
        it has a close synonym for, with that synonym's cosine. Without word vectors there
        are none."""
        if self.word_vectors is None:
            return [{} for _ in candidates]
        asked = {stem(w): w for w in words(text)
                 if w.isalpha() and w not in STOPWORDS and stem(w) in wanted}
        content = [content_words(c) for c in candidates]
        vocabulary = list(dict.fromkeys(w for ws in content for w in ws))
        if not asked or not vocabulary:
            return [{} for _ in candidates]
        column = {w: i for i, w in enumerate(vocabulary)}
        similarity = self.word_vectors(list(asked.values())) @ self.word_vectors(vocabulary).T
        found: list[dict[str, float]] = []
        for candidate_words in content:
            if not candidate_words:
                found.append({})
                continue
            best = similarity[:, [column[w] for w in candidate_words]].max(axis=1)
            found.append({term: float(best[row]) for row, term in enumerate(asked)
                          if best[row] >= self.threshold})
        return found

    def said_for(self, asked: Sequence[str], text: str) -> list[str]:
        """The words of ``text`` that say one of the words ``asked`` in other words (a close
        synonym, not the word itself): "injured" for "hurt". Without word vectors, none."""
        asked = [w for w in dict.fromkeys(asked) if w.isalpha() and w not in STOPWORDS]
        own = {stem(w) for w in asked}
        have = [w for w in content_words(text) if stem(w) not in own]
        if self.word_vectors is None or not asked or not have:
            return []
        similarity = self.word_vectors(asked) @ self.word_vectors(have).T
        return [w for w, best in zip(have, similarity.max(axis=0), strict=True)
                if best >= self.threshold]
