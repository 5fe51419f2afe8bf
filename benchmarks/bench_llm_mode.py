"""llm answer mode benchmark: what checking costs, and what streaming gains.

Prints one JSON object per measurement. Not a test: it asserts nothing about time.
Usage: ``python benchmarks/bench_llm_mode.py [--repeat 3]``.

The model is the scripted OpenAI-protocol server of the tests, on loopback, so the figures are
the assistant's own work, not a model's.
- overhead: the golden questions asked in llm mode against a model that answers at once (the
  tests' reader model: one article sentence plus one invented sentence, which the check drops).
  Baseline in the same run: the same questions in extractive mode. The difference is prompt
  building, the HTTP round trip and checking two sentences.
- streaming: a three-sentence answer sent at the pace of a small local model (a few words every
  60 ms). Time until the first checked sentence can be shown, against the time the whole reply
  takes, which is when an answer could be shown without streaming.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_ingest_ask import emit, percentile  # noqa: E402

ANSWER = ("North Korea officially denied sending troops to Russia [1]. It labeled the claims "
          "from South Korea as “groundless rumors” [1]. The statement was made by one of North "
          "Korea’s representatives at the United Nations on Monday [1].")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from assistant.app import Assistant, run_ingest
    from assistant.settings import Settings
    from tests.llm_server import Reply, ScriptedLLM, reader_model

    questions = [json.loads(line)["question"] for line in
                 (ROOT / "evals" / "golden.jsonl").read_text().splitlines() if line.strip()]
    server = ScriptedLLM(reader_model)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        settings = Settings(corpus_dir=corpus, index_dir=Path(tmp) / "index",
                            llm_base_url=server.url, llm_model="scripted")
        run_ingest(settings)
        assistant = Assistant.open(settings=settings)
        for question in questions[:5]:  # warm the word-vector cache in both modes
            assistant.ask(question, mode="llm")
        timings: dict[str, list[float]] = {"extractive": [], "llm": []}
        for _ in range(args.repeat):
            for mode in timings:
                for question in questions:
                    started = time.perf_counter()
                    assistant.ask(question, mode=mode)
                    timings[mode].append((time.perf_counter() - started) * 1000)
        emit({"measure": "llm_mode_overhead", "questions": len(questions),
              "llm_zero_latency_model": _stats(timings["llm"]),
              "extractive_baseline": _stats(timings["extractive"])})

        firsts, totals = [], []
        for _ in range(args.repeat):
            server.script(Reply(ANSWER, pace_s=0.06))
            started = time.perf_counter()
            first = None
            for answer in assistant.ask_stream("Who denied the deployment?", mode="llm"):
                if first is None and answer.answer:
                    first = time.perf_counter() - started
            totals.append((time.perf_counter() - started) * 1000)
            firsts.append(first * 1000)
        emit({"measure": "llm_streaming", "event_interval_ms": 60,
              "first_checked_sentence_ms": _stats(firsts),
              "whole_reply_ms_baseline": _stats(totals)})
    server.close()


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 0.5), 2),
            "p95_ms": round(percentile(values, 0.95), 2), "n": len(values)}


if __name__ == "__main__":
    main()
