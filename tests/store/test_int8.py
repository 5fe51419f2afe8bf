"""Making the int8 model from the real fp32 export: smoothing and taking outlier channels out
change nothing in fp32, the layers to keep stay fp32, the rest become integer products (beside
a small fp32 one for their outlier channels), and the result is recorded."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from assistant.store.backend import EmbeddingBackend, Quantization
from assistant.store.embedding import ModelError, file_sha256
from assistant.store.int8 import (
    activation_maxima,
    layer_names,
    quantize,
    smooth,
    split_outliers,
    weight_layers,
)
from assistant.store.onnx_embedder import OnnxEmbedder
from assistant.store.onnx_model import ONNX_FILE, TOKENIZER_FILE, OnnxModelSource
from tests.support import MODEL_CACHE

TEXTS = ["North Korea has officially denied sending troops to Russia.",
         "Thank you very much.",
         "South Korea's spy agency said 1,500 special forces troops were sent to Vladivostok, "
         "where they were being trained before being deployed to the front."]


@pytest.fixture(scope="module")
def fp32():
    return OnnxModelSource(None, MODEL_CACHE, EmbeddingBackend.ONNX)()


def embed(folder, record, texts=TEXTS):
    return OnnxEmbedder(lambda: (folder, record), "test").embed(texts)


def same_vectors(model, fp32, folder) -> bool:
    """Whether the edited fp32 ``model``, saved into ``folder``, embeds as the export does."""
    export, record = fp32
    (folder / TOKENIZER_FILE).write_bytes((export / TOKENIZER_FILE).read_bytes())
    onnx.save(model, str(folder / ONNX_FILE))
    return (embed(folder, record) * embed(export, record)).sum(axis=1).min() > 0.99999


def divisions(model) -> list[str]:
    return [node.name for node in model.graph.node
            if node.op_type == "Mul" and node.name.endswith("/smooth")]


def test_smoothing_leaves_the_fp32_model_unchanged(fp32, tmp_path):
    folder, record = fp32
    maxima = activation_maxima(folder, record, TEXTS)
    assert set(maxima) == set(layer_names(folder / ONNX_FILE)) and len(maxima) == 36
    model = onnx.load(str(folder / ONNX_FILE))
    smooth(model, maxima, 0.5, sorted(maxima))
    # Per block: one division shared by query, key and value (which read one tensor), and
    # one for each of the other three layers.
    assert len(divisions(model)) == 6 * 4
    assert sum("/attention/self/" in name for name in divisions(model)) == 6
    onnx.checker.check_model(model)
    assert same_vectors(model, fp32, tmp_path)


def test_smoothing_a_split_layer_scales_its_inlier_mask(fp32, tmp_path):
    folder, record = fp32
    layer = "encoder/layer.1/output/dense"
    maxima = activation_maxima(folder, record, TEXTS)
    model = onnx.load(str(folder / ONNX_FILE))
    name = weight_layers(model.graph)[layer].name
    split_outliers(model, layer, [607])
    smooth(model, maxima, 0.5, [layer])
    assert divisions(model) == []
    mask = numpy_helper.to_array({t.name: t for t in model.graph.initializer}
                                 [f"{name}/inlier_mask"])
    assert mask[607] == 0 and len(np.unique(mask)) > 2  # zero there, a divisor elsewhere
    assert same_vectors(model, fp32, tmp_path)


def test_kept_layers_stay_fp32_and_the_rest_become_integer_products(fp32, tmp_path):
    folder, record = fp32
    keep = ["encoder/layer.0/output/dense", "encoder/layer.3/intermediate/dense"]
    int8 = quantize(folder, record, Quantization.AVX512_VNNI, tmp_path, keep, outliers={})
    assert int8.fp32_layers == sorted(keep) and int8.quantization == "avx512_vnni"
    assert int8.outlier_channels == {}
    assert int8.onnx_sha256 == file_sha256(tmp_path / ONNX_FILE)
    assert not (tmp_path / "smoothed.onnx").exists()
    graph = onnx.load(str(tmp_path / ONNX_FILE)).graph
    assert sorted(weight_layers(graph)) == sorted(keep)  # fp32 MatMuls on weights: these only
    assert sum(node.op_type == "MatMulInteger" for node in graph.node) == 36 - len(keep)
    # Not the measured layers, so further from fp32 than the product's model, but close.
    cosines = (embed(tmp_path, int8) * embed(folder, record)).sum(axis=1)
    assert cosines.min() > 0.9
    with pytest.raises(ModelError, match="has no layer encoder/layer.9/output/dense"):
        quantize(folder, record, Quantization.AVX512_VNNI, tmp_path,
                 ["encoder/layer.9/output/dense"])
    assert np.isfinite(embed(tmp_path, int8)).all()


def test_taking_outlier_channels_out_leaves_the_fp32_model_unchanged(fp32, tmp_path):
    folder, record = fp32
    model = onnx.load(str(folder / ONNX_FILE))
    split_outliers(model, "encoder/layer.0/output/dense", [5, 700])
    split_outliers(model, "encoder/layer.2/attention/self/query", [0])
    onnx.checker.check_model(model)
    assert same_vectors(model, fp32, tmp_path)


def test_outlier_channels_get_an_fp32_product_beside_the_int8_one(fp32, tmp_path):
    folder, record = fp32
    layer = "encoder/layer.0/output/dense"
    maxima = activation_maxima(folder, record, TEXTS)[layer]
    largest = sorted(int(i) for i in np.argsort(-maxima)[:2])
    int8 = quantize(folder, record, Quantization.AVX512_VNNI, tmp_path, [],
                    outliers={layer: largest})
    assert int8.fp32_layers == [] and int8.outlier_channels == {layer: largest}
    graph = onnx.load(str(tmp_path / ONNX_FILE)).graph
    assert sum(node.op_type == "MatMulInteger" for node in graph.node) == 36
    fp32_products = [node for node in graph.node if node.op_type == "MatMul"
                     and node.input[1] in {t.name for t in graph.initializer}]
    assert len(fp32_products) == 1
    assert fp32_products[0].name.endswith(f"/{layer}/MatMul/outlier_matmul")
    weight = {t.name: t for t in graph.initializer}[fp32_products[0].input[1]]
    assert list(weight.dims) == [2, 384]  # two input channels, not the layer's 1,536
    outlier_free = tmp_path / "whole"
    outlier_free.mkdir()
    whole = quantize(folder, record, Quantization.AVX512_VNNI, outlier_free, [], outliers={})
    reference = embed(folder, record)
    closer = (embed(tmp_path, int8) * reference).sum(axis=1)
    further = (embed(outlier_free, whole) * reference).sum(axis=1)
    assert closer.mean() > further.mean()
    with pytest.raises(ModelError, match="no int8 layer encoder/layer.0/output/dense"):
        quantize(folder, record, Quantization.AVX512_VNNI, tmp_path / "x", [layer],
                 outliers={layer: largest})
