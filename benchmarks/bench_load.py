"""Load benchmark: many readers at once, each in two-turn conversations, against a real page.

Prints one JSON object. Not a test: it asserts nothing about time. Usage:
``python benchmarks/bench_load.py [--conversations 50] [--duration 120]``.

`assistant serve` runs on the seed index with the shipped queue settings
(``ASSISTANT_UI_CONCURRENCY_LIMIT``, ``ASSISTANT_UI_QUEUE_SIZE``). Each of ``--conversations``
readers is one gradio_client client; it asks about one subject of the seed article, then the
follow-up "What about them?", starts a new session and goes on with the next subject, until
``--duration`` seconds have passed (a conversation under way is finished). Reported: answers
and errors (a full queue's "busy" refusals counted apart), latency per turn (first question,
follow-up, both), and conversations whose follow-up was not answered from their own history
(see ``benchmarks/conversations.py``: a follow-up resolved against another conversation quotes
another subject).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_ingest_ask import emit, percentile  # noqa: E402
from benchmarks.conversations import FOLLOW_UP, SUBJECTS, conversation_problems  # noqa: E402
from benchmarks.processes import ASSISTANT, serving, tree_rss_mb  # noqa: E402


def environment(corpus: Path, index: Path, **extra: str) -> dict[str, str]:
    """The benchmark's own settings on top of the caller's environment; the checkout's code
    first on the path, so a shared venv still runs this checkout."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])),
            "ASSISTANT_CORPUS": str(corpus), "ASSISTANT_INDEX": str(index), **extra}


@dataclass
class Tally:
    """What every reader saw, gathered under one lock."""

    first_s: list[float] = field(default_factory=list)
    follow_up_s: list[float] = field(default_factory=list)
    conversations: int = 0
    errors: Counter = field(default_factory=Counter)
    busy: int = 0
    mixed: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def reader(url: str, number: int, deadline: float, tally: Tally) -> None:
    """One reader: conversations one after another until the deadline."""
    from gradio_client import Client
    from gradio_client.utils import QueueError

    client = Client(url, verbose=False)
    turn = 0
    while time.monotonic() < deadline:
        subject = SUBJECTS[(number + turn) % len(SUBJECTS)]
        turn += 1
        client.reset_session()  # a new conversation
        timings = []
        try:
            for question in (subject.question, FOLLOW_UP):
                started = time.perf_counter()
                chat, _, _ = client.predict(question, api_name="/ask")
                timings.append(time.perf_counter() - started)
        except QueueError:
            with tally.lock:
                tally.busy += 1
            continue
        except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
            with tally.lock:
                tally.errors[f"{type(error).__name__}: {str(error)[:120]}"] += 1
            continue
        problems = conversation_problems(subject, chat)
        with tally.lock:
            tally.conversations += 1
            tally.first_s.append(timings[0])
            tally.follow_up_s.append(timings[1])
            if problems:
                tally.mixed.append({"reader": number, "subject": subject.question,
                                    "problems": problems})


def summary(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    return {"p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95),
            "max_ms": round(max(ms), 2), "n": len(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50,
                        help="readers conversing at the same time")
    parser.add_argument("--duration", type=float, default=120,
                        help="seconds of load (conversations under way are finished)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        env = environment(ROOT / "corpus", work / "index")
        subprocess.run([str(ASSISTANT), "ingest"], env=env, check=True, capture_output=True)
        with serving(env, work / "serve.log") as served:
            from gradio_client import Client

            Client(served.url, verbose=False).predict(SUBJECTS[0].question, api_name="/ask")
            tally = Tally()
            started = time.monotonic()
            deadline = started + args.duration
            with ThreadPoolExecutor(max_workers=args.conversations) as pool:
                for number in range(args.conversations):
                    pool.submit(reader, served.url, number, deadline, tally)
            elapsed = time.monotonic() - started
            rss = tree_rss_mb(served.process.pid)
        settings = {k: v for k, v in env.items() if k.startswith("ASSISTANT_UI_")}
        emit({
            "measure": "page_under_load",
            "readers": args.conversations,
            "duration_s": round(elapsed, 1),
            "queue_settings_from_env": settings or "defaults",
            "conversations_completed": args.conversations and tally.conversations,
            "answers": 2 * tally.conversations,
            "answers_per_s": round(2 * tally.conversations / elapsed, 2),
            "errors": sum(tally.errors.values()),
            "error_kinds": dict(tally.errors),
            "busy_refusals": tally.busy,
            "zero_errors": not tally.errors and not tally.busy,
            "conversations_mixed": len(tally.mixed),
            "mixed_examples": tally.mixed[:5],
            "latency_first_turn": summary(tally.first_s),
            "latency_follow_up": summary(tally.follow_up_s),
            "latency_all_turns": summary(tally.first_s + tally.follow_up_s),
            "serving_rss_mb_at_end": rss,
            "machine": {"cpus": os.cpu_count()},
        })
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
