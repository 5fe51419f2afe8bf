"""Every knob of the assistant in one typed object.

Each field has a default, a description and an environment variable (``ASSISTANT_<NAME>``
unless stated otherwise), so the CLI, the tests and a deployment configure the same way.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    @property
    def uses_server(self) -> bool:
        return bool(self.chroma_host)
