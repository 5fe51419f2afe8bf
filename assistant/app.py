"""The composition root: the one place that builds and wires every stage.

``Assistant.open`` builds the settings, the embedding model, the Chroma store, the retriever and
the answerer, and hands each its collaborators. The CLI, the tests and the chat page all
go through it, so they behave alike.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.answering import ExtractiveAnswerer, strip_instructions
from assistant.embedding import (
    Embedder,
    SentenceTransformerEmbedder,
    WordVectors,
    model_dir_for,
)
from assistant.followup import resolve_followup
from assistant.ingest import Ingestor, IngestReport, fingerprint, is_stale
from assistant.lexical import STOPWORDS
from assistant.models import Answer, Chunk, Turn
from assistant.prompts import Prompts
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings
from assistant.store import ChromaStore, open_client


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    model_dir = model_dir_for(settings.embedding_model_path, settings.model_cache_dir)
    return SentenceTransformerEmbedder(model_dir, settings.embedding_batch_size)


def build_store(settings: Settings, embedder: Embedder) -> ChromaStore:
    return ChromaStore(open_client(settings), settings.collection,
                       fingerprint(settings, embedder.name))


def run_ingest(settings: Settings, embedder: Embedder | None = None,
               progress: bool = False) -> IngestReport:
    """Bring the index in line with the corpus folder."""
    from assistant.chunking import tiktoken_counter

    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder)
    return Ingestor(settings, store, embedder, tiktoken_counter(), progress=progress).run()


def index_is_stale(settings: Settings, embedder: Embedder | None = None) -> bool:
    name = embedder.name if embedder else model_name(settings)
    return is_stale(settings, name)


def model_name(settings: Settings) -> str:
    from assistant.embedding import DEFAULT_MODEL_NAME

    return settings.embedding_model_path.name if settings.embedding_model_path else \
        DEFAULT_MODEL_NAME


def single_threaded_blas() -> None:
    """Keep NumPy's BLAS to one thread. Its idle threads spin between calls and slow down the
    model's own thread pool on a small machine, doubling the time of a question; the matrix
    products here are small enough that one thread is fastest anyway."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def to_turns(history: Sequence[Any] | None) -> list[Turn]:
    """Accept ``Turn`` objects or ``{"role", "content"}`` dicts, as the JSON API sends them."""
    turns = []
    for item in history or []:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, dict) and item.get("role") in ("user", "assistant") and \
                isinstance(item.get("content"), str):
            turns.append(Turn(item["role"], item["content"]))
        else:
            raise ValueError('each history item needs "role" (user or assistant) and '
                             '"content" (text)')
    return turns


class Assistant:
    """Answers questions about the indexed coverage with cited sentences."""

    def __init__(self, settings: Settings, embedder: Embedder, store: ChromaStore,
                 retriever: HybridRetriever, answerer: ExtractiveAnswerer) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.retriever = retriever
        self.answerer = answerer

    @classmethod
    def open(cls, corpus_dir: Path | str | None = None, index_dir: Path | str | None = None,
             settings: Settings | None = None, embedder: Embedder | None = None) -> Assistant:
        """Build the assistant over an existing index (run ``ingest`` first)."""
        settings = settings or Settings()
        overrides = {k: Path(v) for k, v in (("corpus_dir", corpus_dir),
                                             ("index_dir", index_dir)) if v is not None}
        if overrides:
            settings = settings.model_copy(update=overrides)
        embedder = embedder or build_embedder(settings)
        embedder.warm_up()  # load the model now, not inside the first question's timing
        single_threaded_blas()
        store = build_store(settings, embedder)
        retriever = HybridRetriever(store, embedder, settings.dense_candidates,
                                    settings.lexical_candidates, settings.rrf_k)
        retriever.warm_up()
        answerer = ExtractiveAnswerer(
            Prompts(settings.prompts_dir),
            idf=lambda term: retriever.rarity.idf(term),
            sentence_vectors=store.sentence_vectors,
            min_support=settings.min_support,
            max_sentences=settings.max_answer_sentences,
            word_vectors=WordVectors(embedder),
        )
        return cls(settings, embedder, store, retriever, answerer)

    @property
    def chunk_count(self) -> int:
        return len(self.retriever.chunks)

    @property
    def article_count(self) -> int:
        return len({c.doc_id for c in self.retriever.chunks})

    def warm_word_vectors(self, limit: int = 5000) -> int:
        """Embed the corpus's words ahead of the first question (a long-running page does this
        while it starts up, so its first answer needs no extra model work). Returns how many
        words are now cached."""
        vocabulary = sorted(w for w in self.retriever.rarity.words
                            if w.isalpha() and w not in STOPWORDS)
        if self.answerer.word_vectors is None:
            return 0
        self.answerer.word_vectors.prefetch(vocabulary[:limit])
        return len(self.answerer.word_vectors)

    def chunk(self, chunk_id: str) -> Chunk | None:
        """The indexed passage a citation points into, for showing the quote in context."""
        return self.retriever.chunk(chunk_id)

    def ask(self, question: str, history: Sequence[Any] | None = None) -> Answer:
        started = time.perf_counter()
        question = question.strip()
        turns = to_turns(history)
        if len(question) > self.settings.max_question_chars:
            draft = self.answerer.refusal("question_too_long", length=str(len(question)),
                                          limit=str(self.settings.max_question_chars))
            return Answer(question, draft.answer, None, True, (), _timings(started, started))
        asked = self.retriever.rarity.correct_spelling(strip_instructions(question))
        resolved = resolve_followup(asked, turns)
        if not self.retriever.chunks:
            draft = self.answerer.refusal("empty_index")
            return Answer(question, draft.answer, None, True, (), _timings(started, started))
        if not asked:
            draft = self.answerer.refusal("refusal_instruction" if question else "empty_question")
            return Answer(question, draft.answer, None, True, (), _timings(started, started))
        query_vector = self.embedder.embed([resolved.query])[0]
        passages = self.retriever.retrieve(resolved.query, self.settings.top_k, query_vector)
        retrieved = time.perf_counter()
        draft = self.answerer.answer(resolved, passages, query_vector,
                                     vocabulary=lambda t: t in self.retriever.rarity)
        return Answer(question, draft.answer, draft.short_answer, draft.refused,
                      draft.citations, _timings(started, retrieved),
                      tuple(p.chunk.chunk_id for p in passages), draft.support)


def _timings(started: float, retrieved: float) -> dict[str, float]:
    now = time.perf_counter()
    return {"retrieve": round((retrieved - started) * 1000, 2),
            "answer": round((now - retrieved) * 1000, 2),
            "total": round((now - started) * 1000, 2)}
