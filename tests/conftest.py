"""Shared fixtures: no network, data paths in temp dirs, a recording fake embedder, and the real
model, embedded Chroma and a real `chroma run` server for the end-to-end tests."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.settings import PROJECT_ROOT, Settings

SEED = PROJECT_ROOT / "corpus" / "000_1c8cb6e4e6d5a0ae.txt"
FIXTURES = Path(__file__).parent / "fixtures"
MODEL_CACHE = Path(os.environ.get("ASSISTANT_TEST_MODEL_CACHE",
                                  Path.home() / ".cache" / "news-assistant" / "models"))

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost"))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection that is not to this machine fails the test at once."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """Settings from the environment never leak into a test."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_") or name in ("CHROMA_HOST", "CHROMA_PORT"):
            monkeypatch.delenv(name, raising=False)


class FakeEmbedder:
    """Deterministic bag-of-words vectors; records every batch it was asked to embed."""

    name = "fake-embedder"

    def __init__(self, dimensions: int = 64) -> None:
        self.dimensions = dimensions
        self.calls: list[list[str]] = []

    def warm_up(self) -> None:
        """Nothing to load."""

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimensions
                vectors[row, bucket] += 1.0
            vectors[row] /= max(float(np.linalg.norm(vectors[row])), 1e-9)
        return vectors

    @property
    def texts_embedded(self) -> int:
        return sum(len(batch) for batch in self.calls)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    from assistant.store.embedding import SentenceTransformerEmbedder, ensure_default_model

    embedder = SentenceTransformerEmbedder(ensure_default_model(MODEL_CACHE))
    embedder.warm_up()
    return embedder


@pytest.fixture
def make_settings(tmp_path):
    def build(corpus: Path | None = None, **overrides) -> Settings:
        values = {"corpus_dir": corpus or tmp_path / "corpus", "index_dir": tmp_path / "index",
                  "model_cache_dir": MODEL_CACHE}
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def seed_corpus(tmp_path) -> Path:
    """A copy of the shipped corpus folder (seed article and its metadata)."""
    target = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", target)
    return target


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run`) on loopback for the whole session."""
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).parent / "chroma"
    log = (data / "server.log").open("w")
    process = subprocess.Popen([str(chroma), "run", "--path", str(data / "db"), "--host",
                                "127.0.0.1", "--port", str(port)], stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = (data / "server.log").read_text()
                raise RuntimeError(f"chroma run did not start: {output}") from None
            time.sleep(0.2)
    yield ("127.0.0.1", port)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(params=["embedded", "server"])
def backend(request, make_settings, tmp_path):
    """Settings factory for each Chroma backend, so index tests run against both."""
    collection = "t" + hashlib.md5(str(tmp_path).encode()).hexdigest()[:10]

    def build(corpus: Path | None = None, **overrides) -> Settings:
        if request.param == "server":
            host, port = request.getfixturevalue("chroma_server")
            overrides.update(chroma_host=host, chroma_port=port)
        return make_settings(corpus, collection=collection, **overrides)

    build.kind = request.param
    return build
