"""Fault benchmark: how long the page takes to answer again after a Chroma server restart and
after its engine process is killed.

Prints one JSON object per fault. Not a test: it asserts nothing about time. Usage:
``python benchmarks/bench_faults.py [--repeats 3]``.

- chroma_restart: `assistant serve` on a `chroma run` server holding the seed index. Each
  round stops the server, asks a question (timed until the page shows its one-line note;
  this includes ``ASSISTANT_CHROMA_RETRY_S`` of retrying), starts the server again on the same
  data and port (timed until it accepts connections), then asks until an answer comes back
  (timed from the server accepting connections). The page and its engine are never restarted.
- engine_kill: `assistant serve` on the embedded seed index. Each round kills the engine
  process with SIGKILL and at once asks a question, timed until it is answered by the new
  engine the page started.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.prompts import Prompts  # noqa: E402
from assistant.settings import bundled  # noqa: E402
from benchmarks.bench_ingest_ask import emit  # noqa: E402
from benchmarks.bench_load import environment  # noqa: E402
from benchmarks.conversations import SUBJECTS, shown_text  # noqa: E402
from benchmarks.processes import ASSISTANT, ChromaServer, serving  # noqa: E402

PROMPTS = Prompts(bundled("prompts"))
QUESTION = SUBJECTS[2]  # "Who is Robert Wood?"


def ask(client) -> tuple[str, float]:
    """The page's reply to the question (as shown) and the seconds it took."""
    client.reset_session()
    started = time.perf_counter()
    chat, _, _ = client.predict(QUESTION.question, api_name="/ask")
    return shown_text(chat[-1]), time.perf_counter() - started


def answered(text: str) -> bool:
    return QUESTION.marker in text


def stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"min_s": round(ordered[0], 2), "median_s": round(ordered[len(ordered) // 2], 2),
            "max_s": round(ordered[-1], 2), "each_s": [round(v, 2) for v in values]}


def chroma_restart(work: Path, repeats: int) -> dict:
    from gradio_client import Client

    chroma = ChromaServer(work / "chroma")
    chroma.start()
    try:
        env = environment(ROOT / "corpus", work / "index-server", CHROMA_HOST=chroma.host,
                          CHROMA_PORT=str(chroma.port))
        subprocess.run([str(ASSISTANT), "ingest"], env=env, check=True, capture_output=True)
        with serving(env, work / "serve-server.log", args=()) as served:
            client = Client(served.url, verbose=False)
            assert answered(ask(client)[0])
            engine = served.engine_pid()
            notes, server_up, recovery, attempts = [], [], [], []
            for _ in range(repeats):
                chroma.stop()
                text, seconds = ask(client)
                assert text == PROMPTS.render("store_unreachable"), text
                notes.append(seconds)
                server_up.append(chroma.start())
                back = time.perf_counter()
                tries = 1
                while not answered(ask(client)[0]):
                    tries += 1
                recovery.append(time.perf_counter() - back)
                attempts.append(tries)
            unchanged = served.process.poll() is None and served.engine_pid() == engine
    finally:
        chroma.stop()
    return {"fault": "chroma_restart", "rounds": repeats,
            "retry_s_setting": float(env.get("ASSISTANT_CHROMA_RETRY_S", 3.0)),
            "question_while_down_to_note": stats(notes),
            "server_start_to_accepting": stats(server_up),
            "server_accepting_to_answer": stats(recovery),
            "questions_until_answered": attempts,
            "page_and_engine_not_restarted": unchanged}


def engine_kill(work: Path, repeats: int) -> dict:
    from gradio_client import Client

    env = environment(ROOT / "corpus", work / "index")
    subprocess.run([str(ASSISTANT), "ingest"], env=env, check=True, capture_output=True)
    with serving(env, work / "serve.log", args=()) as served:
        client = Client(served.url, verbose=False)
        assert answered(ask(client)[0])
        recovery, notes = [], 0
        for _ in range(repeats):
            engine = served.engine_pid()
            killed = time.perf_counter()
            os.kill(engine, signal.SIGKILL)
            while True:
                text, _ = ask(client)
                if answered(text):
                    break
                assert text == PROMPTS.render("engine_restarted"), text
                notes += 1
            recovery.append(time.perf_counter() - killed)
            assert served.engine_pid() not in (None, engine)
        alive = served.process.poll() is None
    return {"fault": "engine_kill", "rounds": repeats, "kill_to_answer": stats(recovery),
            "questions_that_got_the_restart_note": notes, "page_not_restarted": alive}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds of each fault")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    try:
        emit(chroma_restart(work, args.repeats))
        emit(engine_kill(work, args.repeats))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
