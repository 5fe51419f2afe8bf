"""Typed settings: environment variables, descriptions, and the checks across fields."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.settings import Settings
from assistant.store.backend import EmbeddingBackend, Quantization, cpu_quantization


def test_settings_read_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_CORPUS", str(tmp_path / "c"))
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "i"))
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", "9123")
    monkeypatch.setenv("ASSISTANT_TOP_K", "4")
    settings = Settings()
    assert settings.corpus_dir == tmp_path / "c" and settings.index_dir == tmp_path / "i"
    assert settings.uses_server and settings.chroma_port == 9123 and settings.top_k == 4


def test_settings_have_descriptions_and_reject_nonsense():
    assert all(field.description for field in Settings.model_fields.values())
    with pytest.raises(ValidationError, match="chunk_overlap must be smaller"):
        Settings(chunk_size=64, chunk_overlap=64)
    assert not Settings().uses_server


def test_llm_mode_needs_a_model():
    with pytest.raises(ValidationError, match="answer_mode llm needs a model"):
        Settings(answer_mode="llm")
    assert Settings(answer_mode="llm", llm_base_url="http://127.0.0.1:9/v1").llm_configured


def test_the_embedding_backend_is_chosen_by_name_and_defaults_to_the_fastest(monkeypatch):
    monkeypatch.setenv("ASSISTANT_EMBEDDING_BACKEND", "torch")
    assert Settings().embedding_backend == EmbeddingBackend.TORCH
    assert Settings().embedding_quantization is None
    monkeypatch.setenv("ASSISTANT_EMBEDDING_BACKEND", "ONNX-int8")
    assert Settings().embedding_backend == EmbeddingBackend.ONNX_INT8
    assert Settings().embedding_quantization == cpu_quantization()
    monkeypatch.delenv("ASSISTANT_EMBEDDING_BACKEND")
    # The tests' CPU (conftest) has AVX512-VNNI, where int8 was measured faster than fp32 ONNX.
    assert cpu_quantization() == Quantization.AVX512_VNNI
    assert Settings().embedding_backend == EmbeddingBackend.ONNX_INT8
    # Another model keeps torch unless an onnx backend is asked for.
    assert Settings(embedding_model_path="/models/other").embedding_backend == \
        EmbeddingBackend.TORCH


def test_a_cpu_without_an_int8_config_defaults_to_onnx_and_refuses_int8(monkeypatch):
    monkeypatch.setattr("assistant.store.backend.cpu_flags", lambda: frozenset({"sse4_2"}))
    assert cpu_quantization() is None
    assert Settings().embedding_backend == EmbeddingBackend.ONNX
    with pytest.raises(ValidationError, match="embedding_backend onnx-int8 needs a CPU with "
                                              "AVX2, AVX512-VNNI or 64-bit ARM; set "
                                              "ASSISTANT_EMBEDDING_BACKEND=onnx"):
        Settings(embedding_backend="onnx-int8")


def test_an_unknown_embedding_backend_is_refused_by_name():
    with pytest.raises(ValidationError, match="unknown embedding backend 'cuda': use one of "
                                              "torch, onnx, onnx-int8"):
        Settings(embedding_backend="cuda")
