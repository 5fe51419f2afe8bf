"""Hybrid retrieval: Chroma vector search and BM25 over the same chunks, fused by rank.

Reciprocal rank fusion needs no score calibration between the two lists: a chunk's fused score
is the sum of ``1 / (rrf_k + rank)`` over the lists it appears in. Names and numbers that the
dense model blurs still surface through BM25, and paraphrases that share no words still surface
through the vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.models import Chunk, Passage
from assistant.retrieval.bm25 import BM25
from assistant.store.chroma import ChromaStore
from assistant.store.embedding import Embedder


class HybridRetriever:
    """Finds the passages most likely to answer a query."""

    def __init__(self, store: ChromaStore, embedder: Embedder, chunks: Sequence[Chunk],
                 dense_candidates: int, lexical_candidates: int, rrf_k: int) -> None:
        self.store = store
        self.embedder = embedder
        self.dense_candidates = dense_candidates
        self.lexical_candidates = lexical_candidates
        self.rrf_k = rrf_k
        self.chunks = list(chunks)  # every indexed chunk, as ``store.all_chunks`` lists them
        self._by_id = {c.chunk_id: c for c in self.chunks}
        self._by_doc: dict[str, list[Chunk]] = {}
        for c in self.chunks:
            self._by_doc.setdefault(c.doc_id, []).append(c)
        self.bm25: BM25 | None = None

    def warm_up(self) -> None:
        """Build the BM25 index over the chunks (seconds on a large corpus)."""
        if self.bm25 is None:
            self.bm25 = BM25([f"{c.title}\n{c.text}" for c in self.chunks])

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self._by_id.get(chunk_id)

    def retrieve(self, query: str, top_k: int,
                 query_vector: np.ndarray | None = None) -> list[Passage]:
        if not self.chunks:
            return []
        self.warm_up()
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        dense = [i for i in self.store.nearest_chunks(query_vector, self.dense_candidates)
                 if i in self._by_id]
        lexical = [self.chunks[i].chunk_id
                   for i in self.bm25.top(query, self.lexical_candidates)]
        return self.fuse(dense, lexical)[:top_k]

    def articles_quoting(self, quotes: Sequence[str], candidates: int = 3) -> list[str]:
        """The articles (doc ids) whose text holds one of ``quotes`` verbatim, found through
        BM25 and checked word for word."""
        self.warm_up()
        found: dict[str, None] = {}
        for quote in quotes:
            for i in self.bm25.top(quote, candidates):
                if quote in self.chunks[i].text:
                    found[self.chunks[i].doc_id] = None
                    break
        return list(found)

    def article_passages(self, doc_ids: Sequence[str]) -> list[Passage]:
        """Every chunk of the given articles, in article order, as passages."""
        return [Passage(c, 0.0) for d in doc_ids
                for c in sorted(self._by_doc.get(d, ()), key=lambda c: c.index)]

    def fuse(self, dense: list[str], lexical: list[str]) -> list[Passage]:
        scores: dict[str, float] = {}
        for ranking in (dense, lexical):
            for rank, chunk_id in enumerate(ranking, start=1):
                scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank)
        dense_rank = {c: r for r, c in enumerate(dense, start=1)}
        lexical_rank = {c: r for r, c in enumerate(lexical, start=1)}
        ordered = sorted(scores, key=lambda c: (-scores[c], c))
        return [Passage(self._by_id[c], scores[c], dense_rank.get(c), lexical_rank.get(c))
                for c in ordered]
