"""Ingest and ask benchmark, beside a plain LlamaIndex baseline measured in the same run.

Prints one JSON object per measurement and a final summary object. Not a test: it asserts
nothing about time. Usage: ``python benchmarks/bench_ingest_ask.py [--chunks 5000]``.

Three corpora: the seed article and a generated corpus of ``--chunks`` chunks, asked ten seed
questions in turn; and the Wikinews corpus (239 real articles), asked the questions of its
golden dev split in turn, follow-ups with their conversation.

Ours: ``assistant ingest`` into embedded Chroma on the configured embedding backend (default:
the fastest this CPU runs), an unchanged re-ingest of the same folder, then warm
``Assistant.ask`` (retrieval and answer; warm as on the page: the model loaded and the corpus's
words embedded for synonym matching, which the page does while it starts). Baseline:
``VectorStoreIndex.from_documents`` with ``HuggingFaceEmbedding`` (PyTorch) on the same model
and files, the splitter set to the same chunk size and overlap, and warm
``as_retriever().retrieve`` (it has no LLM-free answer step, so its latency is retrieval only).
The first ingests alternate, ours then the baseline's, ``--ingest-rounds`` times (2), and
chunks per second is over all rounds, so a machine whose speed drifts during the run slows
both alike. The summary gives, per corpus, our chunks per second over the baseline's, the
unchanged re-ingest as a share of the first ingest, and our warm ask p95.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.app import Assistant, build_embedder, run_ingest  # noqa: E402
from assistant.quality.golden import load_golden  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store.embedding import model_dir_for  # noqa: E402
from benchmarks.synthetic_corpus import write_corpus  # noqa: E402
from benchmarks.wikinews_corpus import WIKINEWS  # noqa: E402

WIKINEWS_DEV = WIKINEWS / "golden-dev.jsonl"

QUESTIONS = [
    "Who denied the deployment?",
    "Which agency made the allegation?",
    "How many North Korean troops were reportedly in Russia?",
    "Where were the troops being trained?",
    "When did North Korea's representative make the statement?",
    "Who is Robert Wood?",
    "What is Pyongyang suspected of supplying to Russia?",
    "Why is North Korea's denial unsurprising?",
    "What did Xi Jinping say about the troops?",
    "How much money did Russia pay North Korea?",
]


def emit(record: dict) -> dict:
    print(json.dumps(record), flush=True)
    return record


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))], 2)


def latency(ask, rounds: int, questions: list[tuple[str, list]]) -> dict:
    """``ask(question, history)`` timed over ``rounds`` questions taken in turn."""
    ask(*questions[0])  # warm
    times = []
    for index in range(rounds):
        started = time.perf_counter()
        ask(*questions[index % len(questions)])
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": percentile(times, 0.5), "p95_ms": percentile(times, 0.95),
            "mean_ms": round(statistics.fmean(times), 2), "n": rounds}


def seed_questions() -> list[tuple[str, list]]:
    return [(q, []) for q in QUESTIONS]


def wikinews_questions() -> list[tuple[str, list]]:
    return [(case.question, list(case.history)) for case in load_golden(WIKINEWS_DEV)]


def timed_ingest(corpus: Path, index: Path, embedder) -> tuple[float, Settings, object]:
    """Seconds of one ``assistant ingest`` of ``corpus`` into ``index``, its settings, and its
    report."""
    settings = Settings(corpus_dir=corpus, index_dir=index)
    started = time.perf_counter()
    report = run_ingest(settings, embedder)
    return time.perf_counter() - started, settings, report


class Baseline:
    """LlamaIndex's plain pipeline over the same files, model, chunk size and overlap."""

    @staticmethod
    def model(model_dir: Path):
        """LlamaIndex's embedding of the model on PyTorch, loaded once and warmed (ours is
        warm too: neither pays a first call in its timing)."""
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        embed_model = HuggingFaceEmbedding(model_name=str(model_dir), device="cpu")
        embed_model.get_text_embedding("warm up")
        return embed_model

    def __init__(self, corpus: Path, embed_model, settings: Settings) -> None:
        from llama_index.core import SimpleDirectoryReader
        from llama_index.core.node_parser import SentenceSplitter

        self.embed_model = embed_model
        self.documents = SimpleDirectoryReader(str(corpus),
                                               required_exts=[".md", ".txt"]).load_data()
        self.splitter = SentenceSplitter(chunk_size=settings.chunk_size,
                                         chunk_overlap=settings.chunk_overlap)

    def build(self) -> tuple[float, object]:
        """Seconds of one build, and the index. It keeps nothing between runs, so every
        ingest, unchanged files or not, is a build."""
        from llama_index.core import VectorStoreIndex

        started = time.perf_counter()
        index = VectorStoreIndex.from_documents(self.documents, embed_model=self.embed_model,
                                                transformations=[self.splitter])
        return time.perf_counter() - started, index


def speed(chunks: int, seconds: list[float]) -> dict:
    return {"chunks": chunks, "ingest_s": [round(s, 2) for s in seconds],
            "chunks_per_s": round(chunks * len(seconds) / sum(seconds), 1)}


def compare(corpus: Path, work: Path, embedder, query_embedder, baseline_model,
            settings: Settings, rounds: int, ingest_rounds: int,
            questions: list[tuple[str, list]]) -> tuple[dict, dict]:
    """Ours and the baseline on one corpus. The first ingests alternate, ours then the
    baseline's, ``ingest_rounds`` times (ours into a fresh index each time), so a machine
    whose speed drifts during the run slows both alike; chunks per second is over all rounds.
    Then our unchanged re-ingest, and warm asking on both."""
    baseline = Baseline(corpus, baseline_model, settings)
    ours_s, base_s = [], []
    for round_ in range(ingest_rounds):
        seconds, ours_settings, report = timed_ingest(corpus, work / f"ours-{round_}", embedder)
        ours_s.append(seconds)
        if round_ == 0:
            first = (ours_settings, report)
        seconds, index = baseline.build()
        base_s.append(seconds)
    ours_settings, report = first
    started = time.perf_counter()
    again = run_ingest(ours_settings, embedder)
    again_s = time.perf_counter() - started
    started = time.perf_counter()
    assistant = Assistant.open(settings=ours_settings, embedder=query_embedder)
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    assistant.warm_word_vectors()  # what the page does while it starts: asks are then warm
    warm_words_s = time.perf_counter() - started
    mine = {**speed(report.chunks_total, ours_s),
            "reingest_unchanged_s": round(again_s, 3),
            "reingest_fraction": round(again_s / ours_s[0], 4),
            "reingest_embedded": again.chunks_embedded,
            "open_s": round(open_s, 2), "warm_words_s": round(warm_words_s, 2),
            "ask": latency(assistant.ask, rounds, questions)}
    retriever = index.as_retriever(similarity_top_k=settings.top_k)
    base = {**speed(len(index.docstore.docs), base_s),
            # No conversation: the baseline retrieves with the question alone.
            "ask": latency(lambda question, _history: retriever.retrieve(question), rounds,
                           questions)}
    return mine, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=5000, help="size of the generated corpus")
    parser.add_argument("--rounds", type=int, default=100, help="questions timed per system")
    parser.add_argument("--ingest-rounds", type=int, default=2,
                        help="first ingests per system, alternating")
    args = parser.parse_args()
    if args.ingest_rounds < 1:
        parser.error("--ingest-rounds must be at least 1")
    settings = Settings()
    embedder, query_embedder = build_embedder(settings), build_embedder(settings, queries=True)
    embedder.warm_up()
    query_embedder.warm_up()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    baseline_model = Baseline.model(model_dir_for(settings.embedding_model_path,
                                                  settings.model_cache_dir))
    summary: dict = {"machine": {"cpus": os.cpu_count()}, "settings": {
        "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
        "top_k": settings.top_k, "embedder": embedder.name}}
    try:
        seed = work / "seed"
        shutil.copytree(settings.corpus_dir, seed)
        per_article = timed_ingest(seed, work / "probe", embedder)[2].chunks_total
        generated = work / "generated"
        write_corpus(generated, -(-args.chunks // per_article))
        for name, corpus, questions in (("seed", seed, seed_questions()),
                                        ("generated", generated, seed_questions()),
                                        ("wikinews", WIKINEWS_DEV.parent / "articles",
                                         wikinews_questions())):
            mine, base = compare(corpus, work / name, embedder, query_embedder, baseline_model,
                                 settings, args.rounds, args.ingest_rounds, questions)
            mine = emit({"corpus": name, "system": "assistant", **mine})
            base = emit({"corpus": name, "system": "llamaindex_baseline", **base})
            summary[name] = {
                "assistant": mine, "llamaindex_baseline": base,
                "ingest_chunks_per_s_vs_baseline": round(mine["chunks_per_s"] /
                                                         base["chunks_per_s"], 2),
                "reingest_unchanged_fraction": mine["reingest_fraction"],
                "ask_p95_ms": mine["ask"]["p95_ms"]}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emit({"summary": summary})


if __name__ == "__main__":
    main()
