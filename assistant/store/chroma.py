"""Chroma persistence of chunks, embedded or on a Chroma server, with their sentences' vectors.

One collection per corpus, ``<name>-chunks``: what retrieval searches, with the article id in
each entry's metadata so an article's entries can be replaced or removed together. The vectors
of the sentences, which the answerer uses to pick what to quote but nothing searches, live in
files beside the manifest with their parses (``sentence_files``); this store writes, reads
and removes both.

On a Chroma server, the reads a question makes are retried for a few seconds when the server
stops answering, so a server restart costs a short wait rather than failed questions; past that
they fail with a one-line ``StoreError``. The HTTP client reconnects on its own once the server
is back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import TypeVar

import httpx
import numpy as np

from assistant.models import Chunk, Entity, Sentence, Span, Token
from assistant.settings import Settings
from assistant.store.sentence_files import SentenceFiles, file_stem

_PAGE = 1000
_T = TypeVar("_T")
# Collections an older layout kept, dropped with the rest when the index is rebuilt.
LEGACY_SUFFIXES = ("sentences",)
# What a Chroma server that is down or restarting looks like to its HTTP client.
UNREACHABLE = (httpx.TransportError, ConnectionError)


class StoreError(Exception):
    """Chroma cannot be reached or opened; the message says what to check."""


def server_address(settings: Settings) -> str | None:
    """``host:port`` of the Chroma server the settings name, or None for the embedded store."""
    return f"{settings.chroma_host}:{settings.chroma_port}" if settings.uses_server else None


@cache
def chroma_defaults():
    """Chroma's own settings, read once per process: reading them (the environment and a
    dotenv file) takes about 6 ms, half of an unchanged re-ingest of a one-article corpus."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def open_client(settings: Settings):
    """The Chroma client the settings ask for: a server if ``chroma_host`` is set."""
    import chromadb

    chroma_settings = chroma_defaults().model_copy()  # the client changes its copy
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
    """Reads and writes the chunks of one corpus and their sentences' vectors.

    ``vectors`` holds the sentence vectors; ``server`` (``host:port``) names a Chroma server in
    messages; ``retry_s`` is how long a question's reads keep retrying it while it does not
    answer.
    """

    def __init__(self, client, name: str, fingerprint: str, vectors: SentenceFiles,
                 server: str | None = None, retry_s: float = 0.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self.vectors = vectors
        self.name = name
        self.fingerprint = fingerprint
        self.server = server
        self.retry_s = retry_s
        self._sleep = sleep
        self._chunks = None

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

    def stored_fingerprint(self) -> str | None:
        return (self.chunks.metadata or {}).get("fingerprint")

    def reset(self) -> None:
        """Drop everything stored, for a rebuild after the chunking or model settings change."""
        for suffix in ("chunks", *LEGACY_SUFFIXES):
            try:
                self._client.delete_collection(f"{self.name}-{suffix}")
            except Exception:  # noqa: BLE001 - absent collection: nothing to drop
                pass
        self.vectors.clear()
        self._chunks = None

    def count(self) -> int:
        return self.chunks.count()

    def put_articles(self, chunks: list[Chunk], chunk_vectors: np.ndarray,
                     sentences: list[Sentence], sentence_vectors: np.ndarray,
                     sentence_tokens: Sequence[tuple[Token, ...]]) -> None:
        """Write the chunks and sentences of any number of articles; each Chroma write has a
        fixed cost, so ingest writes many articles at once. The sentence vectors and parses
        are written first: an article whose chunks are stored always has them."""
        self.vectors.write(sentences, sentence_vectors, sentence_tokens)
        _upsert(self.chunks, [c.chunk_id for c in chunks], chunk_vectors,
                [c.text for c in chunks], [_chunk_metadata(c) for c in chunks])

    def delete_articles(self, doc_ids: list[str]) -> None:
        """Remove every entry of these articles, in one Chroma call per page of them."""
        for start in range(0, len(doc_ids), _PAGE):
            page = doc_ids[start:start + _PAGE]
            where = {"doc_id": page[0]} if len(page) == 1 else {"doc_id": {"$in": page}}
            self.chunks.delete(where=where)
        self.vectors.delete(doc_ids)

    def articles_without_vectors(self, doc_ids: list[str]) -> list[str]:
        """Those of ``doc_ids`` whose sentence vectors or parses are not stored."""
        stored = self.vectors.stems()
        return [doc_id for doc_id in doc_ids if file_stem(doc_id) not in stored]

    def keep_vectors_of(self, doc_ids: list[str]) -> None:
        """Delete the sentence vectors of every article but these (an interrupted run's)."""
        self.vectors.keep_only({file_stem(doc_id) for doc_id in doc_ids})

    def chunk_counts_by_article(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for page in _pages(self.chunks, ["metadatas"]):
            for metadata in page["metadatas"]:
                counts[metadata["doc_id"]] = counts.get(metadata["doc_id"], 0) + 1
        return counts

    def all_chunks(self) -> list[Chunk]:
        shared: dict[str, str] = {}  # one copy of each article's id, title, outlet, date, url
        chunks = [_to_chunk(i, d, m, shared)
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

    def sentence_vectors(self, sentences: list[Sentence]) -> dict[str, np.ndarray]:
        """The stored vectors of these sentences, by sentence id (absent ones left out)."""
        return self.vectors.read(sentences)

    def sentence_tokens(self, sentences: Sequence[Sentence]) -> dict[str, tuple[Token, ...]]:
        """The stored parses of these sentences, by sentence id (absent ones left out)."""
        return self.vectors.read_tokens(sentences)


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
        "entities": json.dumps([[e.start, e.end, e.label, int(e.counted)]
                                for e in chunk.entities]),
    }


def _to_chunk(chunk_id: str, text: str, metadata: dict, shared: dict[str, str]) -> Chunk:
    def one(value: str) -> str:
        return shared.setdefault(value, value)

    return Chunk(
        chunk_id=chunk_id,
        doc_id=one(metadata["doc_id"]),
        index=int(metadata["index"]),
        text=text,
        sentences=tuple(Span(a, b) for a, b in json.loads(metadata["sentences"])),
        title=one(metadata.get("title", "")),
        source=one(metadata.get("source", "")),
        published=one(metadata.get("published", "")),
        url=one(metadata.get("url", "")),
        entities=tuple(Entity(a, b, one(label), bool(counted)) for a, b, label, counted
                       in json.loads(metadata.get("entities", "[]"))),
    )
