"""Every knob of the assistant in one typed object.

Each field has a default, a description and an environment variable (``ASSISTANT_<NAME>``
unless stated otherwise), so the CLI, the tests and a deployment configure the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ANSWER_MODES = ("extractive", "llm")


def _default_model_cache() -> Path:
    return Path.home() / ".cache" / "news-assistant" / "models"


class Settings(BaseSettings):
    """Configuration of ingestion, retrieval and answering."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore", frozen=True)

    corpus_dir: Path = Field(
        PROJECT_ROOT / "corpus",
        description="Folder of articles to index (.md, .txt, .html, .json, .jsonl).",
        validation_alias=AliasChoices("corpus_dir", "ASSISTANT_CORPUS"),
    )
    index_dir: Path = Field(
        PROJECT_ROOT / "index",
        description="Home of the embedded Chroma store, the ingest manifest and lock.",
        validation_alias=AliasChoices("index_dir", "ASSISTANT_INDEX"),
    )
    collection: str = Field(
        "news",
        description="Prefix of the Chroma collection names (chunks and sentences).",
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
    embedding_model_path: Path | None = Field(
        None,
        description="Folder of another sentence-transformers model; unset means the packaged "
        "all-MiniLM-L6-v2.",
    )
    model_cache_dir: Path = Field(
        default_factory=_default_model_cache,
        description="Where the packaged model is extracted once.",
    )
    embedding_batch_size: int = Field(32, ge=1, description="Texts per embedding batch.")
    chunk_size: int = Field(
        192, ge=32, description="Largest chunk in tiktoken (cl100k_base) tokens."
    )
    chunk_overlap: int = Field(
        32, ge=0, description="Tokens of trailing sentences repeated at the next chunk's start."
    )
    max_file_bytes: int = Field(
        5_000_000, ge=1, description="Files larger than this are skipped with a reason."
    )
    dense_candidates: int = Field(30, ge=1, description="Chunks taken from the vector search.")
    lexical_candidates: int = Field(30, ge=1, description="Chunks taken from BM25.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    top_k: int = Field(6, ge=1, description="Fused passages handed to the answerer.")
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
    answer_mode: Literal["extractive", "llm"] = Field(
        "extractive",
        description="extractive: answers quote article sentences; llm: a language model "
        "writes the answer and every sentence is checked against the passage it cites.",
    )
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
    ui_host: str = Field("127.0.0.1", description="Address the chat page listens on.")
    ui_port: int = Field(7860, ge=0, le=65535, description="Port of the chat page.")
    ui_concurrency_limit: int = Field(
        2, ge=1, description="Questions the chat page answers at the same time."
    )
    ui_queue_size: int = Field(
        64, ge=1, description="Questions waiting beyond that before new ones are turned away."
    )
    prompts_dir: Path = Field(
        PROJECT_ROOT / "prompts", description="Folder of the fixed texts and templates."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        if self.answer_mode == "llm" and not self.llm_configured:
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
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url or self.llm_model_path)
