"""Chroma persistence of chunks and sentences, embedded or on a Chroma server.

Two collections per corpus: ``<name>-chunks`` (what retrieval searches) and
``<name>-sentences`` (sentence vectors the answerer uses to pick what to quote). Both carry the
article id in their metadata so an article's entries can be replaced or removed together.

On a Chroma server, the reads a question makes are retried for a few seconds when the server
stops answering, so a server restart costs a short wait rather than failed questions; past that
they fail with a one-line ``StoreError``. The HTTP client reconnects on its own once the server
is back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import numpy as np

from assistant.models import Chunk, Sentence, Span
from assistant.settings import Settings

_PAGE = 1000
_T = TypeVar("_T")
# What a Chroma server that is down or restarting looks like to its HTTP client.
UNREACHABLE = (httpx.TransportError, ConnectionError)


class StoreError(Exception):
    """Chroma cannot be reached or opened; the message says what to check."""


def server_address(settings: Settings) -> str | None:
    """``host:port`` of the Chroma server the settings name, or None for the embedded store."""
    return f"{settings.chroma_host}:{settings.chroma_port}" if settings.uses_server else None


def open_client(settings: Settings):
    """The Chroma client the settings ask for: a server if ``chroma_host`` is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.uses_server:
        try:
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                         settings=chroma_settings)
            client.heartbeat()
        except Exception as error:
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_host}:"
                f"{settings.chroma_port} ({type(error).__name__}); start it with `chroma run` "
                "or unset CHROMA_HOST"
            ) from error
        return client
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"),
                                     settings=chroma_settings)


class ChromaStore:
    """Reads and writes the chunk and sentence collections of one corpus.

    ``server`` (``host:port``) names a Chroma server in messages; ``retry_s`` is how long a
    question's reads keep retrying it while it does not answer.
    """

    def __init__(self, client, name: str, fingerprint: str, server: str | None = None,
                 retry_s: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self.name = name
        self.fingerprint = fingerprint
        self.server = server
        self.retry_s = retry_s
        self._sleep = sleep
        self._chunks = None
        self._sentences = None

    def _retried(self, read: Callable[[], _T]) -> _T:
        """``read()``, retried with growing pauses for up to ``retry_s`` while the server is
        unreachable; then a ``StoreError`` that says so in one line."""
        waited, pause = 0.0, 0.1
        while True:
            try:
                return read()
            except UNREACHABLE as error:
                if waited + pause > self.retry_s:
                    raise StoreError(
                        f"the Chroma server at {self.server or 'the configured address'} does "
                        f"not answer ({type(error).__name__}); check that `chroma run` is up"
                    ) from error
                self._sleep(pause)
                waited += pause
                pause = min(pause * 2, 1.0)

    def _collection(self, suffix: str):
        return self._client.get_or_create_collection(
            f"{self.name}-{suffix}",
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "fingerprint": self.fingerprint},
        )

    @property
    def chunks(self):
        if self._chunks is None:
            self._chunks = self._collection("chunks")
        return self._chunks

    @property
    def sentences(self):
        if self._sentences is None:
            self._sentences = self._collection("sentences")
        return self._sentences

    def stored_fingerprint(self) -> str | None:
        return (self.chunks.metadata or {}).get("fingerprint")

    def reset(self) -> None:
        """Drop both collections, for a rebuild after the chunking or model settings change."""
        for suffix in ("chunks", "sentences"):
            try:
                self._client.delete_collection(f"{self.name}-{suffix}")
            except Exception:  # noqa: BLE001 - absent collection: nothing to drop
                pass
        self._chunks = self._sentences = None

    def count(self) -> int:
        return self.chunks.count()

    def put_articles(self, chunks: list[Chunk], chunk_vectors: np.ndarray,
                     sentences: list[Sentence], sentence_vectors: np.ndarray) -> None:
        """Write the chunks and sentences of any number of articles; each Chroma write has a
        fixed cost, so ingest writes many articles at once."""
        _upsert(self.chunks, [c.chunk_id for c in chunks], chunk_vectors,
                [c.text for c in chunks], [_chunk_metadata(c) for c in chunks])
        _upsert(self.sentences, [s.sentence_id for s in sentences], sentence_vectors,
                [s.text for s in sentences],
                [{"doc_id": s.doc_id, "start": s.start, "end": s.end} for s in sentences])

    def delete_articles(self, doc_ids: list[str]) -> None:
        """Remove every entry of these articles, in one call per collection."""
        for start in range(0, len(doc_ids), _PAGE):
            page = doc_ids[start:start + _PAGE]
            where = {"doc_id": page[0]} if len(page) == 1 else {"doc_id": {"$in": page}}
            self.chunks.delete(where=where)
            self.sentences.delete(where=where)

    def chunk_counts_by_article(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for page in _pages(self.chunks, ["metadatas"]):
            for metadata in page["metadatas"]:
                counts[metadata["doc_id"]] = counts.get(metadata["doc_id"], 0) + 1
        return counts

    def all_chunks(self) -> list[Chunk]:
        chunks = [_to_chunk(i, d, m)
                  for page in _pages(self.chunks, ["documents", "metadatas"])
                  for i, d, m in zip(page["ids"], page["documents"], page["metadatas"],
                                     strict=True)]
        chunks.sort(key=lambda c: (c.doc_id, c.index))
        return chunks

    def nearest_chunks(self, vector: np.ndarray, n: int) -> list[str]:
        def query() -> list[str]:
            total = self.chunks.count()
            if total == 0:
                return []
            found = self.chunks.query(query_embeddings=[vector], n_results=min(n, total),
                                      include=[])
            return list(found["ids"][0])

        return self._retried(query)

    def sentence_vectors(self, sentence_ids: list[str]) -> dict[str, np.ndarray]:
        if not sentence_ids:
            return {}
        found = self._retried(lambda: self.sentences.get(ids=sentence_ids,
                                                         include=["embeddings"]))
        return {i: np.asarray(v, dtype=np.float32)
                for i, v in zip(found["ids"], found["embeddings"], strict=True)}


def _upsert(collection, ids: list[str], vectors: np.ndarray, documents: list[str],
            metadatas: list[dict]) -> None:
    """Write in pages, since Chroma limits how many records one call may carry."""
    for start in range(0, len(ids), _PAGE):
        end = start + _PAGE
        collection.upsert(ids=ids[start:end], embeddings=vectors[start:end],
                          documents=documents[start:end], metadatas=metadatas[start:end])


def _pages(collection, include: list[str]) -> Iterator[dict]:
    """Every record of a collection, a page at a time."""
    offset = 0
    while True:
        page = collection.get(include=include, limit=_PAGE, offset=offset)
        yield page
        if len(page["ids"]) < _PAGE:
            return
        offset += _PAGE


def _chunk_metadata(chunk: Chunk) -> dict:
    return {
        "doc_id": chunk.doc_id,
        "index": chunk.index,
        "title": chunk.title,
        "source": chunk.source,
        "published": chunk.published,
        "url": chunk.url,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps([[s.start, s.end] for s in chunk.sentences]),
    }


def _to_chunk(chunk_id: str, text: str, metadata: dict) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        doc_id=metadata["doc_id"],
        index=int(metadata["index"]),
        text=text,
        sentences=tuple(Span(a, b) for a, b in json.loads(metadata["sentences"])),
        title=metadata.get("title", ""),
        source=metadata.get("source", ""),
        published=metadata.get("published", ""),
        url=metadata.get("url", ""),
    )
