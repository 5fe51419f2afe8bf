"""The composition root: the one place that builds and wires every stage.

``Assistant.open`` builds the embedding model, the Chroma store, the corpus statistics, the
retriever and one answerer per answer mode, and hands each the shared parts it needs (prompts,
word vectors, sentence vectors). The CLI, the tests and the chat page all go through it, so
they behave alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.answer.base import Answerer, Question, Retrieval
from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.chooser import SentenceChooser
from assistant.answer.extractive.confidence import ConfidenceModel
from assistant.answer.extractive.kinds import NounKinds, QuestionKinds
from assistant.answer.extractive.picking import PhraseChooser
from assistant.answer.extractive.scoring import SupportScorer
from assistant.evidence import SentenceTokens, SentenceVectors
from assistant.ingest.manifest import fingerprint
from assistant.ingest.pipeline import Ingestor, IngestReport, is_stale
from assistant.ingest.tagging import SpacyTagger
from assistant.models import Answer, AnswerMode, Chunk, Turn
from assistant.prompts import Prompts
from assistant.retrieval.followup import ResolvedQuestion
from assistant.retrieval.hybrid import HybridRetriever
from assistant.settings import Settings
from assistant.store.backend import EmbeddingBackend, embedder_name
from assistant.store.chroma import ChromaStore, open_client, server_address
from assistant.store.embedding import (
    DEFAULT_MODEL_NAME,
    DEFAULT_MODEL_SHA256,
    Embedder,
    SentenceTransformerEmbedder,
    WordVectors,
    model_dir_for,
)
from assistant.store.sentence_files import SentenceFiles
from assistant.text import syntax
from assistant.text.groups import GroupPlaces
from assistant.text.instructions import strip_instructions
from assistant.text.lexical import STOPWORDS
from assistant.text.rarity import TermRarity
from assistant.text.synonyms import SynonymMatcher
from assistant.text.tokens import tiktoken_counter


def build_embedder(settings: Settings, queries: bool = False) -> Embedder:
    """The embedding model on the configured backend: for the articles' sentences at ingest,
    or (``queries``) for questions and words at ask time. On onnx-int8 the queries run on the
    fp32 ONNX model: one short text gains little from int8, and answers that sit at a threshold
    then decide as they do on fp32 vectors. The onnx backends find (or export) and check their
    files in ``warm_up``, and never import torch to run."""
    name = embedder_name_for(settings)
    if settings.embedding_backend == EmbeddingBackend.TORCH:
        model_dir = model_dir_for(settings.embedding_model_path, settings.model_cache_dir)
        return SentenceTransformerEmbedder(model_dir, settings.embedding_batch_size, name)
    from assistant.store.onnx_embedder import OnnxEmbedder
    from assistant.store.onnx_model import OnnxModelSource

    backend, quantization = settings.embedding_backend, settings.embedding_quantization
    if queries:
        backend, quantization = EmbeddingBackend.ONNX, None
    source = OnnxModelSource(settings.embedding_model_path, settings.model_cache_dir, backend,
                             quantization)
    return OnnxEmbedder(source, name, settings.embedding_batch_size, settings.embedding_threads)


def build_store(settings: Settings, embedder: Embedder) -> ChromaStore:
    return ChromaStore(open_client(settings), settings.collection,
                       fingerprint(settings, embedder.name),
                       SentenceFiles(settings.index_dir / f"sentences-{settings.index_key}"),
                       server_address(settings), settings.chroma_retry_s)


def run_ingest(settings: Settings, embedder: Embedder | None = None,
               progress: bool = False) -> IngestReport:
    """Bring the index in line with the corpus folder."""
    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder)
    with SpacyTagger() as tagger:
        return Ingestor(settings, store, embedder, tagger, tiktoken_counter(),
                        progress=progress).run()


def index_is_stale(settings: Settings, embedder: Embedder | None = None) -> bool:
    name = embedder.name if embedder else embedder_name_for(settings)
    return is_stale(settings, name)


def embedder_name_for(settings: Settings) -> str:
    """The model and the backend (with its config) that the index records, known without
    loading anything: vectors of another backend mean a re-embed, as a chunking change does."""
    if settings.embedding_model_path:  # another model: its int8 recipe is the config alone
        model, weights = settings.embedding_model_path.name, None
    else:
        model, weights = DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256
    return embedder_name(model, settings.embedding_backend, settings.embedding_quantization,
                         weights)


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


def build_answerers(settings: Settings, prompts: Prompts, embedder: Embedder,
                    sentence_vectors: SentenceVectors, sentence_tokens: SentenceTokens,
                    statistics: TermRarity, synonyms: SynonymMatcher,
                    confidence: ConfidenceModel | None = None,
                    chooser: SentenceChooser | None = None,
                    group_places: GroupPlaces | None = None) -> dict[AnswerMode, Answerer]:
    """One answerer per mode; the ``llm`` mode only when a model is configured.
    ``confidence`` and ``chooser`` replace the fitted models (training fits new ones);
    ``group_places`` tells which places a nationality's word names (none, without it)."""
    exact = embedder.embed if settings.embedding_backend == EmbeddingBackend.ONNX_INT8 else None
    extractive = ExtractiveAnswerer(
        prompts, SupportScorer(statistics.idf, synonyms, exact, settings.min_support),
        sentence_vectors, sentence_tokens, QuestionKinds(NounKinds.load(), synonyms.word_vectors),
        known_term=statistics.__contains__, confidence=confidence or ConfidenceModel.load(),
        chooser=chooser or SentenceChooser.load(), phrase_chooser=PhraseChooser.load(),
        min_support=settings.min_support,
        max_sentences=settings.max_answer_sentences,
        **({"group_places": group_places.named_in} if group_places else {}))
    answerers: dict[AnswerMode, Answerer] = {AnswerMode.EXTRACTIVE: extractive}
    from assistant.answer.written.model import build_chat_model

    model = build_chat_model(settings)
    if model is not None:
        from assistant.answer.written.check import Checker
        from assistant.answer.written.prompt import PromptBuilder
        from assistant.answer.written.writer import WrittenAnswerer

        builder = PromptBuilder(prompts, tiktoken_counter(), settings.llm_context_window,
                                settings.llm_max_answer_tokens)
        checker = Checker(embedder.embed, sentence_vectors, synonyms,
                          settings.verify_min_overlap, settings.verify_min_similarity,
                          builder.no_answer())
        answerers[AnswerMode.LLM] = WrittenAnswerer(model, prompts, builder, checker,
                                                    extractive)
    return answerers


class Assistant:
    """Answers questions about the indexed coverage with cited sentences."""

    def __init__(self, settings: Settings, prompts: Prompts, embedder: Embedder,
                 retriever: HybridRetriever, statistics: TermRarity, word_vectors: WordVectors,
                 answerers: dict[AnswerMode, Answerer],
                 group_places: GroupPlaces | None = None) -> None:
        self.settings = settings
        self.prompts = prompts
        self.embedder = embedder
        self.retriever = retriever
        self.statistics = statistics  # the corpus's words: rarity and spelling
        self.word_vectors = word_vectors
        self.answerers = answerers
        self.group_places = group_places

    @classmethod
    def open(cls, corpus_dir: Path | str | None = None, index_dir: Path | str | None = None,
             settings: Settings | None = None, embedder: Embedder | None = None,
             confidence: ConfidenceModel | None = None,
             chooser: SentenceChooser | None = None) -> Assistant:
        """Build the assistant over an existing index (run ``ingest`` first)."""
        settings = settings or Settings()
        overrides = {k: Path(v).absolute() for k, v in (("corpus_dir", corpus_dir),
                                                         ("index_dir", index_dir))
                     if v is not None}
        if overrides:
            settings = settings.model_copy(update=overrides)
        embedder = embedder or build_embedder(settings, queries=True)
        embedder.warm_up()  # load the model now, not inside the first question's timing
        single_threaded_blas()
        store = build_store(settings, embedder)
        chunks = store.all_chunks()
        retriever = HybridRetriever(store, embedder, chunks, settings.dense_candidates,
                                    settings.lexical_candidates, settings.rrf_k)
        retriever.warm_up()
        statistics = TermRarity.of_chunks(chunks)
        word_vectors = WordVectors(embedder)
        prompts = Prompts(settings.prompts_dir)
        group_places = GroupPlaces.of_chunks(chunks, word_vectors)
        answerers = build_answerers(settings, prompts, embedder, store.sentence_vectors,
                                    store.sentence_tokens, statistics,
                                    SynonymMatcher(word_vectors), confidence, chooser,
                                    group_places)
        syntax.warm_up()  # the NLP pipeline parses each question: load it now
        return cls(settings, prompts, embedder, retriever, statistics, word_vectors, answerers,
                   group_places)

    @property
    def chunk_count(self) -> int:
        return len(self.retriever.chunks)

    @property
    def article_count(self) -> int:
        return len({c.doc_id for c in self.retriever.chunks})

    def warm_word_vectors(self, limit: int = 20_000) -> int:
        """Embed the corpus's words ahead of the first question (a long-running page does this
        while it starts up, so its first answer needs no extra model work). Returns how many
        words are now cached. The most common words first: a question most likely uses
        them."""
        if self.group_places is not None:
            self.group_places.warm_up()  # the places a nationality's word may name
        vocabulary = [w for w in self.statistics.common_words()
                      if w.isalpha() and w not in STOPWORDS]
        self.word_vectors.prefetch(vocabulary[:limit])
        return len(self.word_vectors)

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
        answerer = self._answerer(mode)
        question = question.strip()
        turns = to_turns(history)
        if len(question) > self.settings.max_question_chars:
            yield self._refusal(question, started, "question_too_long",
                                length=str(len(question)),
                                limit=str(self.settings.max_question_chars))
            return
        asked = strip_instructions(question)
        corrected = self.statistics.correct_spelling(asked)
        if not self.retriever.chunks:
            yield self._refusal(question, started, "empty_index")
            return
        if not corrected:
            yield self._refusal(question, started,
                                "refusal_instruction" if question else "empty_question")
            return
        found: list[Retrieval] = []
        retrieved_at = started

        def retrieve(resolved: ResolvedQuestion) -> Retrieval:
            nonlocal retrieved_at
            query_vector = self.embedder.embed([resolved.query])[0]
            passages = self.retriever.retrieve(resolved.query, self.settings.top_k,
                                               query_vector)
            conversation = self.retriever.article_passages(
                self.retriever.articles_quoting(resolved.said)) if resolved.said else []
            found.append(Retrieval(resolved, tuple(passages), query_vector,
                                   tuple(conversation)))
            retrieved_at = time.perf_counter()
            return found[-1]

        for draft in answerer.stream(Question(asked, corrected, tuple(turns)), retrieve):
            # Every search's passages, once each: a question of several parts searches per part;
            # a follow-up also reads the conversation's articles, listed after what was found.
            passages = tuple({p.chunk.chunk_id: p for r in found
                              for p in (*r.passages, *r.conversation)}.values())
            yield Answer(question, draft.answer, draft.short_answer, draft.refused,
                         draft.citations,
                         {**_timings(started, retrieved_at), **draft.timings_ms},
                         tuple(p.chunk.chunk_id for p in passages), draft.support,
                         draft.confidence, draft.mode, draft.note, draft.verification)

    def _answerer(self, mode: str | None) -> Answerer:
        chosen = AnswerMode.from_str(mode) if mode else self.settings.answer_mode
        if chosen not in self.answerers:
            raise ValueError("the llm answer mode needs a model: set ASSISTANT_LLM_BASE_URL "
                             "(or ASSISTANT_LLM_MODEL_PATH)")
        return self.answerers[chosen]

    def _refusal(self, question: str, started: float, name: str, **values: str) -> Answer:
        return Answer(question, self.prompts.render(name, **values), None, True, (),
                      _timings(started, started))


def _timings(started: float, retrieved: float) -> dict[str, float]:
    now = time.perf_counter()
    return {"retrieve": round((retrieved - started) * 1000, 2),
            "answer": round((now - retrieved) * 1000, 2),
            "total": round((now - started) * 1000, 2)}
