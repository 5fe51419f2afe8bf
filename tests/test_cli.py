"""The `assistant` command as a user runs it: real processes, real model, real Chroma."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from benchmarks.synthetic_corpus import write_corpus
from tests.support import FIXTURES, MODEL_CACHE, free_port

ASSISTANT = Path(sys.executable).parent / "assistant"


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ASSISTANT_") and k not in ("CHROMA_HOST", "CHROMA_PORT")}
    env.update(HF_HUB_OFFLINE="1", ASSISTANT_MODEL_CACHE_DIR=str(MODEL_CACHE), **extra)
    return env


def run(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ASSISTANT), *args], input=stdin, capture_output=True, text=True,
                          env=environment(**env), timeout=900)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A corpus of the seed plus messy files, ingested once through the CLI."""
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    shutil.copytree(Path(__file__).parent.parent / "corpus", corpus)
    for name in ("broken.json", "empty.txt", "boilerplate.html"):
        shutil.copy(FIXTURES / name, corpus)
    done = run("ingest", "--json", "--corpus", str(corpus), "--index", str(root / "index"))
    return root, corpus, done


def test_ingest_reports_json_and_exit_code_tells_about_skips(indexed):
    _, _, done = indexed
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == ["000_1c8cb6e4e6d5a0ae.txt", "boilerplate.html"]
    assert {s["path"]: s["reason"] for s in report["skipped"]} == {
        "broken.json": "invalid JSON at line 1 column 36: Unterminated string starting at",
        "empty.txt": "empty file",
    }
    assert report["chunks_total"] == report["chunks_embedded"] > 0


def test_env_vars_choose_the_folders_and_unchanged_ingest_is_a_no_op(indexed):
    root, corpus, _ = indexed
    done = run("ingest", ASSISTANT_CORPUS=str(corpus), ASSISTANT_INDEX=str(root / "index"))
    assert done.returncode == 3
    assert done.stdout.startswith("added 0, updated 0, unchanged 2, removed 0, skipped 2; "
                                  "0 chunks embedded")
    assert "skipped broken.json: invalid JSON" in done.stdout


def test_ask_json_result_has_every_field(indexed):
    root, corpus, _ = indexed
    done = run("ask", "--json", "--corpus", str(corpus), "--index", str(root / "index"),
               "Who denied the deployment?")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"question", "answer", "short_answer", "refused", "citations",
                           "timings_ms", "retrieved", "support", "confidence", "mode", "note",
                           "verification"}
    assert (result["mode"], result["note"], result["verification"]) == ("extractive", None, None)
    assert 0 < result["confidence"] < 1
    assert result["citations"][0]["chunk_id"] in result["retrieved"]
    assert result["short_answer"] == "North Korea" and result["refused"] is False
    citation = result["citations"][0]
    assert set(citation) == {"n", "doc_id", "title", "source", "published", "url", "chunk_id",
                             "quote", "start", "end"}
    text = (corpus / citation["doc_id"]).read_text(encoding="utf-8")
    assert text[citation["start"] : citation["end"]] == citation["quote"]


def test_ask_plain_prints_answer_and_sources(indexed):
    root, corpus, _ = indexed
    done = run("ask", "--corpus", str(corpus), "--index", str(root / "index"),
               "Who denied the deployment?")
    assert done.returncode == 0
    answer, sources = done.stdout.split("\nSources:\n")
    assert "North Korea" in answer and "[1]" in answer
    assert sources.startswith("[1] North Korea Denies Sending Troops")
    assert "“North Korea has officially denied" in sources


def test_ask_stream_answers_json_lines_in_order(indexed):
    root, corpus, _ = indexed
    requests = [
        {"question": "Which agency made the allegation?"},
        "not json at all",
        {"question": "How many troops did it say were in Russia?",
         "history": [{"role": "user", "content": "Which agency made the allegation?"},
                     {"role": "assistant", "content": "South Korea’s National Intelligence "
                                                      "Service (NIS) made it. [1]"}]},
        {"question": "What did Xi Jinping say?"},
    ]
    stdin = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in requests) + "\n"
    done = run("ask", "--json", "-", "--corpus", str(corpus), "--index", str(root / "index"),
               stdin=stdin)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 4 and done.returncode == 2
    assert lines[0]["question"] == "Which agency made the allegation?"
    assert lines[1] == {"error": "line 2: Expecting value: line 1 column 1 (char 0)"}
    assert "1,500" in lines[2]["short_answer"]
    assert lines[3]["refused"] is True


def test_user_errors_are_one_line(tmp_path):
    missing = run("ingest", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"assistant: corpus folder {tmp_path / 'nope'} does not exist"]
    (tmp_path / "c").mkdir()
    server = run("ingest", "--corpus", str(tmp_path / "c"), CHROMA_HOST="127.0.0.1",
                 CHROMA_PORT="9")
    assert server.returncode == 2
    [line] = server.stderr.strip().splitlines()
    assert line.startswith("assistant: cannot reach the Chroma server at 127.0.0.1:9")
    page = run("serve", "--port", str(free_port()), "--index", str(tmp_path / "i"),
               CHROMA_HOST="127.0.0.1", CHROMA_PORT="9")
    assert page.returncode == 2
    assert page.stderr.strip().splitlines()[-1].startswith(
        "assistant: cannot reach the Chroma server at 127.0.0.1:9")
    assert "Traceback" not in page.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run("serve", "--port", str(port), "--index", str(tmp_path / "i"))
    assert busy.returncode == 2
    assert busy.stderr.strip().splitlines() == [
        f"assistant: cannot serve the page on 127.0.0.1:{port}: the port is in use or not "
        "allowed; choose another with --port or ASSISTANT_UI_PORT"]
    bad = run("ingest", ASSISTANT_CHUNK_SIZE="ten")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "assistant: invalid setting chunk_size: Input should be a valid integer, unable to "
        "parse string as an integer"]
    backend = run("ask", "Who?", ASSISTANT_EMBEDDING_BACKEND="cuda")
    assert backend.returncode == 2
    assert backend.stderr.strip().splitlines() == [
        "assistant: invalid setting embedding_backend: unknown embedding backend 'cuda': use "
        "one of torch, onnx, onnx-int8"]


def test_a_damaged_answer_model_file_is_a_one_line_error(indexed, tmp_path, monkeypatch,
                                                         capsys):
    """The fitted files shipped beside the answerer: a damaged one stops ``ask`` with one
    line naming it, not a traceback."""
    from assistant.answer.extractive import confidence, kinds
    from assistant.cli import main

    root, corpus, _ = indexed
    damaged = tmp_path / "damaged.json"
    damaged.write_text("{not json")
    for model, words in ((kinds.NounKinds, "noun-kind model"),
                         (confidence.ConfidenceModel, "confidence model")):
        with monkeypatch.context() as patch:
            shipped = model.load  # the same loader, pointed at the damaged file
            patch.setattr(model, "load", classmethod(lambda cls, load=shipped: load(damaged)))
            code = main(["ask", "Who denied it?", "--corpus", str(corpus),
                         "--index", str(root / "index")])
        [line] = capsys.readouterr().err.strip().splitlines()
        assert code == 2
        assert line.startswith(f"assistant: cannot read the {words} {damaged}")


def test_second_ingest_stops_at_once_while_one_runs(tmp_path):
    write_corpus(tmp_path / "c", 2)
    (tmp_path / "i").mkdir()
    with FileLock(str(tmp_path / "i" / "ingest.lock")):
        # Returning at all while the lock is held shows it did not wait for it.
        done = run("ingest", "--corpus", str(tmp_path / "c"), "--index", str(tmp_path / "i"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"assistant: another ingest is already running on {tmp_path / 'i'}; wait for it to "
        "finish"]


def _manifest_articles(index: Path) -> int:
    for path in index.glob("manifest-*.json"):
        try:
            return len(json.loads(path.read_text())["articles"])
        except (json.JSONDecodeError, KeyError):
            return 0
    return 0


def test_killed_ingest_resumes_to_the_same_index(tmp_path):
    corpus = tmp_path / "c"
    write_corpus(corpus, 24)
    clean = run("ingest", "--json", "--corpus", str(corpus), "--index", str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr
    index = tmp_path / "killed"
    process = subprocess.Popen([str(ASSISTANT), "ingest", "--corpus", str(corpus), "--index",
                                str(index)], env=environment(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _manifest_articles(index) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    recorded = _manifest_articles(index)
    assert 3 <= recorded < 24, "the ingest should have been killed part-way"
    resumed = run("ingest", "--json", "--corpus", str(corpus), "--index", str(index))
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert len(report["unchanged"]) == recorded and len(report["added"]) == 24 - recorded

    import chromadb

    def contents(path: Path) -> tuple[list[str], list[str], list[str]]:
        client = chromadb.PersistentClient(path=str(path / "chroma"))
        files = path / "sentences-news-local"
        return (sorted(client.get_collection("news-chunks").get(include=[])["ids"]),
                sorted(i.decode() for p in files.glob("*.npy") for i in np.load(p)["id"]),
                sorted(i for p in files.glob("*.parse.json") for i in json.loads(p.read_text())))

    clean_chunks, clean_sentences, clean_parsed = contents(tmp_path / "clean")
    resumed_chunks, resumed_sentences, resumed_parsed = contents(index)
    assert resumed_chunks == clean_chunks and len(set(resumed_chunks)) == len(resumed_chunks)
    assert resumed_sentences == clean_sentences == clean_parsed == resumed_parsed
    assert json.loads(clean.stdout)["chunks_total"] == report["chunks_total"] == len(clean_chunks)
