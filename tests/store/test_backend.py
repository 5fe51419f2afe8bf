"""Choosing the embedding backend and the int8 config from the CPU, and naming what the index
records, all without loading a model."""

from __future__ import annotations

import re

import pytest

from assistant.store import backend
from assistant.store.backend import (
    EmbeddingBackend,
    Quantization,
    backend_key,
    cpu_quantization,
    default_backend,
    embedder_name,
    int8_data,
    int8_layers,
    int8_outlier_channels,
    int8_recipe,
    parse_cpu_flags,
)
from assistant.store.embedding import DEFAULT_MODEL_SHA256

VNNI = frozenset({"sse4_2", "avx2", "avx512f", "avx512_vnni"})
AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})


@pytest.mark.parametrize(("machine", "flags", "expected"), [
    ("x86_64", VNNI, Quantization.AVX512_VNNI),
    ("x86_64", AVX2, Quantization.AVX2),
    ("AMD64", AVX2 | {"avx_vnni"}, Quantization.AVX2),  # VNNI without AVX512: the AVX2 config
    ("aarch64", frozenset({"fp", "asimd", "asimddp"}), Quantization.ARM64),
    ("arm64", frozenset(), Quantization.ARM64),
    ("x86_64", frozenset({"sse4_2"}), None),
])
def test_the_int8_config_follows_the_cpu(machine, flags, expected):
    assert cpu_quantization(machine, flags) == expected


def test_cpu_flags_are_read_from_cpuinfo_on_x86_and_arm():
    x86 = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse4_2 avx2 avx512_vnni\n"
    assert parse_cpu_flags(x86) == {"fpu", "sse4_2", "avx2", "avx512_vnni"}
    arm = "processor\t: 0\nFeatures\t: fp asimd asimddp\nCPU implementer\t: 0x41\n"
    assert parse_cpu_flags(arm) == {"fp", "asimd", "asimddp"}
    assert parse_cpu_flags("processor\t: 0\n") == frozenset()


def test_the_default_is_int8_only_where_it_was_measured_faster_and_the_model_measured():
    assert default_backend(DEFAULT_MODEL_SHA256, Quantization.AVX512_VNNI) == \
        EmbeddingBackend.ONNX_INT8
    # Never measured on ARM or on AVX2 without VNNI: fp32 ONNX there.
    assert default_backend(DEFAULT_MODEL_SHA256, Quantization.ARM64) == EmbeddingBackend.ONNX
    assert default_backend(DEFAULT_MODEL_SHA256, Quantization.AVX2) == EmbeddingBackend.ONNX
    assert default_backend(DEFAULT_MODEL_SHA256, None) == EmbeddingBackend.ONNX
    # Another model keeps torch, which runs any sentence-transformers folder.
    assert default_backend(None, Quantization.AVX512_VNNI) == EmbeddingBackend.TORCH
    assert default_backend("0" * 64, Quantization.AVX512_VNNI) == EmbeddingBackend.ONNX


def test_the_int8_data_records_layers_for_every_config_of_the_packaged_model():
    data = int8_data()
    assert set(data["configs"]) == {q.value for q in Quantization}
    model = data["models"][DEFAULT_MODEL_SHA256]
    assert "Wikinews dev split" in model["data"]
    for quantization in Quantization:
        layers = int8_layers(DEFAULT_MODEL_SHA256, quantization)
        assert layers is not None and all(layer.startswith("encoder/layer.") for layer in layers)
        assert model["measured"][quantization.value]["dev_min_cosine"] >= \
            model["target_min_cosine"]
        # Outlier channels belong to int8 layers only: a kept layer is fp32 whole.
        outliers = int8_outlier_channels(DEFAULT_MODEL_SHA256, quantization)
        assert not set(outliers) & set(layers)
        assert all(channels and all(0 <= c < 1536 for c in channels)
                   for channels in outliers.values())
    assert int8_layers("0" * 64, Quantization.AVX2) is None
    assert int8_outlier_channels("0" * 64, Quantization.AVX2) == {}


def test_names_tell_backends_configs_and_int8_recipes_apart(monkeypatch):
    names = [embedder_name("all-MiniLM-L6-v2", backend, quantization, DEFAULT_MODEL_SHA256)
             for backend, quantization in [(EmbeddingBackend.TORCH, None),
                                           (EmbeddingBackend.ONNX, None),
                                           (EmbeddingBackend.ONNX_INT8, Quantization.AVX2),
                                           (EmbeddingBackend.ONNX_INT8, Quantization.ARM64),
                                           (EmbeddingBackend.ONNX_INT8,
                                            Quantization.AVX512_VNNI)]]
    assert names[:2] == ["all-MiniLM-L6-v2+torch", "all-MiniLM-L6-v2+onnx"]
    assert all(re.fullmatch(r"all-MiniLM-L6-v2\+onnx-int8-[0-9a-f]{8}", n) for n in names[2:])
    # AVX2 quantizes to other weights; VNNI and ARM make the same ones, so they share a name
    # and an index moved between such machines is not embedded again.
    assert names[2] != names[3] and names[3] == names[4]
    # The recipe digest follows the fitted data: another model (none fitted) gets another one.
    assert backend_key(EmbeddingBackend.ONNX_INT8, Quantization.ARM64, DEFAULT_MODEL_SHA256) != \
        backend_key(EmbeddingBackend.ONNX_INT8, Quantization.ARM64, "0" * 64)
    assert int8_recipe("0" * 64, Quantization.ARM64) == int8_recipe(None, Quantization.ARM64)
    # And how the graph is laid out: the same data made into other products is another recipe.
    shipped = int8_recipe(DEFAULT_MODEL_SHA256, Quantization.AVX512_VNNI)
    monkeypatch.setattr(backend, "INT8_GRAPH", backend.INT8_GRAPH - 1)
    assert int8_recipe(DEFAULT_MODEL_SHA256, Quantization.AVX512_VNNI) != shipped
    with pytest.raises(ValueError, match="needs a quantization config"):
        backend_key(EmbeddingBackend.ONNX_INT8, None)


def test_backends_are_read_by_name():
    assert EmbeddingBackend.from_str(" Onnx-INT8 ") == EmbeddingBackend.ONNX_INT8
    with pytest.raises(ValueError, match="unknown embedding backend 'gpu': use one of torch, "
                                         "onnx, onnx-int8"):
        EmbeddingBackend.from_str("gpu")
