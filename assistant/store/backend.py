"""Which runtime embeds texts, and which int8 quantization fits this CPU.

Three backends run the same model: ``torch`` (sentence-transformers, fp32), ``onnx`` (ONNX
Runtime, fp32) and ``onnx-int8`` (ONNX Runtime with int8 weights). The default is the fastest
this CPU runs at the model's quality: int8 where a quantization config fits the CPU and the
model's int8 layers have been chosen (``int8.json``), else fp32 ONNX. This module only reads
``/proc/cpuinfo`` and the platform name, so settings can use it without loading anything.
"""

from __future__ import annotations

import hashlib
import json
import platform
from enum import StrEnum
from functools import cache
from pathlib import Path

INT8_DATA = Path(__file__).with_name("int8.json")
# How ``int8.py`` lays the recipe out in the graph; raised when the same recipe makes other
# int8 weights or products. 2: layers that read one tensor share its smoothing, and smoothing
# is folded into the constants that make a tensor where it can be.
INT8_GRAPH = 2


class EmbeddingBackend(StrEnum):
    """The runtime behind the embedding model."""

    TORCH = "torch"
    ONNX = "onnx"
    ONNX_INT8 = "onnx-int8"

    @classmethod
    def from_str(cls, value: str) -> EmbeddingBackend:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ValueError(f"unknown embedding backend {value!r}: use one of "
                             f"{', '.join(b.value for b in cls)}") from None


class Quantization(StrEnum):
    """The int8 quantization configs, named after the CPUs they are made for (the names of
    sentence-transformers' ``export_dynamic_quantized_onnx_model`` configs)."""

    AVX512_VNNI = "avx512_vnni"
    AVX2 = "avx2"
    ARM64 = "arm64"


@cache
def cpu_flags() -> frozenset[str]:
    """The instruction-set flags of this CPU (empty where ``/proc/cpuinfo`` is not there)."""
    try:
        return parse_cpu_flags(Path("/proc/cpuinfo").read_text(encoding="utf-8",
                                                               errors="replace"))
    except OSError:
        return frozenset()


def parse_cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The first processor's flags (x86 ``flags``, ARM ``Features``) in ``/proc/cpuinfo``."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def cpu_quantization(machine: str | None = None,
                     flags: frozenset[str] | None = None) -> Quantization | None:
    """The int8 config this CPU runs: VNNI multiplies u8 by s8 exactly, AVX2 without it needs
    its own config, and 64-bit ARM has one of its own. None: no int8 config fits."""
    machine = (machine if machine is not None else platform.machine()).lower()
    flags = cpu_flags() if flags is None else flags
    if machine in ("arm64", "aarch64"):
        return Quantization.ARM64
    if "avx512_vnni" in flags:
        return Quantization.AVX512_VNNI
    if "avx2" in flags:
        return Quantization.AVX2
    return None


@cache
def int8_data() -> dict:
    """The int8 configs and, per model, the layers kept in fp32 and the smoothing of the
    others (see ``training/choose_int8_layers.py``)."""
    return json.loads(INT8_DATA.read_text(encoding="utf-8"))


def int8_model(weights_sha256: str) -> dict | None:
    """What was measured for this model's int8 weights (its fp32 layers per config and its
    smoothing); None for a model never measured."""
    return int8_data()["models"].get(weights_sha256)


def int8_layers(weights_sha256: str, quantization: Quantization) -> list[str] | None:
    """The model's layers that stay fp32 under ``quantization``; None if never measured."""
    model = int8_model(weights_sha256)
    if model is None or quantization.value not in model["fp32_layers"]:
        return None
    return list(model["fp32_layers"][quantization.value])


def int8_outlier_channels(weights_sha256: str, quantization: Quantization
                          ) -> dict[str, list[int]]:
    """Per int8 layer, the input channels kept out of its int8 product (see
    ``assistant/store/int8.py``); empty for a model or config never fitted so."""
    model = int8_model(weights_sha256) or {}
    return {layer: list(channels) for layer, channels
            in model.get("outlier_channels", {}).get(quantization.value, {}).items()}


def default_backend(weights_sha256: str | None, quantization: Quantization | None
                    ) -> EmbeddingBackend:
    """For the packaged model: int8 where it is measured to be faster than fp32 ONNX on this
    kind of CPU and its int8 layers were chosen on real text, fp32 ONNX otherwise. Another
    model (``weights_sha256`` None) keeps torch, which runs any sentence-transformers folder;
    the onnx backends are there for it when asked for."""
    if weights_sha256 is None:
        return EmbeddingBackend.TORCH
    faster = set(int8_data()["int8_faster_on"])
    if (quantization is not None and quantization.value in faster and weights_sha256
            and int8_layers(weights_sha256, quantization) is not None):
        return EmbeddingBackend.ONNX_INT8
    return EmbeddingBackend.ONNX


def int8_recipe(weights_sha256: str | None, quantization: Quantization) -> str:
    """A short digest of everything that makes the model's int8 weights (the config, the fp32
    layers, the outlier channels, the smoothing): new fitted data means new files and new
    vectors."""
    model = int8_model(weights_sha256) if weights_sha256 else None
    recipe = {"config": int8_data()["configs"][quantization.value],
              "fp32_layers": (model or {}).get("fp32_layers", {}).get(quantization.value),
              "smoothing": (model or {}).get("smoothing")}
    outliers = (model or {}).get("outlier_channels", {}).get(quantization.value)
    if outliers:  # absent from older recipes, whose digests stay as they were
        recipe["outlier_channels"] = outliers
    if recipe["smoothing"] is not None:
        recipe["graph"] = INT8_GRAPH
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:8]


def backend_key(backend: EmbeddingBackend, quantization: Quantization | None,
                weights_sha256: str | None = None) -> str:
    """The backend and its config as one word, e.g. ``onnx-int8-1a2b3c4d`` (the digest of the
    model's int8 recipe). CPUs whose configs make the same int8 weights share the name, so an
    index moved between them is not embedded again."""
    if backend == EmbeddingBackend.ONNX_INT8:
        if quantization is None:
            raise ValueError("onnx-int8 needs a quantization config")
        return f"{backend.value}-{int8_recipe(weights_sha256, quantization)}"
    return backend.value


def embedder_name(model_name: str, backend: EmbeddingBackend, quantization: Quantization | None,
                  weights_sha256: str | None = None) -> str:
    """What the index records as its embedder: the model and how it was run, so vectors of
    another backend or config are never mixed into it."""
    return f"{model_name}+{backend_key(backend, quantization, weights_sha256)}"
