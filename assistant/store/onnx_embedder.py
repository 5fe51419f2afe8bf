"""The embedding model on ONNX Runtime, without torch or sentence-transformers.

Tokenize with the model's own fast tokenizer (truncated at its maximum sequence length), run
the exported transformer, pool the token states the attention mask keeps, L2-normalise: what
sentence-transformers computes, in the two light packages ``onnxruntime`` and ``tokenizers``,
so a process that only asks questions starts in a fraction of the time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.store.onnx_model import ONNX_FILE, TOKENIZER_FILE, OnnxModelRecord

# The most padded tokens a batch may carry: texts are sorted by length, so each batch holds
# texts of about one length, and a batch of long texts is cut smaller to keep memory flat.
BATCH_TOKENS = 8192


class OnnxEmbedder:
    """An exported sentence-transformers model run by ONNX Runtime on the CPU."""

    def __init__(self, prepare: Callable[[], tuple[Path, OnnxModelRecord]], name: str,
                 batch_size: int = 32, threads: int | None = None) -> None:
        """``prepare`` returns the verified model folder, exporting it on first use. The pool
        threads sleep between operators rather than spin: a spinning thread takes a core from
        the work beside it (the NLP worker at ingest, other conversations on the page)."""
        self.prepare = prepare
        self.name = name
        self.batch_size = batch_size
        self.threads = threads or usable_cores()
        self.record: OnnxModelRecord | None = None
        self._session = None
        self._tokenizer = None

    def warm_up(self) -> None:
        """Find (or export) and check the model files, then load them."""
        if self._session is not None:
            return
        import onnxruntime
        from tokenizers import Tokenizer

        folder, record = self.prepare()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        tokenizer.enable_truncation(record.max_seq_length)
        tokenizer.no_padding()
        self._session = onnxruntime.InferenceSession(
            str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer
        self.record = record

    def embed(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64,
                              count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        vectors = np.empty((len(texts), self.record.dimensions), dtype=np.float32)
        start = 0
        while start < len(order):
            end = min(start + self.batch_size, len(order))
            width = max(int(lengths[order[end - 1]]), 1)  # the longest: lengths are sorted
            end = min(end, start + max(1, BATCH_TOKENS // width))
            rows = order[start:end]
            vectors[rows] = self._embed_batch([encodings[i] for i in rows],
                                              int(lengths[rows].max()))
            start = end
        return vectors

    def _embed_batch(self, encodings: list, width: int) -> np.ndarray:
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            length = len(encoding.ids)
            ids[row, :length] = encoding.ids
            mask[row, :length] = 1
            types[row, :length] = encoding.type_ids
        given = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        states = self._session.run(None, {n: given[n] for n in self.record.inputs})[0]
        return normalised(pooled(states, mask, self.record.pooling))


def usable_cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def pooled(states: np.ndarray, mask: np.ndarray, pooling: str) -> np.ndarray:
    """One vector per text from its token states, over the tokens the mask keeps."""
    if pooling == "cls":
        return states[:, 0]
    keep = mask[:, :, None].astype(states.dtype)
    if pooling == "max":
        return np.where(keep > 0, states, -np.inf).max(axis=1)
    return (states * keep).sum(axis=1) / np.maximum(keep.sum(axis=1), 1e-9)


def normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
