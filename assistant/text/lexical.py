"""Words, stems and BM25: the lexical half of retrieval and of sentence scoring.

Dense vectors miss exact names and numbers ("Robert Wood", "1,500"); BM25 over stemmed words
catches them. The same tokenizer feeds the answerer's overlap scores, so "denied" in a question
meets "denied"/"denies" in the article.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from functools import lru_cache

import numpy as np
from scipy import sparse

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,][0-9]+)*")
STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from about as into onto
    over under after before during between through is are was were be been being am do does
    did doing have has had having i me my we our you your he him his she her it its they them
    their this that these those there here what which who whom whose when where why how
    whether not no nor so than too very can could will would shall should may might must
    also just only any all each both either neither some such own same other more most much
    many few s t up down out off again further once according said says say tell told""".split()
)


_SUFFIXES = (
    # (suffix, replacement, shortest stem left) — applied once, first match wins.
    ("ies", "y", 3), ("ied", "y", 3), ("sses", "ss", 2), ("ations", "", 4), ("ation", "", 4),
    ("ments", "", 4), ("ment", "", 4), ("ing", "", 4), ("ed", "", 4), ("es", "", 4),
    ("s", "", 3),
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: "denied"/"denies"/"deny" and "troops"/"troop" meet."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, replacement, shortest in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            word = word[: len(word) - len(suffix)] + replacement
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-cased word tokens; numbers keep their separators ("1,500")."""
    return [t.lower() for t in _TOKEN.findall(text.replace("’", "'"))]


def terms(text: str) -> list[str]:
    """Stemmed content words: what BM25 indexes and overlap scores compare."""
    return [stem(w.replace(",", "")) for w in words(text) if w not in STOPWORDS]


class BM25:
    """Okapi BM25 over a fixed list of texts, as one sparse matrix."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        lengths = np.zeros(len(texts), dtype=np.float32)
        for row, text in enumerate(texts):
            bag = Counter(terms(text))
            lengths[row] = sum(bag.values())
            for term, count in bag.items():
                rows.append(row)
                cols.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                counts.append(count)
        n_docs = max(len(texts), 1)
        tf = sparse.csr_matrix((np.asarray(counts, dtype=np.float32), (rows, cols)),
                               shape=(len(texts), max(len(self.vocabulary), 1)))
        doc_freq = np.bincount(cols, minlength=tf.shape[1]).astype(np.float32)
        self.idf = np.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
        average = float(lengths.mean()) if len(texts) else 1.0
        norm = k1 * (1 - b + b * lengths / max(average, 1e-9))
        tf = tf.tocoo()
        weights = tf.data * (k1 + 1) / (tf.data + norm[tf.row]) * self.idf[tf.col]
        self.matrix = sparse.csc_matrix((weights, (tf.row, tf.col)), shape=tf.shape)
        self.size = len(texts)

    def scores(self, query: str) -> np.ndarray:
        columns = [self.vocabulary[t] for t in set(terms(query)) if t in self.vocabulary]
        if not columns or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.matrix[:, columns].sum(axis=1)).ravel()

    def top(self, query: str, n: int) -> list[int]:
        """Indices of the ``n`` best-scoring texts with a positive score, best first."""
        scores = self.scores(query)
        if not scores.any():
            return []
        n = min(n, int((scores > 0).sum()))
        best = np.argpartition(-scores, n - 1)[:n]
        return [int(i) for i in best[np.argsort(-scores[best], kind="stable")]]


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

    def __contains__(self, term: str) -> bool:
        return term in self._frequencies

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
