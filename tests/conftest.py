"""Shared fixtures: no network, data paths in temp dirs, a recording fake embedder, and the real
model, embedded Chroma and a real `chroma run` server for the end-to-end tests."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from pathlib import Path

import pytest

from assistant.settings import Settings
from benchmarks.processes import ChromaServer
from tests.support import MODEL_CACHE, PROJECT_ROOT, FakeEmbedder

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost"))


# The CPU the tests' own process sees: x86 with AVX512-VNNI, where int8 is the default. Names
# and defaults then do not depend on the machine the tests run on; the detection itself is
# tested on given flags, and processes the tests start see the real CPU. Int8 arithmetic does
# depend on the machine: tests that embed in int8 use ``tests.support.MACHINE_QUANTIZATION``.
TEST_CPU_FLAGS = frozenset({"sse4_2", "avx2", "avx512f", "avx512_vnni"})


@pytest.fixture(autouse=True)
def known_cpu(monkeypatch):
    monkeypatch.setattr("assistant.store.backend.cpu_flags", lambda: TEST_CPU_FLAGS)
    monkeypatch.setattr("assistant.store.backend.platform.machine", lambda: "x86_64")


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


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The packaged model on the default backend, as the product's ingest runs it."""
    from assistant.app import build_embedder

    embedder = build_embedder(Settings(model_cache_dir=MODEL_CACHE))
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def real_query_embedder():
    """The packaged model as the product embeds questions and words at ask time."""
    from assistant.app import build_embedder

    embedder = build_embedder(Settings(model_cache_dir=MODEL_CACHE), queries=True)
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


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run`) on loopback for the whole session."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db")
    server.start()
    yield (server.host, server.port)
    server.stop()


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
