"""Okapi BM25 over the chunks: the lexical half of hybrid retrieval.

Dense vectors miss exact names and numbers ("Robert Wood", "1,500"); BM25 over stemmed words
catches them.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse

from assistant.text.lexical import terms


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
