"""Fit the int8 embedding model: the smoothing of its activations, the layers kept fp32, and
the outlier channels kept fp32 beside a layer's int8 product.

On the sentences of the Wikinews dev split (the test split is never read): the largest
activation of each input channel of each weight layer, which smoothing divides by (see
``assistant/store/int8.py``); then, for each int8 config, how far the vectors move when each
smoothed weight layer alone is quantized, and the most sensitive layers kept in fp32, most
sensitive first, until every dev sentence's int8 vector is within ``--target`` cosine of its
fp32 vector. Then each kept layer, least sensitive first, is tried as int8 with only its
outlier input channels (the largest activations) in fp32: the fewest of ``OUTLIER_CHANNELS``
that keep every dev sentence within the target. Configs with the same arithmetic (avx512_vnni
and arm64 both multiply u8 activations by s8 weights exactly) share one measurement. It also
times fp32 and int8 on this CPU's config and records whether int8 is faster there.

Seeded; about a quarter of an hour on two cores, and about five minutes more for the outlier
channels (``--outliers-only`` keeps the recorded smoothing, layer ranking and fp32 layers, and
fits the outlier channels afresh).
Updates ``assistant/store/int8.json`` and prints a JSON summary.
Usage: ``python training/choose_int8_layers.py [--target 0.985] [--outliers-only]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from assistant.ingest.chunking import article_sentences  # noqa: E402
from assistant.ingest.loaders import load_file  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store.backend import (  # noqa: E402
    INT8_DATA,
    EmbeddingBackend,
    Quantization,
    cpu_quantization,
    embedder_name,
)
from assistant.store.embedding import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256  # noqa: E402
from assistant.store.int8 import activation_maxima, layer_names, quantize  # noqa: E402
from assistant.store.onnx_embedder import OnnxEmbedder  # noqa: E402
from assistant.store.onnx_model import ONNX_FILE, OnnxModelSource, verified_record  # noqa: E402
from assistant.text.tokens import tiktoken_counter  # noqa: E402

WIKINEWS = ROOT / "evals" / "corpora" / "wikinews"
SEED = 13
ALPHA = 0.5  # SmoothQuant's migration strength: the range split evenly between x and W
OUTLIER_CHANNELS = (1, 2, 4, 8, 16, 32, 64)  # the channel counts tried, fewest first


def dev_sentences(chunk_size: int) -> tuple[list[str], int]:
    """Every prose sentence of the dev split's articles, as ingest cuts them."""
    splits = json.loads((WIKINEWS / "splits.json").read_text(encoding="utf-8"))
    count = tiktoken_counter()
    texts: list[str] = []
    for name in splits["dev"]:
        path = WIKINEWS / "articles" / f"{name}.md"
        for article in load_file(path, path.parent, 10**7).articles:
            texts.extend(article.text[s.start:s.end]
                         for s in article_sentences(article, count, chunk_size))
    return texts, len(splits["dev"])


def embedder_of(folder: Path, name: str) -> OnnxEmbedder:
    """The model as ingest runs it, in batches of the same size: dynamic quantization scales
    each batch as a whole, so a sentence's int8 vector depends on the batch it is in."""
    record = verified_record(folder, DEFAULT_MODEL_SHA256)
    return OnnxEmbedder(lambda: (folder, record), name, Settings().embedding_batch_size)


def cosines(vectors: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return (vectors * reference).sum(axis=1)


class Quantizer:
    """Quantizes the fp32 export into scratch folders and embeds texts with the result."""

    def __init__(self, fp32_folder: Path, scratch: Path, smoothing) -> None:
        self.fp32_folder = fp32_folder
        self.record = verified_record(fp32_folder, DEFAULT_MODEL_SHA256)
        self.scratch = scratch
        self.smoothing = smoothing
        self.runs = 0

    def vectors(self, quantization: Quantization, keep: list[str], texts: list[str],
                outliers: dict[str, list[int]] | None = None) -> np.ndarray:
        self.runs += 1
        target = self.scratch / f"q{self.runs}"
        target.mkdir()
        try:
            quantize(self.fp32_folder, self.record, quantization, target, keep, self.smoothing,
                     outliers or {})
            return embedder_of(target, "int8").embed(texts)
        finally:
            shutil.rmtree(target, ignore_errors=True)


def choose(quantizer: Quantizer, quantization: Quantization, layers: list[str],
           texts: list[str], reference: np.ndarray, target: float, sample: int,
           rng: random.Random) -> dict:
    """The fp32 layers for one config, and what they were measured to give."""
    everything = cosines(quantizer.vectors(quantization, [], texts), reference)
    hardest = list(np.argsort(everything)[:sample // 2])
    rows = sorted(set(hardest) | set(rng.sample(range(len(texts)), sample // 2)))
    probe = [texts[i] for i in rows]
    sensitivity = {}
    for layer in layers:
        alone = cosines(quantizer.vectors(quantization, [x for x in layers if x != layer],
                                          probe), reference[rows])
        sensitivity[layer] = float((1 - alone).mean())
        print(json.dumps({"config": quantization.value, "layer": layer,
                          "mean_cosine_loss": round(sensitivity[layer], 7)}), file=sys.stderr)
    ranked = sorted(layers, key=sensitivity.__getitem__, reverse=True)
    keep: list[str] = []
    for layer in ranked:
        probe_min = cosines(quantizer.vectors(quantization, keep, probe), reference[rows]).min()
        if probe_min >= target:
            full = cosines(quantizer.vectors(quantization, keep, texts), reference)
            if full.min() >= target:
                return {"fp32_layers": sorted(keep), "ranked_by_sensitivity": ranked,
                        "dev_min_cosine": round(float(full.min()), 4),
                        "dev_mean_cosine": round(float(full.mean()), 4),
                        "all_int8_dev_min_cosine": round(float(everything.min()), 4),
                        "all_int8_dev_mean_cosine": round(float(everything.mean()), 4)}
        keep.append(layer)
    raise SystemExit(f"{quantization.value}: no layer set reaches {target}")


def largest_channels(maxima: np.ndarray, count: int) -> list[int]:
    return sorted(int(i) for i in np.argsort(-maxima, kind="stable")[:count])


def choose_outliers(quantizer: Quantizer, quantization: Quantization, chosen: dict,
                    texts: list[str], reference: np.ndarray, target: float, sample: int,
                    rng: random.Random) -> dict:
    """Turn ``chosen``'s fp32 layers (and any that a former fit gave outlier channels, which
    are fitted afresh), least sensitive first, into int8 ones whose largest input channels
    stay fp32: the fewest such channels that keep every dev sentence above ``target``. A
    layer that no count saves stays fp32."""
    rows = sorted(rng.sample(range(len(texts)), min(sample, len(texts))))
    probe = [texts[i] for i in rows]
    candidates = set(chosen["fp32_layers"]) | set(chosen.get("outlier_channels", {}))
    order = [x for x in reversed(chosen["ranked_by_sensitivity"]) if x in candidates]
    keep, outliers = sorted(candidates), {}
    for layer in order:
        for count in OUTLIER_CHANNELS:
            trial = {**outliers, layer: largest_channels(quantizer.smoothing[1][layer], count)}
            rest = [x for x in keep if x != layer]
            if cosines(quantizer.vectors(quantization, rest, probe, trial),
                       reference[rows]).min() < target:
                continue
            cosine = cosines(quantizer.vectors(quantization, rest, texts, trial), reference)
            print(json.dumps({"config": quantization.value, "layer": layer, "channels": count,
                              "dev_min_cosine": round(float(cosine.min()), 4)}),
                  file=sys.stderr)
            if cosine.min() >= target:
                keep, outliers = rest, trial
                break
    final = cosines(quantizer.vectors(quantization, keep, texts, outliers), reference)
    return dict(chosen, fp32_layers=sorted(keep), outlier_channels=outliers,
                dev_min_cosine=round(float(final.min()), 4),
                dev_mean_cosine=round(float(final.mean()), 4))


def timed(embedders: list[OnnxEmbedder], texts: list[str], rounds: int) -> list[list[float]]:
    """Seconds each embedder takes for ``texts``, in alternating rounds, so a busy machine
    slows them alike."""
    for embedder in embedders:
        embedder.embed(texts[:64])
    seconds: list[list[float]] = [[] for _ in embedders]
    for _ in range(rounds):
        for embedder, own in zip(embedders, seconds, strict=True):
            started = time.perf_counter()
            embedder.embed(texts)
            own.append(time.perf_counter() - started)
    return seconds


def measure_speed(fp32_folder: Path, chosen: dict, smoothing, quantization: Quantization,
                  texts: list[str], rounds: int, scratch: Path) -> dict:
    """fp32 against int8 (as ``chosen``) on this CPU: the median of the per-round ratios,
    which a busy machine disturbs least."""
    target = scratch / "speed"
    target.mkdir()
    quantize(fp32_folder, verified_record(fp32_folder, DEFAULT_MODEL_SHA256), quantization,
             target, chosen["fp32_layers"], smoothing, chosen.get("outlier_channels", {}))
    fp32_s, int8_s = timed([embedder_of(fp32_folder, "fp32"), embedder_of(target, "int8")],
                           texts, rounds)
    ratios = sorted(f / i for f, i in zip(fp32_s, int8_s, strict=True))
    return {"cpu": platform.processor() or platform.machine(), "sentences": len(texts),
            "threads": os.cpu_count(), "rounds": rounds,
            "fp32_onnx_s_median": round(sorted(fp32_s)[rounds // 2], 2),
            "int8_onnx_s_median": round(sorted(int8_s)[rounds // 2], 2),
            "int8_speedup_median": round(ratios[rounds // 2], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.985,
                        help="smallest cosine of an int8 vector to its fp32 vector on dev")
    parser.add_argument("--sample", type=int, default=600,
                        help="dev sentences the per-layer measurement runs on")
    parser.add_argument("--speed-sentences", type=int, default=1000)
    parser.add_argument("--speed-rounds", type=int, default=7)
    parser.add_argument("--speed-only", action="store_true",
                        help="keep the recorded layers; only time fp32 and int8 on this CPU")
    parser.add_argument("--outliers-only", action="store_true",
                        help="keep the recorded smoothing and fp32 layers; fit the outlier "
                             "channels afresh and time fp32 and int8")
    parser.add_argument("--out", type=Path, default=INT8_DATA)
    args = parser.parse_args()
    rng = random.Random(SEED)
    settings = Settings()
    source = OnnxModelSource(None, settings.model_cache_dir, EmbeddingBackend.ONNX)
    fp32_folder, _ = source()
    texts, articles = dev_sentences(settings.chunk_size)
    fp32 = embedder_of(fp32_folder, embedder_name(DEFAULT_MODEL_NAME, EmbeddingBackend.ONNX,
                                                  None))
    layers = layer_names(fp32_folder / ONNX_FILE)
    data = json.loads(args.out.read_text(encoding="utf-8"))
    scratch = Path(tempfile.mkdtemp(prefix="int8-"))
    try:
        if args.speed_only or args.outliers_only:
            recorded = data["models"][DEFAULT_MODEL_SHA256]
            chosen = {name: {**recorded["measured"][name], "fp32_layers": kept,
                             "outlier_channels": recorded.get("outlier_channels", {})
                             .get(name, {})}
                      for name, kept in recorded["fp32_layers"].items()}
            smoothing = (recorded["smoothing"]["alpha"],
                         {k: np.asarray(v, dtype=np.float32)
                          for k, v in recorded["smoothing"]["activation_max"].items()})
            if args.outliers_only:
                reference = fp32.embed(texts)
                chosen = fit_outliers(Quantizer(fp32_folder, scratch, smoothing), chosen, data,
                                      texts, reference, args, rng)
        else:
            reference = fp32.embed(texts)
            maxima = activation_maxima(fp32_folder, fp32.record, texts)
            # Recorded to four digits; the model is fitted with what is recorded.
            smoothing = (ALPHA, {k: np.asarray([float(f"{x:.4g}") for x in v], np.float32)
                                 for k, v in maxima.items()})
            quantizer = Quantizer(fp32_folder, scratch, smoothing)
            chosen = {}
            by_arithmetic: dict[str, dict] = {}
            for quantization in Quantization:
                arithmetic = json.dumps(data["configs"][quantization.value], sort_keys=True)
                if arithmetic not in by_arithmetic:
                    by_arithmetic[arithmetic] = choose(quantizer, quantization, layers, texts,
                                                       reference, args.target, args.sample,
                                                       rng)
                chosen[quantization.value] = by_arithmetic[arithmetic]
            chosen = fit_outliers(quantizer, chosen, data, texts, reference, args, rng)
        here = cpu_quantization()
        speed = None
        if here is not None:
            sample = random.Random(SEED).sample(texts, min(args.speed_sentences, len(texts)))
            speed = measure_speed(fp32_folder, chosen[here.value], smoothing, here, sample,
                                  args.speed_rounds, scratch)
            data["speed"][here.value] = speed
            faster = set(data["int8_faster_on"]) - {here.value}
            if speed["int8_speedup_median"] > 1:
                faster.add(here.value)
            data["int8_faster_on"] = sorted(faster)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not args.speed_only:
        fitted = model_record(chosen, smoothing, args, articles, len(texts))
        if args.outliers_only:  # the per-layer loss was measured by an earlier full run
            fitted["data"] = data["models"][DEFAULT_MODEL_SHA256]["data"]
        data["models"][DEFAULT_MODEL_SHA256] = fitted
    args.out.write_text(compact_json(data), encoding="utf-8")
    print(json.dumps({"sentences": len(texts), "speed": speed,
                      "fp32_layers": {n: c["fp32_layers"] for n, c in chosen.items()},
                      "outlier_channels": {n: c.get("outlier_channels", {})
                                           for n, c in chosen.items()},
                      "measured": {n: {k: v for k, v in c.items()
                                       if k not in ("fp32_layers", "outlier_channels",
                                                    "ranked_by_sensitivity")}
                                   for n, c in chosen.items()}}, indent=1))


def fit_outliers(quantizer: Quantizer, chosen: dict[str, dict], data: dict, texts: list[str],
                 reference: np.ndarray, args: argparse.Namespace, rng: random.Random
                 ) -> dict[str, dict]:
    """``choose_outliers`` for each config, once per arithmetic as ``choose`` is run."""
    fitted: dict[str, dict] = {}
    by_arithmetic: dict[str, dict] = {}
    for quantization in Quantization:
        arithmetic = json.dumps(data["configs"][quantization.value], sort_keys=True)
        if arithmetic not in by_arithmetic:
            by_arithmetic[arithmetic] = choose_outliers(
                quantizer, quantization, chosen[quantization.value], texts, reference,
                args.target, args.sample, rng)
        fitted[quantization.value] = by_arithmetic[arithmetic]
    return fitted


def compact_json(data: dict) -> str:
    """Indented JSON with each list of numbers on one line."""
    text = json.dumps(data, indent=1)
    return re.sub(r"\[\s*(-?[0-9][-0-9.e+,\s]*?)\s*\]",
                  lambda m: "[" + ", ".join(m.group(1).split(",")).replace("  ", "")
                  .replace("\n", "").replace(" ,", ",") + "]", text) + "\n"


def model_record(chosen: dict[str, dict], smoothing, args: argparse.Namespace, articles: int,
                 sentences: int) -> dict:
    alpha, maxima = smoothing
    return {
        "name": DEFAULT_MODEL_NAME,
        "data": f"Wikinews dev split (evals/corpora/wikinews/splits.json): {articles} articles, "
                f"{sentences} sentences; per-layer loss on {args.sample} of them (the "
                f"{args.sample // 2} hardest with every layer int8, and {args.sample // 2} "
                f"drawn with seed {SEED})",
        "target_min_cosine": args.target,
        "outlier_data": f"the fewest of {', '.join(map(str, OUTLIER_CHANNELS))} largest "
                        "channels that keep every dev sentence within the target, tried first "
                        f"on {args.sample} of them drawn with seed {SEED}",
        "fp32_layers": {name: c["fp32_layers"] for name, c in chosen.items()},
        "outlier_channels": {name: c.get("outlier_channels", {}) for name, c in chosen.items()},
        "measured": {name: {k: v for k, v in c.items()
                            if k not in ("fp32_layers", "outlier_channels")}
                     for name, c in chosen.items()},
        "smoothing": {"alpha": alpha,
                      "activation_max": {k: [float(f"{x:.4g}") for x in v]
                                         for k, v in maxima.items()}},
    }


if __name__ == "__main__":
    main()
