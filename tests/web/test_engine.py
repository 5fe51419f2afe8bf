"""The engine process the chat page talks to: real model, real Chroma, a real child process."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from assistant.app import Assistant, run_ingest
from assistant.web.engine import (
    MAX_FAILED_STARTS,
    EngineError,
    EngineProcess,
    Failed,
    Failure,
)
from tests.support import wait_until


@pytest.fixture(scope="module")
def settings(tmp_path_factory, real_embedder):
    from assistant.settings import Settings
    from tests.support import MODEL_CACHE, SEED

    root = tmp_path_factory.mktemp("worker")
    (root / "corpus").mkdir()
    (root / "corpus" / SEED.name).write_bytes(SEED.read_bytes())
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index",
                        model_cache_dir=MODEL_CACHE)
    run_ingest(settings, real_embedder)
    return settings


def test_the_engine_process_answers_like_the_assistant(settings, real_query_embedder):
    engine = EngineProcess(settings)
    try:
        engine.wait_ready()
        local = Assistant.open(settings=settings, embedder=real_query_embedder)
        assert (engine.article_count, engine.chunk_count) == (1, local.chunk_count)
        answer = engine.ask("Who denied the deployment?")
        expected = local.ask("Who denied the deployment?")
        assert answer.short_answer == "North Korea"
        assert (answer.answer, answer.citations) == (expected.answer, expected.citations)
        chunk = engine.chunk(answer.citations[0].chunk_id)
        assert answer.citations[0].quote in chunk.text
        history = [{"role": "user", "content": "Which agency made the allegation?"},
                   {"role": "assistant", "content": "Seoul’s intelligence agency alleged it."}]
        assert "1,500" in engine.ask("How many troops did it say were in Russia?",
                                     history).short_answer
        with pytest.raises(EngineError, match='each history item needs "role"'):
            engine.ask("Who denied it?", [{"role": "system", "content": "x"}])
        assert not engine.ask("Who is Robert Wood?").refused  # still serving after an error
    finally:
        engine.close()
    assert not engine._process.is_alive()
    with pytest.raises(EngineError, match="the engine process stopped"):
        engine.ask("Who denied the deployment?")


def test_an_engine_that_cannot_start_says_why_in_one_line(settings):
    broken = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": 9})
    engine = EngineProcess(broken)
    try:
        with pytest.raises(EngineError, match="cannot reach the Chroma server at 127.0.0.1:9"):
            engine.wait_ready()
        with pytest.raises(EngineError, match="cannot reach"):
            engine.ask("Who denied the deployment?")
    finally:
        engine.close()


def test_a_written_answer_streams_through_the_engine_and_a_dropped_stream_leaves_it_clean(
        settings):
    from tests.llm_server import Reply, ScriptedLLM

    model = ScriptedLLM()
    faithful = "North Korea officially denied sending troops to Russia [1]."
    engine = EngineProcess(settings.model_copy(update={"llm_base_url": model.url,
                                                        "llm_model": "scripted"}))
    try:
        engine.wait_ready()
        model.script(Reply(f"{faithful} It labeled the claims “groundless rumors” [1]."))
        parts = [a.answer for a in engine.ask_stream("Who denied the deployment?", mode="llm")]
        assert parts == ["North Korea officially denied sending troops to Russia. [1]",
                         "North Korea officially denied sending troops to Russia. [1] It "
                         "labeled the claims “groundless rumors”. [1]"]
        model.script(Reply(f"{faithful} {faithful} {faithful}"))
        stream = engine.ask_stream("Who denied the deployment?", mode="llm")
        assert next(stream).mode == "llm"  # three times the same sentence: shown once
        stream.close()  # a reader who leaves early: the rest of the reply is read and dropped
        assert engine.ask("Who is Robert Wood?", mode="extractive").short_answer
        with pytest.raises(EngineError, match="unknown answer mode 'poetry'"):
            list(engine.ask_stream("Who denied the deployment?", mode="poetry"))
    finally:
        engine.close()
        model.close()


def test_a_killed_engine_is_replaced_and_the_question_it_was_answering_says_so(settings):
    engine = EngineProcess(settings)
    try:
        engine.wait_ready()
        first = engine.pid
        os.kill(first, signal.SIGSTOP)  # hold the question inside the engine
        failures: list[EngineError] = []

        def ask() -> None:
            try:
                engine.ask("Who denied the deployment?")
            except EngineError as error:
                failures.append(error)

        asking = threading.Thread(target=ask)
        asking.start()
        wait_until(engine._lock.locked, what="the question to reach the engine")
        os.kill(first, signal.SIGKILL)
        asking.join(timeout=120)
        assert [(str(e), e.kind) for e in failures] == [
            ("the engine process stopped; a new one is starting", Failure.ENGINE_STOPPED)]
        assert engine.pid != first and engine.restarts == 1
        assert engine.ask("Who denied the deployment?").short_answer == "North Korea"

        second = engine.pid
        os.kill(second, signal.SIGKILL)  # while idle: replaced before anyone asks
        wait_until(lambda: engine.restarts == 2, what="a new engine")
        assert engine.pid != second
        assert engine.ask("Who is Robert Wood?").short_answer
    finally:
        engine.close()
    assert not engine._process.is_alive() and engine.restarts == 2


def _dies_while_loading(connection, settings) -> None:
    os._exit(3)


def test_an_engine_that_keeps_dying_while_loading_is_not_restarted_forever(settings):
    engine = EngineProcess(settings, target=_dies_while_loading)
    try:
        wait_until(lambda: engine._broken, what="the engine to be given up")
        assert engine.restarts == MAX_FAILED_STARTS - 1
        with pytest.raises(EngineError, match="stopped 3 times while loading") as failure:
            engine.ask("Who denied the deployment?")
        assert failure.value.kind == Failure.ERROR
    finally:
        engine.close()


def test_an_unreachable_chroma_server_is_its_own_kind_of_failure(settings):
    from assistant.store.chroma import StoreError
    from assistant.web.engine import _failed

    unreachable = _failed(StoreError("the Chroma server at 127.0.0.1:9 does not answer"))
    assert unreachable == Failed("the Chroma server at 127.0.0.1:9 does not answer",
                                 Failure.STORE_UNREACHABLE)
    assert _failed(ValueError("bad"), named=True) == Failed("ValueError: bad", Failure.ERROR)
