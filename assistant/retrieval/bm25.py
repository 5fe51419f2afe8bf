"""Okapi BM25 over the chunks: the lexical half of hybrid retrieval.

Dense vectors miss exact names and numbers ("Robert Wood", "1,500"); BM25 over stemmed words
catches them.
"""

from __future__ import annotations

from array import array
from collections import Counter
from itertools import repeat

import numpy as np

from assistant.text.lexical import terms


class BM25:
    """Okapi BM25 over a fixed list of texts, as one posting list per term (the texts that
    hold it and its weight in each). Plain NumPy: scipy.sparse would add most of a second to
    the start of every process that answers a question."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.vocabulary: dict[str, int] = {}
        # Postings are collected in C arrays of 4-byte ints: as Python lists of int objects
        # they would briefly take about 0.5 GB at 100,000 chunks.
        rows, columns, counts = array("i"), array("i"), array("i")
        lengths = np.zeros(len(texts), dtype=np.float32)
        for row, text in enumerate(texts):
            bag = Counter(terms(text))
            lengths[row] = sum(bag.values())
            rows.extend(repeat(row, len(bag)))
            columns.extend(self.vocabulary.setdefault(term, len(self.vocabulary)) for term in bag)
            counts.extend(bag.values())
        n_docs = max(len(texts), 1)
        row_of = np.asarray(rows, dtype=np.int32)  # the buffer, not copied
        column_of = np.asarray(columns, dtype=np.int32)
        tf = np.asarray(counts, dtype=np.float32)
        doc_freq = np.bincount(column_of, minlength=max(len(self.vocabulary), 1))
        self.idf = np.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5)).astype(np.float32)
        average = float(lengths.mean()) if len(texts) else 1.0
        norm = k1 * (1 - b + b * lengths / max(average, 1e-9))
        weights = tf * (k1 + 1) / (tf + norm[row_of]) * self.idf[column_of]
        by_term = np.argsort(column_of, kind="stable")
        self._rows = row_of[by_term]
        self._weights = weights[by_term].astype(np.float32)
        self._starts = np.concatenate([[0], np.cumsum(doc_freq)])
        self.size = len(texts)

    def scores(self, query: str) -> np.ndarray:
        scores = np.zeros(self.size, dtype=np.float32)
        for term in set(terms(query)):
            column = self.vocabulary.get(term)
            if column is not None:  # a term occurs once per text: no repeated rows to add
                start, end = self._starts[column], self._starts[column + 1]
                scores[self._rows[start:end]] += self._weights[start:end]
        return scores

    def top(self, query: str, n: int) -> list[int]:
        """Indices of the ``n`` best-scoring texts with a positive score, best first."""
        scores = self.scores(query)
        if not scores.any():
            return []
        n = min(n, int((scores > 0).sum()))
        best = np.argpartition(-scores, n - 1)[:n]
        return [int(i) for i in best[np.argsort(-scores[best], kind="stable")]]
