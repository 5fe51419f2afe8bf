"""Hybrid retrieval on hand-made chunks: a scripted vector store, real BM25, fused by rank."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.models import Chunk, Span
from assistant.retrieval.hybrid import HybridRetriever
from tests.support import FakeEmbedder

RRF_K = 60


def chunk(chunk_id: str, text: str) -> Chunk:
    return Chunk(chunk_id, f"doc-{chunk_id}", 0, text, (Span(0, len(text)),), title="")


CHUNKS = [
    chunk("c-a", "North Korea denied sending troops to Russia."),
    chunk("c-b", "South Korea's spy agency reported the deployment."),
    chunk("c-c", "Robert Wood spoke at the United Nations."),
    chunk("c-d", "Heavy rain flooded the harbour of Busan."),
]


class ScriptedStore:
    """Answers every vector search with the same chunk ids; records what it was asked."""

    def __init__(self, *chunk_ids: str) -> None:
        self.chunk_ids = list(chunk_ids)
        self.calls: list[tuple[np.ndarray, int]] = []

    def nearest_chunks(self, vector: np.ndarray, n: int) -> list[str]:
        self.calls.append((vector, n))
        return list(self.chunk_ids)


def retriever(store: ScriptedStore, embedder: FakeEmbedder | None = None,
              chunks: list[Chunk] = CHUNKS) -> HybridRetriever:
    return HybridRetriever(store, embedder or FakeEmbedder(), chunks, dense_candidates=5,
                           lexical_candidates=5, rrf_k=RRF_K)


def ranked(passages) -> list[tuple[str, int | None, int | None]]:
    return [(p.chunk.chunk_id, p.dense_rank, p.lexical_rank) for p in passages]


def test_a_chunk_in_both_lists_beats_one_in_a_single_list():
    passages = retriever(ScriptedStore("c-b", "c-c", "c-a")).retrieve("Robert Wood", top_k=6)
    assert ranked(passages) == [("c-c", 2, 1), ("c-b", 1, None), ("c-a", 3, None)]
    assert [p.score for p in passages] == pytest.approx(
        [1 / (RRF_K + 2) + 1 / (RRF_K + 1), 1 / (RRF_K + 1), 1 / (RRF_K + 3)])


def test_equal_fused_scores_are_ordered_by_chunk_id():
    passages = retriever(ScriptedStore("c-d")).retrieve("troops", top_k=6)
    assert ranked(passages) == [("c-a", None, 1), ("c-d", 1, None)]
    assert passages[0].score == passages[1].score == pytest.approx(1 / (RRF_K + 1))


def test_bm25_finds_a_rare_exact_name_the_vectors_missed():
    passages = retriever(ScriptedStore("c-a", "c-b")).retrieve("What did Busan say?", top_k=6)
    assert ("c-d", None, 1) in ranked(passages)


def test_only_the_top_k_passages_are_returned():
    passages = retriever(ScriptedStore("c-b", "c-c", "c-a")).retrieve("Robert Wood", top_k=2)
    assert [p.chunk.chunk_id for p in passages] == ["c-c", "c-b"]


def test_ids_the_store_returns_that_are_not_among_the_chunks_are_ignored():
    passages = retriever(ScriptedStore("ghost", "c-a")).retrieve("zzz", top_k=6)
    assert ranked(passages) == [("c-a", 1, None)]


def test_no_chunks_retrieve_nothing_and_ask_nobody():
    store, embedder = ScriptedStore("c-a"), FakeEmbedder()
    assert retriever(store, embedder, chunks=[]).retrieve("Robert Wood", top_k=6) == []
    assert store.calls == []
    assert embedder.calls == []


def test_chunk_looks_up_a_chunk_by_id():
    hybrid = retriever(ScriptedStore())
    assert hybrid.chunk("c-c") is CHUNKS[2]
    assert hybrid.chunk("ghost") is None


def test_the_query_is_embedded_when_no_vector_is_passed():
    store, embedder = ScriptedStore("c-a"), FakeEmbedder()
    retriever(store, embedder).retrieve("Robert Wood", top_k=6)
    assert embedder.calls == [["Robert Wood"]]
    [(vector, n)] = store.calls
    assert np.array_equal(vector, FakeEmbedder().embed(["Robert Wood"])[0])
    assert n == 5


def test_a_given_query_vector_is_searched_without_embedding_again():
    store, embedder = ScriptedStore("c-a"), FakeEmbedder()
    vector = np.ones(embedder.dimensions, dtype=np.float32)
    retriever(store, embedder).retrieve("Robert Wood", top_k=6, query_vector=vector)
    assert embedder.calls == []
    [(searched, n)] = store.calls
    assert searched is vector
    assert n == 5


def test_the_articles_quoting_a_sentence_are_found_only_by_its_exact_words():
    found = retriever(ScriptedStore())
    assert found.articles_quoting(["Robert Wood spoke at the United Nations."]) == ["doc-c-c"]
    assert found.articles_quoting(["Robert Wood spoke at the UN today."]) == []
    assert found.articles_quoting(["North Korea denied sending troops", "Heavy rain flooded"
                                   " the harbour of Busan."]) == ["doc-c-a", "doc-c-d"]


def test_an_articles_passages_are_all_its_chunks_in_article_order():
    text = "First part. Second part."
    parts = [Chunk(f"x-{i}", "x", i, text, (Span(0, 11),), title="") for i in (1, 0)]
    found = retriever(ScriptedStore(), chunks=[*parts, *CHUNKS])
    assert [p.chunk.chunk_id for p in found.article_passages(["x", "doc-c-b"])] == \
        ["x-0", "x-1", "c-b"]
    assert found.article_passages(["unknown"]) == []
