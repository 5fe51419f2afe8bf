"""Chat page benchmark: time to first answer after `assistant serve`, and answers under load.

Prints one JSON object per measurement. Not a test: it asserts nothing about time.
Usage: ``python benchmarks/bench_page.py [--starts 3]``.

- start: a fresh `assistant serve` process on an existing index, timed from launch until
  gradio_client has the first answer. Baseline in the same run: a fresh `assistant ask --json`
  process on the same index (the same loading with no web page).
- concurrent: 10 gradio_client conversations of two turns each at once against one server;
  latency per question. Baseline: the same 20 questions asked one after another by one client.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_ingest_ask import emit, percentile  # noqa: E402

ASSISTANT = Path(sys.executable).parent / "assistant"
CONVERSATIONS = [
    ("Who denied the deployment?", "What did it call the claims?"),
    ("Which agency made the allegation?", "How many troops did it say were in Russia?"),
    ("Who is Robert Wood?", "What did he warn about?"),
    ("Where were the troops being trained?", "When were they to be deployed?"),
    ("What is Pyongyang suspected of supplying to Russia?", "Has Russia confirmed it?"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(index: Path) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_CORPUS": str(ROOT / "corpus"),
            "ASSISTANT_INDEX": str(index)}


def start_server(index: Path) -> tuple[subprocess.Popen, str, float]:
    """Launch `assistant serve`; return it, its URL and the seconds to its first answer."""
    from gradio_client import Client

    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([str(ASSISTANT), "serve", "--port", str(port)],
                               env=environment(index), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("assistant serve exited") from None
            time.sleep(0.05)
    chat, _, _ = Client(url, verbose=False).predict(CONVERSATIONS[0][0], api_name="/ask")
    assert "North Korea" in str(chat[-1]), chat
    return process, url, time.perf_counter() - started


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


def cli_first_answer(index: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(ASSISTANT), "ask", "--json", CONVERSATIONS[0][0]],
                          env=environment(index), capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["short_answer"] == "North Korea"
    return time.perf_counter() - started


def converse(url: str, questions: tuple[str, ...]) -> list[float]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    timings = []
    for question in questions:
        started = time.perf_counter()
        client.predict(question, api_name="/ask")
        timings.append(time.perf_counter() - started)
    return timings


def summary(timings: list[float]) -> dict:
    ms = [t * 1000 for t in timings]
    return {"p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95),
            "max_ms": round(max(ms), 2), "n": len(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="cold starts of each kind")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-page-"))
    try:
        index = work / "index"
        subprocess.run([str(ASSISTANT), "ingest"], env=environment(index), check=True,
                       capture_output=True)
        serve_times, cli_times = [], []
        for _ in range(args.starts):
            cli_times.append(cli_first_answer(index))
            process, _, seconds = start_server(index)
            serve_times.append(seconds)
            stop(process)
        emit({"measure": "start_to_first_answer_s", "serve": [round(t, 2) for t in serve_times],
              "cli_ask_baseline": [round(t, 2) for t in cli_times]})
        process, url, _ = start_server(index)
        try:
            sequential = [t for questions in CONVERSATIONS * 2 for t in converse(url, questions)]
            with ThreadPoolExecutor(max_workers=10) as pool:
                runs = list(pool.map(lambda i: converse(url, CONVERSATIONS[i % 5]), range(10)))
            emit({"measure": "page_latency", "concurrent_10_conversations":
                  summary([t for run in runs for t in run]),
                  "sequential_baseline": summary(sequential)})
        finally:
            stop(process)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
