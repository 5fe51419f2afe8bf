"""The ONNX files of the embedding model: exported once from the verified weights, then checked
on every load.

On first use the model is exported to ONNX (fp32) from its verified weights, and for
``onnx-int8`` quantized from that export with the config that fits the CPU. Each result lives in
its own folder under the model cache, named by the weights' sha256, the backend and the config,
so nothing is downloaded and a different model or config never reuses a file. A folder is built
in a temporary folder and renamed into place only when complete, under a lock, so a killed run
or two processes starting at once never leave a half-written model. ``embedding.json`` in the
folder records the sha256 of the ONNX file and the tokenizer; both are checked before loading.

Only exporting imports torch and transformers; finding and checking an exported folder needs
neither, so a process that embeds with ONNX Runtime starts without them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.store.backend import EmbeddingBackend, Quantization, backend_key
from assistant.store.embedding import (
    DEFAULT_MODEL_SHA256,
    ModelError,
    file_sha256,
    model_dir_for,
)

RECORD = "embedding.json"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
RECORD_VERSION = 1
OPSET = 17
# Sentences of varied length that every fresh export is checked on against the original model.
# The least cosine an int8 vector of CHECK_TEXTS may have to its fp32 vector when the int8
# model is made (the fitted layers keep every Wikinews dev sentence above it).
INT8_MIN_COSINE = 0.98
CHECK_TEXTS = (
    "North Korea denied sending troops.",
    "Seoul's spy agency said 1,500 special forces were sent to Vladivostok for training.",
    "Thank you very much.",
    "The U.S. ambassador, Robert Wood, told the Security Council on Monday that the reports, "
    "if true, would mark a dangerous escalation of the war in Ukraine and of its consequences "
    "for the Korean peninsula.",
)


@dataclass(frozen=True)
class OnnxModelRecord:
    """What an exported folder holds and how it was made; written last, read before loading."""

    weights_sha256: str
    backend: str
    quantization: str | None
    onnx_sha256: str
    tokenizer_sha256: str
    max_seq_length: int
    pooling: str  # mean, cls or max over the tokens the attention mask keeps
    dimensions: int
    inputs: list[str]
    fp32_layers: list[str] = field(default_factory=list)
    outlier_channels: dict[str, list[int]] = field(default_factory=dict)  # fp32 beside int8
    versions: dict[str, str] = field(default_factory=dict)
    version: int = RECORD_VERSION

    @classmethod
    def read(cls, folder: Path) -> OnnxModelRecord:
        try:
            return cls(**json.loads((folder / RECORD).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as error:
            raise ModelError(f"{folder / RECORD} is unreadable ({error}); delete {folder} and "
                             "run again to export the model anew") from error

    def write(self, folder: Path) -> None:
        (folder / RECORD).write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")


@dataclass(frozen=True)
class OnnxModelSource:
    """Where the ONNX files of one model, backend and config are, and how to make them."""

    model_path: Path | None  # None: the packaged all-MiniLM-L6-v2
    cache_dir: Path
    backend: EmbeddingBackend
    quantization: Quantization | None = None

    def __post_init__(self) -> None:
        if self.backend == EmbeddingBackend.TORCH:
            raise ValueError("the torch backend has no ONNX files")
        backend_key(self.backend, self.quantization)  # int8 without a config is refused here

    def weights_sha256(self) -> str:
        """Known for the packaged model; hashed from the weights file for another model."""
        if self.model_path is None:
            return DEFAULT_MODEL_SHA256
        return file_sha256(weights_file(model_dir_for(self.model_path, self.cache_dir)))

    def folder(self, weights_sha256: str | None = None) -> Path:
        sha = weights_sha256 or self.weights_sha256()
        key = backend_key(self.backend, self.quantization, sha)
        return self.cache_dir / "onnx" / f"{sha[:16]}-{key}-v{RECORD_VERSION}"

    def __call__(self) -> tuple[Path, OnnxModelRecord]:
        """The verified folder and its record, exported first if it is not there yet."""
        sha = self.weights_sha256()
        folder = self.folder(sha)
        if not (folder / RECORD).is_file():
            self._export(sha, folder)
        return folder, verified_record(folder, sha)

    def _export(self, sha: str, folder: Path) -> None:
        from filelock import FileLock

        folder.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder.parent / f".{folder.name}.lock")):
            if (folder / RECORD).is_file():
                return  # another process made it while this one waited
            model_dir = model_dir_for(self.model_path, self.cache_dir)  # verifies the weights
            staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
            try:
                if self.backend == EmbeddingBackend.ONNX:
                    export_fp32(model_dir, sha, staging)
                else:
                    from assistant.store.int8 import quantize

                    fp32_folder, fp32_record = OnnxModelSource(
                        self.model_path, self.cache_dir, EmbeddingBackend.ONNX)()
                    record = quantize(fp32_folder, fp32_record, self.quantization, staging)
                    check_int8(fp32_folder, fp32_record, staging, record)
                staging.rename(folder)
            finally:
                shutil.rmtree(staging, ignore_errors=True)


def check_int8(fp32_folder: Path, fp32_record: OnnxModelRecord, int8_folder: Path,
               int8_record: OnnxModelRecord) -> None:
    """Refuse an int8 model whose vectors of ``CHECK_TEXTS`` stray from fp32's (another
    quantizer version, or a model quantized without its fitted layers, can do that)."""
    from assistant.store.onnx_embedder import OnnxEmbedder

    texts = list(CHECK_TEXTS)
    fp32 = OnnxEmbedder(lambda: (fp32_folder, fp32_record), "fp32").embed(texts)
    int8 = OnnxEmbedder(lambda: (int8_folder, int8_record), "int8").embed(texts)
    worst = float((fp32 * int8).sum(axis=1).min())
    if worst < INT8_MIN_COSINE:
        raise ModelError(f"the int8 model's vectors stray from fp32 (cosine {worst:.3f} < "
                         f"{INT8_MIN_COSINE}); set ASSISTANT_EMBEDDING_BACKEND=onnx")


def verified_record(folder: Path, weights_sha256: str) -> OnnxModelRecord:
    """The folder's record, after checking that its files are the ones it records."""
    record = OnnxModelRecord.read(folder)
    again = f"delete {folder} and run again to export the model anew"
    if record.version != RECORD_VERSION or record.weights_sha256 != weights_sha256:
        raise ModelError(f"{folder} was exported from other weights or by another version; "
                         f"{again}")
    for name, expected in ((ONNX_FILE, record.onnx_sha256),
                           (TOKENIZER_FILE, record.tokenizer_sha256)):
        path = folder / name
        actual = file_sha256(path) if path.is_file() else "missing"
        if actual != expected:
            raise ModelError(f"{path} has sha256 {actual[:12]}…, expected {expected[:12]}…; "
                             f"{again}")
    return record


def weights_file(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            return model_dir / name
    raise ModelError(f"{model_dir} holds no model.safetensors or pytorch_model.bin")


def sentence_transformer_layout(model_dir: Path) -> tuple[int, str]:
    """The maximum sequence length and pooling mode of a sentence-transformers folder: a
    transformer at the folder's top, a pooling module, optionally normalisation."""
    modules_file = model_dir / "modules.json"
    modules = json.loads(modules_file.read_text(encoding="utf-8")) if \
        modules_file.is_file() else []
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or modules[0]["path"] not in ("", ".") or \
            set(kinds[2:]) - {"Normalize"}:
        raise ModelError(f"{model_dir} is not a transformer with pooling; the onnx backends "
                         "cannot run it, set ASSISTANT_EMBEDDING_BACKEND=torch")
    pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text())
    modes = [m for m in ("mean_tokens", "cls_token", "max_tokens")
             if pooling.get(f"pooling_mode_{m}")]
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and
              k.removeprefix("pooling_mode_") not in ("mean_tokens", "cls_token", "max_tokens")]
    if len(modes) != 1 or others:
        raise ModelError(f"{model_dir} pools tokens in a way the onnx backends do not; set "
                         "ASSISTANT_EMBEDDING_BACKEND=torch")
    config_file = model_dir / "sentence_bert_config.json"
    config = json.loads(config_file.read_text()) if config_file.is_file() else {}
    model_config = json.loads((model_dir / "config.json").read_text())
    max_length = int(config.get("max_seq_length") or
                     model_config.get("max_position_embeddings", 512))
    return max_length, modes[0].split("_")[0]


def export_fp32(model_dir: Path, weights_sha256: str, target: Path) -> OnnxModelRecord:
    """Export the transformer to ``target/model.onnx`` (token states out; pooling stays in
    NumPy), check it against the original on ``CHECK_TEXTS`` and write its record."""
    import inspect
    import logging
    import os
    import warnings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    import onnxruntime
    import torch
    import transformers
    from transformers import AutoModel, AutoTokenizer

    max_length, pooling = sentence_transformer_layout(model_dir)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager",
                                      local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"{model_dir} has no fast tokenizer; set "
                         "ASSISTANT_EMBEDDING_BACKEND=torch")
    tokenizer.backend_tokenizer.save(str(target / TOKENIZER_FILE))
    accepted = inspect.signature(model.forward).parameters
    inputs = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in accepted]
    batch = tokenizer(list(CHECK_TEXTS), padding=True, truncation=True,
                      max_length=max_length, return_tensors="pt")
    arguments = tuple(batch[n] if n in batch else torch.zeros_like(batch["input_ids"])
                      for n in inputs)

    class TokenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            return self.model(**dict(zip(inputs, tensors, strict=True))).last_hidden_state

    axes = {"batch": 0, "sequence": 1}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        expected = TokenStates()(*arguments).numpy()
        torch.onnx.export(TokenStates(), arguments, str(target / ONNX_FILE),
                          input_names=inputs, output_names=["token_states"],
                          dynamic_axes={n: {v: k for k, v in axes.items()}
                                        for n in [*inputs, "token_states"]},
                          opset_version=OPSET, dynamo=False, do_constant_folding=True)
    session = onnxruntime.InferenceSession(str(target / ONNX_FILE),
                                           providers=["CPUExecutionProvider"])
    feed = {n: a.numpy() for n, a in zip(inputs, arguments, strict=True)}
    got = session.run(None, feed)[0]
    mask = batch["attention_mask"].numpy().astype(bool)
    if not np.allclose(got[mask], expected[mask], atol=1e-3):
        raise ModelError(f"the ONNX export of {model_dir} does not match the model; set "
                         "ASSISTANT_EMBEDDING_BACKEND=torch")
    record = OnnxModelRecord(
        weights_sha256=weights_sha256, backend=EmbeddingBackend.ONNX.value, quantization=None,
        onnx_sha256=file_sha256(target / ONNX_FILE),
        tokenizer_sha256=file_sha256(target / TOKENIZER_FILE), max_seq_length=max_length,
        pooling=pooling, dimensions=int(expected.shape[-1]), inputs=inputs,
        versions={"torch": torch.__version__, "transformers": transformers.__version__,
                  "onnxruntime": onnxruntime.__version__})
    record.write(target)
    return record
