"""The onnx backends on the real model and real files: vectors as sentence-transformers makes
them, int8 vectors close to fp32 ones, exported files cached per weights, backend and config,
checked at every load, made once by two processes at once, and run without torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.app import build_embedder
from assistant.ingest.chunking import article_sentences
from assistant.ingest.loaders import load_file
from assistant.settings import Settings
from assistant.store.backend import (
    EmbeddingBackend,
    Quantization,
    int8_layers,
    int8_outlier_channels,
)
from assistant.store.embedding import (
    DEFAULT_MODEL_SHA256,
    ModelError,
    SentenceTransformerEmbedder,
    ensure_default_model,
    file_sha256,
)
from assistant.store.onnx_model import OnnxModelRecord, OnnxModelSource, check_int8
from assistant.text.tokens import tiktoken_counter
from tests.support import MACHINE_QUANTIZATION, MODEL_CACHE, PROJECT_ROOT

CORPORA = [PROJECT_ROOT / "corpus", PROJECT_ROOT / "evals" / "corpora" / "wikinews" / "articles"]
# The int8 configs this machine computes as the CPUs they are made for: its own, and the AVX2
# config (u8 weights), which a CPU with AVX2 or ARM64 multiplies exactly. The AVX512-VNNI
# config (s8 weights) is exact on VNNI and ARM64 only: without VNNI, ONNX Runtime's u8 x s8
# products can saturate, which is why such a CPU gets the AVX2 config.
EXACT_CONFIGS = sorted({MACHINE_QUANTIZATION, Quantization.AVX2})


def real_sentences(limit_articles: int | None = None) -> list[str]:
    """The prose sentences of the seed corpus and the Wikinews articles, as ingest cuts them."""
    count = tiktoken_counter()
    texts: list[str] = []
    for folder in CORPORA:
        paths = sorted(p for p in folder.iterdir() if p.suffix in (".md", ".txt"))
        for path in paths[:limit_articles]:
            for article in load_file(path, folder, 10**7).articles:
                texts.extend(article.text[s.start:s.end]
                             for s in article_sentences(article, count, 192))
    return texts


def onnx_embedder(backend: str, cache: Path = MODEL_CACHE, quantization=None):
    """The backend as the product builds it; int8 in ``quantization``, by default this
    machine's config (the tests' presented CPU would otherwise choose it)."""
    embedder = build_embedder(Settings(model_cache_dir=cache, embedding_backend=backend))
    if backend == "onnx-int8":
        quantization = quantization or MACHINE_QUANTIZATION
        source = OnnxModelSource(None, cache, EmbeddingBackend.ONNX_INT8, quantization)
        embedder.prepare = source
        embedder.name = f"int8-{quantization.value}"
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return real_sentences()


@pytest.fixture(scope="module")
def fp32_vectors(sentences) -> np.ndarray:
    return onnx_embedder("onnx").embed(sentences)


def test_onnx_fp32_gives_the_vectors_of_sentence_transformers():
    texts = real_sentences(limit_articles=40) + ["a", "Thank you.", " ".join(["word"] * 400)]
    torch = SentenceTransformerEmbedder(ensure_default_model(MODEL_CACHE))
    cosines = (onnx_embedder("onnx").embed(texts) * torch.embed(texts)).sum(axis=1)
    assert len(texts) > 800 and cosines.min() >= 0.999


@pytest.mark.parametrize("quantization", EXACT_CONFIGS)
def test_int8_vectors_stay_within_0_98_of_fp32_on_real_text(quantization, sentences,
                                                            fp32_vectors):
    """Every sentence of the seed and of all Wikinews articles, on each config this machine
    computes exactly (``EXACT_CONFIGS``)."""
    int8 = onnx_embedder("onnx-int8", quantization=quantization)
    cosines = (int8.embed(sentences) * fp32_vectors).sum(axis=1)
    assert len(sentences) > 7000
    assert cosines.min() >= 0.98, sentences[int(cosines.argmin())]
    assert int8.record.quantization == quantization.value
    # Made as fitted: the recorded fp32 layers, and outlier channels taken out of some layer.
    assert int8.record.fp32_layers == sorted(int8_layers(DEFAULT_MODEL_SHA256, quantization))
    assert int8.record.outlier_channels == {
        layer: sorted(channels) for layer, channels
        in int8_outlier_channels(DEFAULT_MODEL_SHA256, quantization).items()} != {}


def test_exports_are_cached_by_weights_backend_and_config_and_made_once():
    int8 = onnx_embedder("onnx-int8")
    folder = OnnxModelSource(None, MODEL_CACHE, EmbeddingBackend.ONNX_INT8,
                             MACHINE_QUANTIZATION).folder()
    assert folder.name.startswith(f"{DEFAULT_MODEL_SHA256[:16]}-onnx-int8-")
    record = OnnxModelRecord.read(folder)
    assert int8.record == record and record.weights_sha256 == DEFAULT_MODEL_SHA256
    assert record.onnx_sha256 == file_sha256(folder / "model.onnx")
    assert (record.max_seq_length, record.pooling, record.dimensions) == (256, "mean", 384)
    made = (folder / "model.onnx").stat().st_mtime_ns
    assert onnx_embedder("onnx-int8").record == record
    assert (folder / "model.onnx").stat().st_mtime_ns == made
    fp32 = OnnxModelSource(None, MODEL_CACHE, EmbeddingBackend.ONNX).folder()
    assert fp32.name == f"{DEFAULT_MODEL_SHA256[:16]}-onnx-v1"
    assert (fp32 / "model.onnx").is_file()  # the int8 model was quantized from it


def test_an_int8_model_whose_vectors_stray_from_fp32_is_refused_when_made(monkeypatch):
    int8 = onnx_embedder("onnx-int8")
    fp32 = onnx_embedder("onnx")
    folder = OnnxModelSource(None, MODEL_CACHE, EmbeddingBackend.ONNX_INT8,
                             MACHINE_QUANTIZATION).folder()
    fp32_folder = OnnxModelSource(None, MODEL_CACHE, EmbeddingBackend.ONNX).folder()
    check_int8(fp32_folder, fp32.record, folder, int8.record)  # the shipped recipe passes
    monkeypatch.setattr("assistant.store.onnx_model.INT8_MIN_COSINE", 0.99999)
    with pytest.raises(ModelError, match=r"the int8 model's vectors stray from fp32 \(cosine "
                                         r"0\.9\d+ < 0\.99999\); set "
                                         "ASSISTANT_EMBEDDING_BACKEND=onnx"):
        check_int8(fp32_folder, fp32.record, folder, int8.record)


def test_a_tampered_export_is_refused_at_load(tmp_path):
    onnx_embedder("onnx-int8")
    source = OnnxModelSource(None, tmp_path, EmbeddingBackend.ONNX_INT8, MACHINE_QUANTIZATION)
    copy = source.folder()
    shutil.copytree(MODEL_CACHE / "onnx" / copy.name, copy)
    assert source()[0] == copy
    with (copy / "model.onnx").open("r+b") as model:
        model.seek(5000)
        model.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError, match="model.onnx has sha256 .* expected .*; delete .* and "
                                         "run again to export the model anew"):
        source()
    (copy / "embedding.json").write_text("{broken")
    with pytest.raises(ModelError, match="embedding.json is unreadable"):
        source()


def test_two_processes_export_one_folder_and_leave_no_half_written_files(tmp_path):
    """Both wait on one lock; the folder appears whole, by rename, and both load it."""
    script = ("import json, sys; from pathlib import Path; "
              "from assistant.store.onnx_model import OnnxModelSource; "
              "from assistant.store.backend import EmbeddingBackend; "
              "folder, record = OnnxModelSource(None, Path(sys.argv[1]), "
              "EmbeddingBackend.ONNX)(); print(json.dumps([str(folder), record.onnx_sha256]))")
    processes = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  cwd=PROJECT_ROOT) for _ in range(2)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=900)
        assert process.returncode == 0, err[-2000:]
        results.append(json.loads(out))
    assert results[0] == results[1]
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir() if not p.name.endswith(".lock")
                  ) == [OnnxModelSource(None, tmp_path, EmbeddingBackend.ONNX).folder().name]
    assert results[0][1] == file_sha256(Path(results[0][0]) / "model.onnx")


def test_the_onnx_backends_embed_without_torch():
    script = ("import json, sys; from pathlib import Path; "
              "from assistant.app import build_embedder; "
              "from assistant.settings import Settings; "
              "e = build_embedder(Settings(model_cache_dir=Path(sys.argv[1]), "
              "embedding_backend=sys.argv[2])); e.embed(['North Korea denied it.']); "
              "print(json.dumps(sorted(m for m in ('torch', 'sentence_transformers', "
              "'transformers') if m in sys.modules)))")
    for backend in ("onnx", "onnx-int8"):
        onnx_embedder(backend)  # exported already, as after a first run
        done = subprocess.run([sys.executable, "-c", script, str(MODEL_CACHE), backend],
                              capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout) == []
