"""int8 weights for the embedding model: smoothed, then dynamically quantized.

Dynamic quantization scales each activation tensor as a whole, and a few channels of this
model's activations are ten to fifteen times larger than the rest, so most values would get a
handful of levels. Smoothing (SmoothQuant) divides each input channel by a factor and multiplies
the matching weight row by it, which leaves the fp32 result unchanged and moves the range from
the activations into the weights, where per-channel scales absorb it. The factors come from the
largest activation of each channel on the Wikinews dev split, recorded with the layers that stay
fp32 in ``int8.json`` by ``training/choose_int8_layers.py``.

In the first layers' feed-forward output, a few input channels peak at about ten times the
median channel, and smoothing alone leaves those layers too far from fp32. Such a layer keeps
just those channels in a small fp32 product beside its int8 one (as LLM.int8() does): from one
to 64 of its 1,536 input rows. The same script chooses the channels, and keeps a layer whole
in fp32 when no small set is enough.

Only making the int8 file imports ``onnx``; running it needs ``onnxruntime`` alone.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from assistant.store.backend import (
    EmbeddingBackend,
    Quantization,
    int8_data,
    int8_model,
    int8_outlier_channels,
)
from assistant.store.embedding import ModelError, file_sha256
from assistant.store.onnx_model import ONNX_FILE, TOKENIZER_FILE, OnnxModelRecord

Smoothing = dict[str, np.ndarray]  # layer path: the largest |activation| of each input channel


def weight_layers(graph: Any) -> dict[str, Any]:
    """The MatMul nodes that multiply by a weight matrix, by their module path (e.g.
    ``encoder/layer.0/output/dense``)."""
    weights = {tensor.name for tensor in graph.initializer}
    layers: dict[str, Any] = {}
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights:
            path = node.name.strip("/").split("/", 1)[-1].removesuffix("/MatMul")
            if path in layers:
                raise ModelError(f"the exported graph has two weight layers named {path}")
            layers[path] = node
    return layers


def layer_names(onnx_file: Path) -> list[str]:
    import onnx

    return sorted(weight_layers(onnx.load(str(onnx_file), load_external_data=False).graph))


def smooth(model: Any, maxima: Smoothing, alpha: float, layers: list[str]) -> None:
    """Smooth ``layers`` of ``model`` in place: x·W = (x / s)·(s·W) with
    s = max|x|^alpha / max|W row|^(1 - alpha) per input channel.

    Layers that read one tensor (a block's query, key and value) share one ``s``: the tensor
    is divided once, and the quantizer then quantizes it once for all three products, which
    makes the int8 model about 8 % faster. Where the tensor is the product of a per-channel
    constant (the inlier mask of a layer whose outlier channels were taken out), the division
    is folded into that constant; everywhere else one Mul divides the tensor."""
    from onnx import helper, numpy_helper

    graph = model.graph
    nodes = weight_layers(graph)
    weights = {tensor.name: tensor for tensor in graph.initializer}
    readers: dict[str, list[str]] = {}
    for layer in layers:
        readers.setdefault(nodes[layer].input[0], []).append(layer)
    for source, group in readers.items():
        peak = np.max([np.asarray(maxima[layer], dtype=np.float64) for layer in group], axis=0)
        matrices = {layer: numpy_helper.to_array(weights[nodes[layer].input[1]])
                    for layer in group}
        rows = np.max([np.abs(w).max(axis=1) for w in matrices.values()], axis=0)
        factor = np.clip(np.maximum(peak, 1e-5) ** alpha
                         / np.maximum(rows.astype(np.float64), 1e-5) ** (1 - alpha), 1e-3, 1e3)
        for layer, weight in matrices.items():
            scale_initializer(weights, nodes[layer].input[1], weight * factor[:, None])
        divisor = (1 / factor).astype(np.float32)
        if fold_into_mask(graph, weights, source, divisor, [nodes[x] for x in group]):
            continue
        first = nodes[group[0]]
        name = f"{first.name}/smoothing"
        graph.initializer.append(numpy_helper.from_array(divisor, name=name))
        smoothed = f"{first.name}/smoothed_input"
        position = min(list(graph.node).index(nodes[layer]) for layer in group)
        graph.node.insert(position, helper.make_node(
            "Mul", [source, name], [smoothed], name=f"{first.name}/smooth"))
        for layer in group:
            nodes[layer].input[0] = smoothed


def scale_initializer(weights: dict[str, Any], name: str, values: np.ndarray) -> None:
    from onnx import numpy_helper

    weights[name].CopyFrom(numpy_helper.from_array(values.astype(np.float32), name=name))


def fold_into_mask(graph: Any, weights: dict[str, Any], source: str, divisor: np.ndarray,
                   readers: list[Any]) -> bool:
    """``source`` = x · c with c a per-channel constant (the inlier mask of
    ``split_outliers``), read by ``readers`` only: scale c instead of dividing ``source``."""
    from onnx import numpy_helper

    made_by = next((node for node in graph.node if source in node.output), None)
    if made_by is None or made_by.op_type != "Mul":
        return False
    constants = [name for name in made_by.input if name in weights]
    if len(constants) != 1 or list(weights[constants[0]].dims) != list(divisor.shape):
        return False
    for node in graph.node:  # nothing but ``readers`` may see the scaled values
        if (source in node.input and node not in readers) or (
                constants[0] in node.input and node is not made_by):
            return False
    scale_initializer(weights, constants[0],
                      numpy_helper.to_array(weights[constants[0]]) * divisor)
    return True


def split_outliers(model: Any, layer: str, channels: list[int]) -> None:
    """Take ``channels`` of ``layer``'s input out of its int8 product, in place:
    x·W = x[:, c]·W[c] + (x with c zeroed)·W. The few channels whose activations dwarf the
    rest keep their own small fp32 product, so the int8 one scales the others finely."""
    from onnx import helper, numpy_helper

    node = weight_layers(model.graph)[layer]
    weights = {tensor.name: tensor for tensor in model.graph.initializer}
    weight = numpy_helper.to_array(weights[node.input[1]])
    picked = np.asarray(sorted(channels), dtype=np.int64)
    mask = np.ones(weight.shape[0], dtype=np.float32)
    mask[picked] = 0
    name = node.name
    inliers = weight.copy()
    inliers[picked] = 0
    weights[node.input[1]].CopyFrom(numpy_helper.from_array(inliers, name=node.input[1]))
    model.graph.initializer.extend([
        numpy_helper.from_array(picked, name=f"{name}/outlier_channels"),
        numpy_helper.from_array(weight[picked], name=f"{name}/outlier_weight"),
        numpy_helper.from_array(mask, name=f"{name}/inlier_mask")])
    source, result = node.input[0], node.output[0]
    position = list(model.graph.node).index(node)
    before = [
        helper.make_node("Gather", [source, f"{name}/outlier_channels"], [f"{name}/outliers"],
                         name=f"{name}/gather_outliers", axis=-1),
        helper.make_node("MatMul", [f"{name}/outliers", f"{name}/outlier_weight"],
                         [f"{name}/outlier_product"], name=f"{name}/outlier_matmul"),
        helper.make_node("Mul", [source, f"{name}/inlier_mask"], [f"{name}/inliers"],
                         name=f"{name}/mask_outliers")]
    for offset, extra in enumerate(before):
        model.graph.node.insert(position + offset, extra)
    node.input[0] = f"{name}/inliers"
    node.output[0] = f"{name}/inlier_product"
    model.graph.node.insert(position + len(before) + 1, helper.make_node(
        "Add", [f"{name}/inlier_product", f"{name}/outlier_product"], [result],
        name=f"{name}/add_outliers"))


def quantize(fp32_folder: Path, fp32_record: OnnxModelRecord, quantization: Quantization,
             target: Path, keep: list[str] | None = None,
             smoothing: tuple[float, Smoothing] | None = None,
             outliers: dict[str, list[int]] | None = None) -> OnnxModelRecord:
    """Write the int8 model into ``target``: take ``outliers`` (channels by layer) out of the
    int8 products, smooth the layers to quantize, then quantize them with ``quantization``'s
    config, keeping ``keep`` in fp32. All three default to what ``int8.json`` records for this
    model; a model it does not know is quantized whole."""
    import onnx
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    config = int8_data()["configs"][quantization.value]
    recorded = int8_model(fp32_record.weights_sha256) or {}
    if keep is None:
        keep = recorded.get("fp32_layers", {}).get(quantization.value, [])
    if outliers is None:
        outliers = int8_outlier_channels(fp32_record.weights_sha256, quantization)
    if smoothing is None and "smoothing" in recorded:
        smoothing = (recorded["smoothing"]["alpha"],
                     {layer: np.asarray(values, dtype=np.float32)
                      for layer, values in recorded["smoothing"]["activation_max"].items()})
    model = onnx.load(str(fp32_folder / ONNX_FILE))
    layers = weight_layers(model.graph)
    unknown = sorted(set(keep) - set(layers))
    if unknown:
        raise ModelError(f"the export in {fp32_folder} has no layer {unknown[0]} to keep in "
                         "fp32; set ASSISTANT_EMBEDDING_BACKEND=onnx")
    quantized = [layer for layer in layers if layer not in keep]
    unknown = sorted(set(outliers) - set(quantized))
    if unknown:
        raise ModelError(f"the export in {fp32_folder} has no int8 layer {unknown[0]} to take "
                         "outlier channels from; set ASSISTANT_EMBEDDING_BACKEND=onnx")
    for layer, channels in outliers.items():
        split_outliers(model, layer, channels)
    if smoothing is not None:
        smooth(model, smoothing[1], smoothing[0], quantized)
    smoothed_file = target / "smoothed.onnx"
    onnx.save(model, str(smoothed_file))
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs advice meant for image models
    try:
        quantize_dynamic(
            str(smoothed_file), str(target / ONNX_FILE),
            op_types_to_quantize=["MatMul"], per_channel=config["per_channel"],
            reduce_range=config["reduce_range"], weight_type=QuantType[config["weight_type"]],
            nodes_to_quantize=[layers[layer].name for layer in quantized],
            extra_options={"WeightSymmetric": config["weight_symmetric"],
                           "ActivationSymmetric": False, "MatMulConstBOnly": True})
    finally:
        root.setLevel(level)
        smoothed_file.unlink(missing_ok=True)
    shutil.copy(fp32_folder / TOKENIZER_FILE, target / TOKENIZER_FILE)
    record = OnnxModelRecord(
        **{**asdict(fp32_record), "backend": EmbeddingBackend.ONNX_INT8.value,
           "quantization": quantization.value, "onnx_sha256": file_sha256(target / ONNX_FILE),
           "fp32_layers": sorted(keep),
           "outlier_channels": {layer: sorted(c) for layer, c in sorted(outliers.items())},
           "versions": {**fp32_record.versions, "onnx": onnx.__version__,
                        "onnxruntime": onnxruntime.__version__}})
    record.write(target)
    return record


def activation_maxima(folder: Path, record: OnnxModelRecord, texts: list[str],
                      batch_size: int = 32) -> Smoothing:
    """The largest |activation| of each input channel of every weight layer over ``texts``
    (padding left out): what smoothing divides by."""
    import onnx
    import onnxruntime
    from onnx import helper
    from tokenizers import Tokenizer

    model = onnx.load(str(folder / ONNX_FILE))
    layers = weight_layers(model.graph)
    inputs = {node.input[0] for node in layers.values()}
    for name in sorted(inputs):
        model.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT,
                                                                None))
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    outputs = [output.name for output in session.get_outputs()]
    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    tokenizer.enable_truncation(record.max_seq_length)
    tokenizer.enable_padding()
    peaks: dict[str, np.ndarray] = {}
    for start in range(0, len(texts), batch_size):
        encodings = tokenizer.encode_batch(texts[start:start + batch_size])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        values = session.run(None, {n: feed[n] for n in record.inputs})
        for name, value in zip(outputs, values, strict=True):
            if name in inputs:
                peak = np.abs(value[mask.astype(bool)]).max(axis=0)
                peaks[name] = np.maximum(peaks[name], peak) if name in peaks else peak
    return {layer: peaks[node.input[0]] for layer, node in layers.items()}
