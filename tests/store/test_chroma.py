"""The Chroma store, the same checks on the embedded store and on a `chroma run` server:
articles are written, read back, searched, replaced and deleted, their sentence vectors with
them."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from assistant.app import build_store
from assistant.models import Chunk, Sentence, Span
from assistant.store.chroma import ChromaStore, StoreError
from assistant.store.sentence_files import SentenceFiles
from tests.support import FakeEmbedder, unparsed

TEXT = "North Korea denied sending troops. Seoul said 1,500 troops went."
SPANS = (Span(0, 34), Span(35, 64))


def stored_article(doc_id: str, embedder: FakeEmbedder) -> tuple[list[Chunk], list[Sentence]]:
    chunk = Chunk(f"c-{doc_id}", doc_id, 0, TEXT, SPANS, title="T", source="S",
                  published="2024-10-21", url="https://news.example/a")
    sentences = [Sentence.of(doc_id, TEXT[s.start:s.end], s) for s in SPANS]
    return [chunk], sentences


def test_an_article_round_trips_and_is_found_by_its_vector(backend):
    embedder = FakeEmbedder()
    store = build_store(backend(), embedder)
    store.reset()
    chunks, sentences = stored_article("a.txt", embedder)
    vectors = embedder.embed([s.text for s in sentences])
    store.put_articles(chunks, embedder.embed([TEXT]), sentences, vectors, unparsed(sentences))
    other, other_sentences = stored_article("b.txt", embedder)
    store.put_articles(other, -embedder.embed([TEXT]), other_sentences,
                       embedder.embed([s.text for s in other_sentences]), unparsed(other_sentences))
    assert store.count() == 2 and store.chunk_counts_by_article() == {"a.txt": 1, "b.txt": 1}
    assert store.all_chunks()[0] == chunks[0]
    assert store.nearest_chunks(embedder.embed([TEXT])[0], 1) == ["c-a.txt"]
    absent = Sentence.of("a.txt", "Not stored.", Span(70, 81))
    found = store.sentence_vectors([sentences[1], absent, *other_sentences[:1]])
    assert list(found) == [sentences[1].sentence_id, other_sentences[0].sentence_id]
    assert found[sentences[1].sentence_id].dtype == np.float32
    assert np.allclose(found[sentences[1].sentence_id], vectors[1], atol=2e-3)  # float16
    store.delete_articles(["a.txt"])
    assert store.chunk_counts_by_article() == {"b.txt": 1}
    assert store.sentence_vectors([sentences[0]]) == {}
    assert store.articles_without_vectors(["a.txt", "b.txt"]) == ["a.txt"]


def test_many_articles_are_written_and_deleted_in_one_call_each(backend):
    embedder = FakeEmbedder()
    store = build_store(backend(), embedder)
    store.reset()
    articles = [stored_article(f"{n}.txt", embedder) for n in range(3)]
    chunks = [c for article_chunks, _ in articles for c in article_chunks]
    sentences = [s for _, article_sentences in articles for s in article_sentences]
    store.put_articles(chunks, embedder.embed([c.text for c in chunks]), sentences,
                       embedder.embed([s.text for s in sentences]), unparsed(sentences))
    assert store.chunk_counts_by_article() == {"0.txt": 1, "1.txt": 1, "2.txt": 1}
    store.delete_articles(["0.txt", "2.txt"])
    assert store.chunk_counts_by_article() == {"1.txt": 1}
    assert set(store.sentence_vectors(sentences)) == {
        s.sentence_id for s in sentences if s.doc_id == "1.txt"}


def test_a_reset_drops_the_sentence_vectors_and_strays_are_swept(backend):
    embedder = FakeEmbedder()
    store = build_store(backend(), embedder)
    store.reset()
    for doc_id in ("a.txt", "b.txt"):
        chunks, sentences = stored_article(doc_id, embedder)
        store.put_articles(chunks, embedder.embed([TEXT]), sentences,
                           embedder.embed([s.text for s in sentences]), unparsed(sentences))
    leftover = store.vectors.folder / ".half-written.npy"
    leftover.write_bytes(b"\x93NUMPY")
    store.keep_vectors_of(["b.txt"])
    assert store.articles_without_vectors(["a.txt", "b.txt"]) == ["a.txt"]
    assert not leftover.exists()
    store.reset()
    assert store.articles_without_vectors(["b.txt"]) == ["b.txt"]
    assert store.sentence_vectors(stored_article("b.txt", embedder)[1]) == {}


def test_the_fingerprint_is_kept_with_the_collections(backend):
    store = build_store(backend(), FakeEmbedder())
    store.reset()
    assert store.stored_fingerprint() == store.fingerprint
    assert build_store(backend(chunk_size=100), FakeEmbedder()).stored_fingerprint() == \
        store.fingerprint  # a store made with other settings reads the fingerprint on file


class FlakyCollection:
    """A collection whose server is down for its first ``down`` calls; records every call."""

    def __init__(self, down: int) -> None:
        self.down = down
        self.calls: list[str] = []

    def _call(self, name: str):
        self.calls.append(name)
        if len(self.calls) <= self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused")

    def count(self) -> int:
        self._call("count")
        return 3

    def query(self, **_) -> dict:
        self._call("query")
        return {"ids": [["c1", "c2"]]}


class FlakyClient:
    def __init__(self, down: int) -> None:
        self.collection = FlakyCollection(down)

    def get_or_create_collection(self, *_, **__) -> FlakyCollection:
        return self.collection


def test_a_restarting_server_is_retried_then_reported_in_one_line(tmp_path):
    pauses: list[float] = []
    vectors = SentenceFiles(tmp_path / "sentences")
    store = ChromaStore(FlakyClient(down=2), "news", "fp", vectors, "127.0.0.1:8000",
                        retry_s=3.0, sleep=pauses.append)
    assert store.nearest_chunks(np.zeros(2), 5) == ["c1", "c2"]
    assert store._client.collection.calls == ["count", "count", "count", "query"]
    assert pauses == [0.1, 0.2]

    pauses.clear()
    down = ChromaStore(FlakyClient(down=100), "news", "fp", vectors, "127.0.0.1:8000",
                       retry_s=3.0, sleep=pauses.append)
    with pytest.raises(StoreError) as failure:
        down.nearest_chunks(np.zeros(2), 5)
    message = str(failure.value)
    assert message == ("the Chroma server at 127.0.0.1:8000 does not answer (ConnectError); "
                       "check that `chroma run` is up")
    assert "\n" not in message and sum(pauses) <= 3.0 and len(pauses) >= 3
