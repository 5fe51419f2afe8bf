"""The composition root: the one place that builds and wires every stage.

``Assistant.open`` builds the settings, the embedding model, the Chroma store, the retriever and
the answerer, and hands each its collaborators. The CLI, the tests and the chat page all
go through it, so they behave alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.store.embedding import (
    Embedder,
    SentenceTransformerEmbedder,
    WordVectors,
    model_dir_for,
)
from assistant.retrieval.followup import ResolvedQuestion, resolve_followup
from assistant.ingest.pipeline import Ingestor, IngestReport, fingerprint, is_stale
from assistant.text.instructions import strip_instructions
from assistant.text.lexical import STOPWORDS
from assistant.answer.written.writer import LLMAnswerer
from assistant.models import Answer, Chunk, Turn
from assistant.prompts import Prompts
from assistant.retrieval.hybrid import HybridRetriever
from assistant.settings import ANSWER_MODES, Settings
from assistant.store.chroma import ChromaStore, open_client


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    model_dir = model_dir_for(settings.embedding_model_path, settings.model_cache_dir)
    return SentenceTransformerEmbedder(model_dir, settings.embedding_batch_size)


def build_store(settings: Settings, embedder: Embedder) -> ChromaStore:
    return ChromaStore(open_client(settings), settings.collection,
                       fingerprint(settings, embedder.name))


def run_ingest(settings: Settings, embedder: Embedder | None = None,
               progress: bool = False) -> IngestReport:
    """Bring the index in line with the corpus folder."""
    from assistant.ingest.chunking import tiktoken_counter

    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder)
    return Ingestor(settings, store, embedder, tiktoken_counter(), progress=progress).run()


def index_is_stale(settings: Settings, embedder: Embedder | None = None) -> bool:
    name = embedder.name if embedder else model_name(settings)
    return is_stale(settings, name)


def model_name(settings: Settings) -> str:
    from assistant.store.embedding import DEFAULT_MODEL_NAME

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
                 retriever: HybridRetriever, answerer: ExtractiveAnswerer,
                 writer: LLMAnswerer | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.retriever = retriever
        self.answerer = answerer
        self.writer = writer  # the ``llm`` mode's writer and checker, when a model is set

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
        return cls(settings, embedder, store, retriever, answerer,
                   build_writer(settings, embedder, store, answerer))

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

    def ask(self, question: str, history: Sequence[Any] | None = None,
            mode: str | None = None) -> Answer:
        """The answer to ``question`` (with earlier turns as ``history``), in ``mode``
        ("extractive" or "llm"; default from settings)."""
        *_, answer = self.ask_stream(question, history, mode)
        return answer

    def ask_stream(self, question: str, history: Sequence[Any] | None = None,
                   mode: str | None = None) -> Iterator[Answer]:
        """The answer as it grows: in ``llm`` mode, once per sentence that passed the check,
        then the final answer; in extractive mode, just the answer."""
        started = time.perf_counter()
        mode = self._mode(mode)
        question = question.strip()
        turns = to_turns(history)
        if len(question) > self.settings.max_question_chars:
            yield self._refusal(question, started, "question_too_long",
                                length=str(len(question)),
                                limit=str(self.settings.max_question_chars))
            return
        asked = self.retriever.rarity.correct_spelling(strip_instructions(question))
        if not self.retriever.chunks:
            yield self._refusal(question, started, "empty_index")
            return
        if not asked:
            yield self._refusal(question, started,
                                "refusal_instruction" if question else "empty_question")
            return
        condensed, turns_left_out = None, 0
        if mode == "llm" and turns:
            condensed, turns_left_out = self.writer.condense(strip_instructions(question),
                                                             turns)
        resolved = ResolvedQuestion(condensed) if condensed else resolve_followup(asked, turns)
        query_vector = self.embedder.embed([resolved.query])[0]
        passages = self.retriever.retrieve(resolved.query, self.settings.top_k, query_vector)
        retrieved = time.perf_counter()
        draft = self.answerer.answer(resolved, passages, query_vector,
                                     vocabulary=lambda t: t in self.retriever.rarity)
        answer = Answer(question, draft.answer, draft.short_answer, draft.refused,
                        draft.citations, _timings(started, retrieved),
                        tuple(p.chunk.chunk_id for p in passages), draft.support)
        if mode != "llm" or draft.refused:
            # The model is asked only when the coverage plausibly answers: a refusal here
            # (no sentence supports the question well, or a name it hinges on is nowhere in
            # the passages) stands in both modes, and costs no model call.
            yield answer
            return
        prompt_question = condensed or strip_instructions(question)
        if resolved.context:
            prompt_question = f"{prompt_question} (Earlier in the conversation: " \
                              f"{resolved.context})"
        for written in self.writer.write(prompt_question, passages, draft, condensed,
                                         turns_left_out):
            draft = written.draft
            yield replace(answer, answer=draft.answer, short_answer=draft.short_answer,
                          refused=draft.refused, citations=draft.citations,
                          timings_ms={**_timings(started, retrieved), **written.timings_ms},
                          mode=written.mode, note=written.note,
                          verification=written.verification)

    def _mode(self, mode: str | None) -> str:
        mode = mode or self.settings.answer_mode
        if mode not in ANSWER_MODES:
            raise ValueError(f"unknown answer mode {mode!r}: use one of "
                             f"{', '.join(ANSWER_MODES)}")
        if mode == "llm" and self.writer is None:
            raise ValueError("the llm answer mode needs a model: set ASSISTANT_LLM_BASE_URL "
                             "(or ASSISTANT_LLM_MODEL_PATH)")
        return mode

    def _refusal(self, question: str, started: float, name: str, **values: str) -> Answer:
        draft = self.answerer.refusal(name, **values)
        return Answer(question, draft.answer, None, True, (), _timings(started, started))


def build_writer(settings: Settings, embedder: Embedder, store: ChromaStore,
                 answerer: ExtractiveAnswerer) -> LLMAnswerer | None:
    """The ``llm`` mode's model, prompt builder and checker; None when no model is set."""
    from assistant.ingest.chunking import tiktoken_counter
    from assistant.answer.written.model import build_chat_model
    from assistant.answer.written.prompt import PromptBuilder
    from assistant.answer.written.check import Checker

    model = build_chat_model(settings)
    if model is None:
        return None
    prompts = answerer.prompts
    builder = PromptBuilder(prompts, tiktoken_counter(), settings.llm_context_window,
                            settings.llm_max_answer_tokens)
    checker = Checker(embedder.embed, store.sentence_vectors, answerer.word_vectors,
                      settings.verify_min_overlap, settings.verify_min_similarity,
                      builder.no_answer())
    return LLMAnswerer(model, prompts, builder, checker)


def _timings(started: float, retrieved: float) -> dict[str, float]:
    now = time.perf_counter()
    return {"retrieve": round((retrieved - started) * 1000, 2),
            "answer": round((now - retrieved) * 1000, 2),
            "total": round((now - started) * 1000, 2)}
