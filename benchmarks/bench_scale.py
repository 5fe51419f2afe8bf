"""Scale benchmark: ingest, warm ask and serving memory on a generated corpus of 100,000
chunks, with embedded Chroma and with a `chroma run` server.

Prints one JSON object per backend, then a summary. Not a test: it asserts nothing about time.
Usage: ``python benchmarks/bench_scale.py [--chunks 100000] [--backends embedded server]
[--rounds 200] [--work DIR [--reuse-index]]``.

- corpus: the Wikinews dev split's paragraphs shuffled (seeded) into generated articles until
  chunking yields ``--chunks`` chunks (``benchmarks/wikinews_corpus.py``); written at run time
  into the work folder, never committed.
- ingest: `assistant ingest --json`, wall time and chunks per second.
- ask: `assistant ask --json -` (one process, model and index loaded once) answering
  ``--rounds`` golden dev questions after 10 unmeasured ones; p50/p95 of each result's
  ``timings_ms.total``, and the process's time to its first answer and its memory.
- serving: `assistant serve`, from launch to the first answer through gradio_client, page
  latency over 30 questions asked one after another, then the resident memory of the page
  process and its children (the engine) now and at their peaks; with a server, the
  `chroma run` process's memory too.

``--work DIR`` keeps the corpus and indexes there; with ``--reuse-index`` a backend whose index
is already there is not ingested again (to compare serving before and after a change). With
``--server-from-embedded`` the server serves a copy of the embedded index's files, so a large
corpus is embedded once; its ingest rate then comes from a smaller run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.settings import Settings  # noqa: E402
from benchmarks.bench_ingest_ask import emit, percentile  # noqa: E402
from benchmarks.bench_load import environment  # noqa: E402
from benchmarks.processes import (  # noqa: E402
    ASSISTANT,
    ChromaServer,
    rss_mb,
    serving,
    tree_rss_mb,
)
from benchmarks.wikinews_corpus import WIKINEWS, write_corpus  # noqa: E402

WARM_UP = 10
PAGE_QUESTIONS = 30


def questions(count: int) -> list[dict]:
    """Golden dev questions (with their history, for follow-ups), repeated to ``count``."""
    cases = [json.loads(line) for line in
             (WIKINEWS / "golden-dev.jsonl").read_text(encoding="utf-8").splitlines() if line]
    requests = [{"question": c["question"], "history": c.get("history", [])} for c in cases]
    return [requests[i % len(requests)] for i in range(count)]


class PeakMemory:
    """Samples a process tree's resident memory until stopped; keeps the largest sum."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return round(self.peak_mb, 1)


def ingest(env: dict[str, str]) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen([str(ASSISTANT), "ingest", "--json"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(process.pid)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    peak = memory.stop()
    if process.returncode not in (0, 3):
        raise RuntimeError(f"ingest failed: {err}")
    report = json.loads(out)
    return {"chunks": report["chunks_total"], "seconds": round(seconds, 1),
            "chunks_per_s": round(report["chunks_total"] / seconds, 1),
            "peak_rss_mb": peak}


def ask(env: dict[str, str], rounds: int) -> dict:
    """Warm ``ask`` latency from one `assistant ask --json -` process."""
    lines = "".join(json.dumps(r) + "\n" for r in questions(WARM_UP + rounds))
    started = time.perf_counter()
    process = subprocess.Popen([str(ASSISTANT), "ask", "--json", "-"], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(process.pid)
    threading.Thread(target=lambda: (process.stdin.write(lines), process.stdin.close()),
                     daemon=True).start()
    first_answer_s, totals, refused = None, [], 0
    for line in process.stdout:
        result = json.loads(line)
        if first_answer_s is None:
            first_answer_s = time.perf_counter() - started
        totals.append(result["timings_ms"]["total"])
        refused += bool(result.get("refused"))
    process.wait()
    peak = memory.stop()
    if process.returncode != 0:
        raise RuntimeError(f"ask failed: {process.stderr.read()}")
    warm = totals[WARM_UP:]
    return {"launch_to_first_answer_s": round(first_answer_s, 1),
            "first_answers_ms": totals[:3],
            "warm_p50_ms": percentile(warm, 0.5), "warm_p95_ms": percentile(warm, 0.95),
            "warm_max_ms": round(max(warm), 1), "n": len(warm),
            "refused_share": round(refused / len(totals), 3), "peak_rss_mb": peak}


def serve(env: dict[str, str], log: Path, chroma: ChromaServer | None) -> dict:
    from gradio_client import Client

    asked = questions(PAGE_QUESTIONS + 1)
    started = time.perf_counter()
    with serving(env, log, args=()) as served:
        client = Client(served.url, verbose=False)
        client.predict(asked[0]["question"], api_name="/ask")
        first_answer_s = time.perf_counter() - started
        latencies = []
        for request in asked[1:]:
            client.reset_session()
            began = time.perf_counter()
            client.predict(request["question"], api_name="/ask")
            latencies.append((time.perf_counter() - began) * 1000)
        pid = served.process.pid
        result = {
            "launch_to_first_answer_s": round(first_answer_s, 1),
            "page_p50_ms": percentile(latencies, 0.5),
            "page_p95_ms": percentile(latencies, 0.95),
            "serving_rss_mb": tree_rss_mb(pid),
            "serving_peak_rss_mb": tree_rss_mb(pid, "VmHWM"),
            "page_process_rss_mb": round(rss_mb(pid), 1),
            "engine_process_rss_mb": round(rss_mb(served.engine_pid() or 0), 1),
        }
    if chroma is not None and chroma.process is not None:
        result["chroma_server_rss_mb"] = round(rss_mb(chroma.process.pid), 1)
        result["chroma_server_peak_rss_mb"] = round(rss_mb(chroma.process.pid, "VmHWM"), 1)
    return result


def serve_embedded_files(work: Path, chroma: ChromaServer) -> Path:
    """An index folder for a server started over a copy of the embedded index's Chroma files,
    with the embedded manifest and sentence vectors under the server's name: the server then
    holds the same collection and nothing is embedded twice."""
    embedded = work / "index-embedded"
    if not (embedded / "chroma").is_dir():
        raise SystemExit("--server-from-embedded needs the embedded index: run the embedded "
                         "backend first (or keep it with --work)")
    index = work / "index-server-copy"
    shutil.rmtree(index, ignore_errors=True)
    shutil.rmtree(chroma.data, ignore_errors=True)
    shutil.copytree(embedded / "chroma", chroma.data)
    index.mkdir()
    for manifest in embedded.glob("manifest-*-local.json"):
        served = manifest.name.replace("-local.json", f"-{chroma.host}-{chroma.port}.json")
        shutil.copy(manifest, index / served)
    for vectors in embedded.glob("sentences-*-local"):
        served = vectors.name.removesuffix("-local") + f"-{chroma.host}-{chroma.port}"
        shutil.copytree(vectors, index / served)
    return index


def run_backend(kind: str, work: Path, corpus: Path, rounds: int, reuse: bool,
                from_embedded: bool = False) -> dict:
    index = work / f"index-{kind}"
    chroma = ChromaServer(work / "chroma-data") if kind == "server" else None
    extra = {}
    if chroma is not None:
        if from_embedded:
            index = serve_embedded_files(work, chroma)
        chroma.start()
        extra = {"CHROMA_HOST": chroma.host, "CHROMA_PORT": str(chroma.port)}
    try:
        env = environment(corpus, index, **extra)
        record: dict = {"backend": kind}
        if reuse and index.exists() and not from_embedded:
            record["ingest"] = "reused"
        elif chroma is not None and from_embedded:
            record["ingest"] = "served from a copy of the embedded index's files"
        else:
            record["ingest"] = ingest(env)
        record["ask"] = ask(env, rounds)
        record["serving"] = serve(env, work / f"serve-{kind}.log", chroma)
        return record
    finally:
        if chroma is not None:
            chroma.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks to generate")
    parser.add_argument("--backends", nargs="+", choices=["embedded", "server"],
                        default=["embedded", "server"])
    parser.add_argument("--rounds", type=int, default=200, help="warm questions timed")
    parser.add_argument("--work", type=Path, help="keep the corpus and indexes here")
    parser.add_argument("--reuse-index", action="store_true",
                        help="with --work: do not ingest a backend whose index is there")
    parser.add_argument("--server-from-embedded", action="store_true",
                        help="serve a copy of the embedded index from `chroma run` instead of "
                             "ingesting again (the server's ingest rate is then measured on a "
                             "smaller --chunks run)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    try:
        corpus = work / "corpus"
        stamp = work / "corpus.json"
        if stamp.exists() and json.loads(stamp.read_text())["requested"] == args.chunks:
            generated = json.loads(stamp.read_text())
        else:
            shutil.rmtree(corpus, ignore_errors=True)
            started = time.perf_counter()
            generated = {"requested": args.chunks,
                         **write_corpus(corpus, args.chunks, settings).to_dict(),
                         "generate_s": round(time.perf_counter() - started, 1)}
            stamp.write_text(json.dumps(generated))
        emit({"corpus": generated, "machine": {"cpus": os.cpu_count()},
              "settings": {"chunk_size": settings.chunk_size,
                           "chunk_overlap": settings.chunk_overlap, "top_k": settings.top_k}})
        records = [emit(run_backend(kind, work, corpus, args.rounds, args.reuse_index,
                                     args.server_from_embedded))
                   for kind in args.backends]
        summary = {"chunks": generated["chunks"]}
        for record in records:
            ingested = record["ingest"]
            summary[record["backend"]] = {
                "chunks_per_s": ingested["chunks_per_s"] if isinstance(ingested, dict)
                else None,
                "ask_p50_ms": record["ask"]["warm_p50_ms"],
                "ask_p95_ms": record["ask"]["warm_p95_ms"],
                "serving_rss_mb": record["serving"]["serving_rss_mb"],
            }
            if isinstance(ingested, dict):
                summary[record["backend"]]["ingest_100k_projected_min"] = round(
                    100_000 / ingested["chunks_per_s"] / 60, 1)
        emit({"summary": summary})
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
