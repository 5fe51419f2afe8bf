"""Every knob of the assistant in one typed object, grouped in sections.

Each field has a default, a description and an environment variable (``ASSISTANT_<NAME>``
unless stated otherwise), so the CLI, the tests and a deployment configure the same way. The
sections (store, ingest, retrieval, answer, llm, page) say which stage a knob belongs to;
``Settings`` joins them into one flat object, so every variable keeps its name.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.models import AnswerMode
from assistant.store.backend import (
    EmbeddingBackend,
    Quantization,
    cpu_quantization,
    default_backend,
)
from assistant.store.embedding import DEFAULT_MODEL_SHA256

_PACKAGE = Path(__file__).resolve().parent
_CONFIG = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore", frozen=True)


def bundled(name: str) -> Path:
    """A data folder that ships with the package (``prompts``, ``evals``): inside the
    installed package, or at the top of a source checkout."""
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def _default_model_cache() -> Path:
    return Path.home() / ".cache" / "news-assistant" / "models"


class StoreSettings(BaseSettings):
    """Where the corpus, the index and the embedding model are."""

    model_config = _CONFIG

    corpus_dir: Path = Field(
        Path("corpus"),
        description="Folder of articles to index (.md, .txt, .html, .json, .jsonl); a relative "
        "path is taken from the working directory.",
        validation_alias=AliasChoices("corpus_dir", "ASSISTANT_CORPUS"),
    )
    index_dir: Path = Field(
        Path("index"),
        description="Home of the embedded Chroma store, the ingest manifest and lock; a "
        "relative path is taken from the working directory.",
        validation_alias=AliasChoices("index_dir", "ASSISTANT_INDEX"),
    )
    collection: str = Field(
        "news",
        description="Names the corpus's Chroma collection (``<name>-chunks``) and its files in "
        "the index folder.",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,40}[a-zA-Z0-9]$",
    )
    chroma_host: str | None = Field(
        None,
        description="Host of a Chroma server (`chroma run`); unset means the embedded store.",
        validation_alias=AliasChoices("chroma_host", "CHROMA_HOST", "ASSISTANT_CHROMA_HOST"),
    )
    chroma_port: int = Field(
        8000,
        description="Port of the Chroma server.",
        validation_alias=AliasChoices("chroma_port", "CHROMA_PORT", "ASSISTANT_CHROMA_PORT"),
    )
    chroma_retry_s: float = Field(
        3.0, ge=0,
        description="How long a question keeps retrying a Chroma server that stopped "
        "answering (restarting, say) before it fails with a message.",
    )
    embedding_model_path: Path | None = Field(
        None,
        description="Folder of another sentence-transformers model; unset means the packaged "
        "all-MiniLM-L6-v2.",
    )
    model_cache_dir: Path = Field(
        default_factory=_default_model_cache,
        description="Where the packaged model is extracted once.",
    )
    embedding_backend: EmbeddingBackend = Field(
        default_factory=lambda data: default_backend(
            None if data.get("embedding_model_path") else DEFAULT_MODEL_SHA256,
            cpu_quantization()),
        description="How the embedding model runs: torch (sentence-transformers, fp32), onnx "
        "(ONNX Runtime, fp32) or onnx-int8 (ONNX Runtime: the articles with int8 weights in the "
        "config that fits the CPU, questions in fp32). Unset: onnx-int8 on CPUs with "
        "AVX512-VNNI, onnx otherwise; torch for a model other than the packaged one.",
    )
    embedding_threads: int | None = Field(
        None, ge=1, description="Threads one embedding call uses on the onnx backends; unset "
        "means every core.",
    )
    embedding_batch_size: int = Field(
        16, ge=1, description="Texts per embedding batch (sentences, sorted by length; 16 ran "
        "about 10% faster than 32 on 2 cores).",
    )

    @field_validator("embedding_backend", mode="before")
    @classmethod
    def _known_backend(cls, value: object) -> object:
        return EmbeddingBackend.from_str(value) if isinstance(value, str) else value

    @property
    def embedding_quantization(self) -> Quantization | None:
        """The int8 config the onnx-int8 backend uses on this CPU (None for fp32 backends)."""
        if self.embedding_backend != EmbeddingBackend.ONNX_INT8:
            return None
        return cpu_quantization()


class IngestSettings(BaseSettings):
    """How articles are read and cut into chunks."""

    model_config = _CONFIG

    chunk_size: int = Field(
        192, ge=32, description="Largest chunk in tiktoken (cl100k_base) tokens."
    )
    chunk_overlap: int = Field(
        32, ge=0, description="Tokens of trailing sentences repeated at the next chunk's start."
    )
    max_file_bytes: int = Field(
        5_000_000, ge=1, description="Files larger than this are skipped with a reason."
    )


class RetrievalSettings(BaseSettings):
    """How passages are found for a question."""

    model_config = _CONFIG

    dense_candidates: int = Field(30, ge=1, description="Chunks taken from the vector search.")
    lexical_candidates: int = Field(30, ge=1, description="Chunks taken from BM25.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    top_k: int = Field(6, ge=1, description="Fused passages handed to the answerer.")


class AnswerSettings(BaseSettings):
    """How answers are chosen, and when the assistant refuses."""

    model_config = _CONFIG

    max_answer_sentences: int = Field(
        3, ge=1, description="Most sentences quoted in one answer."
    )
    min_support: float = Field(
        0.44,
        description="Smallest support score of the best sentence for the question to count "
        "as answered; below it the assistant says the coverage does not say.",
    )
    max_question_chars: int = Field(
        1000, ge=1, description="Longest question accepted; longer ones are refused before "
        "any retrieval."
    )
    answer_mode: AnswerMode = Field(
        AnswerMode.EXTRACTIVE,
        description="extractive: answers quote article sentences; llm: a language model "
        "writes the answer and every sentence is checked against the passage it cites.",
    )
    prompts_dir: Path = Field(
        default_factory=lambda: bundled("prompts"),
        description="Folder of the fixed texts and templates (default: the ones shipped with "
        "the package)."
    )


class LLMSettings(BaseSettings):
    """The language model of the llm answer mode, and the check of what it writes."""

    model_config = _CONFIG

    llm_base_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible chat endpoint, e.g. "
        "http://127.0.0.1:11434/v1 for Ollama.",
    )
    llm_model: str = Field("llama3.2", description="Model name sent to that endpoint.")
    llm_api_key_env: str = Field(
        "OPENAI_API_KEY",
        description="Name of the environment variable that holds the endpoint's API key (the "
        "key itself is never a setting).",
    )
    llm_model_path: Path | None = Field(
        None,
        description="A local GGUF model run by llama-cpp-python (pip install '.[local]'); "
        "used when no base URL is set.",
    )
    llm_timeout_s: float = Field(
        60.0, gt=0, description="Longest wait for the model's whole answer, in seconds."
    )
    llm_stream: bool = Field(
        True, description="Ask the endpoint to stream its answer (sentences are shown as "
        "soon as they pass the check)."
    )
    llm_context_window: int = Field(
        8192, ge=512, description="The model's context window in tokens; the prompt is "
        "trimmed to fit it."
    )
    llm_max_answer_tokens: int = Field(
        512, ge=16, description="Tokens kept free in the context window for the answer."
    )
    llm_temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    verify_min_overlap: float = Field(
        0.6, ge=0, le=1,
        description="Share of a written sentence's content words (or close synonyms) that its "
        "cited sentences must contain.",
    )
    verify_min_similarity: float = Field(
        0.55, ge=-1, le=1,
        description="Smallest embedding cosine between a written sentence and its closest "
        "cited sentence.",
    )


class PageSettings(BaseSettings):
    """The chat page."""

    model_config = _CONFIG

    ui_host: str = Field("127.0.0.1", description="Address the chat page listens on.")
    ui_port: int = Field(7860, ge=0, le=65535, description="Port of the chat page.")
    ui_concurrency_limit: int = Field(
        2, ge=1, description="Questions the chat page answers at the same time."
    )
    ui_queue_size: int = Field(
        64, ge=1, description="Questions waiting beyond that before new ones are turned away."
    )


class Settings(StoreSettings, IngestSettings, RetrievalSettings, AnswerSettings, LLMSettings,
               PageSettings):
    """Every knob of the assistant: one flat object whose fields are grouped in the sections
    above, so ``ASSISTANT_<NAME>`` names each one whatever its section."""

    model_config = _CONFIG

    @field_validator("corpus_dir", "index_dir", "prompts_dir", "model_cache_dir")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        """Relative folders are taken from the working directory when the settings are made,
        so a process started elsewhere later (the page's engine) finds the same ones."""
        return path.expanduser().absolute()

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.embedding_backend == EmbeddingBackend.ONNX_INT8 and cpu_quantization() is None:
            raise ValueError("embedding_backend onnx-int8 needs a CPU with AVX2, AVX512-VNNI "
                             "or 64-bit ARM; set ASSISTANT_EMBEDDING_BACKEND=onnx")
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        if self.answer_mode == AnswerMode.LLM and not self.llm_configured:
            raise ValueError("answer_mode llm needs a model: set ASSISTANT_LLM_BASE_URL (an "
                             "OpenAI-compatible endpoint) or ASSISTANT_LLM_MODEL_PATH (a GGUF "
                             "file)")
        if self.llm_max_answer_tokens >= self.llm_context_window:
            raise ValueError("llm_max_answer_tokens must be smaller than llm_context_window")
        return self

    @property
    def uses_server(self) -> bool:
        return bool(self.chroma_host)

    @property
    def index_key(self) -> str:
        """Names what the index folder keeps for one collection on one store (the manifest,
        the sentence vectors): the embedded store and each server have their own."""
        where = f"{self.chroma_host}-{self.chroma_port}" if self.uses_server else "local"
        return f"{self.collection}-{where}"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url or self.llm_model_path)
