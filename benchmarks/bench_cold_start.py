"""Cold start: a fresh `assistant ask`, and a fresh `assistant serve` until its first answer.

Prints one JSON object. Not a test: it asserts nothing about time.
Usage: ``python benchmarks/bench_cold_start.py [--runs 5] [--checkout DIR]``.

Both measurements start a new Python process on an existing index of the seed corpus (built
once before timing), the way a user meets them:

- ask: ``python -m assistant.cli ask "Who denied the deployment?"``, from launch until the
  process has printed its answer and exited.
- serve: ``python -m assistant.cli serve`` from launch until the HTTP port accepts a
  connection (``port_open_s``) and until ``gradio_client`` has the first answer
  (``first_answer_s``).

``--checkout`` runs another source tree of the project (an older commit unpacked elsewhere),
so the same script measures before and after a change on the same machine; the embedding
backend follows ``ASSISTANT_EMBEDDING_BACKEND`` when that checkout knows it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who denied the deployment?"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(checkout: Path, index: Path) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
            "ASSISTANT_CORPUS": str(checkout / "corpus"), "ASSISTANT_INDEX": str(index)}


def command(*args: str) -> list[str]:
    """The CLI of the checkout in the working directory (``-m`` puts it first on the path)."""
    return [sys.executable, "-m", "assistant.cli", *args]


def fresh_ask(checkout: Path, index: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command("ask", "--json", QUESTION), cwd=checkout,
                          env=environment(checkout, index), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or json.loads(done.stdout)["short_answer"] != "North Korea":
        raise RuntimeError(f"ask failed: {done.stdout[-500:]} {done.stderr[-2000:]}")
    return seconds


def fresh_serve(checkout: Path, index: Path) -> tuple[float, float]:
    """Seconds from launch until the port is open, and until the first answer arrives."""
    from gradio_client import Client

    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(command("serve", "--port", str(port)), cwd=checkout,
                               env=environment(checkout, index), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("assistant serve exited") from None
                time.sleep(0.05)
        port_open = time.perf_counter() - started
        chat, _, _ = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            QUESTION, api_name="/ask")
        first_answer = time.perf_counter() - started
        if "North Korea" not in str(chat[-1]):
            raise RuntimeError(f"unexpected first answer: {chat[-1]}")
        return port_open, first_answer
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def described(values: list[float]) -> dict:
    return {"median_s": round(statistics.median(values), 2),
            "runs_s": [round(v, 2) for v in values]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes of each kind")
    parser.add_argument("--checkout", type=Path, default=ROOT,
                        help="source tree of the project to run (default: this one)")
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    work = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        index = work / "index"
        # The first run also prepares the model (extraction, any export); it is not timed.
        subprocess.run(command("ingest"), cwd=checkout, env=environment(checkout, index),
                       check=True, capture_output=True)
        fresh_ask(checkout, index)
        asks = [fresh_ask(checkout, index) for _ in range(args.runs)]
        serves = [fresh_serve(checkout, index) for _ in range(args.runs)]
        git = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True)
        print(json.dumps({
            "checkout": str(checkout),
            "commit": git.stdout.strip() or None,
            "embedding_backend": os.environ.get("ASSISTANT_EMBEDDING_BACKEND", "default"),
            "cpus": os.cpu_count(),
            "fresh_ask": described(asks),
            "serve_port_open": described([s[0] for s in serves]),
            "serve_first_answer": described([s[1] for s in serves]),
        }))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
