"""Faults on the real page: a Chroma server restarted mid-run and an engine process killed.
The page says what happened in one line and answers again, without being restarted. Recovery
times are measured by benchmarks/bench_faults.py."""

from __future__ import annotations

import os
import shutil
import signal

import pytest
from gradio_client import Client
from gradio_client.utils import Status

from benchmarks.conversations import shown_text
from benchmarks.processes import ChromaServer
from tests.e2e.serving import serving
from tests.llm_server import Reply, ScriptedLLM
from tests.support import PROJECT_ROOT, PROMPTS, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def corpus(tmp_path):
    target = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", target)
    return target


def test_a_restarted_chroma_server_fails_questions_in_one_line_then_answers_again(tmp_path,
                                                                                    corpus):
    chroma = ChromaServer(tmp_path / "chroma")
    chroma.start()
    try:
        with serving(tmp_path, corpus, CHROMA_HOST=chroma.host, CHROMA_PORT=str(chroma.port),
                     ASSISTANT_CHROMA_RETRY_S="1") as served:
            client = Client(served.url, verbose=False)
            chat, _, _ = client.predict("Who denied the deployment?", api_name="/ask")
            assert "North Korea" in shown_text(chat[-1])
            engine = served.engine_pid()

            chroma.stop()
            for _ in range(2):  # every question asked while it is down
                chat, _, _ = client.predict("Which agency made the allegation?",
                                            api_name="/ask")
                note = shown_text(chat[-1])
                assert note == PROMPTS.render("store_unreachable") and "\n" not in note

            chroma.start()  # same data, same port
            chat, _, _ = client.predict("Which agency made the allegation?", api_name="/ask")
            assert "intelligence agency" in shown_text(chat[-1])
            chat, _, _ = client.predict("How many troops did it say were in Russia?",
                                        api_name="/ask")
            assert "1,500" in shown_text(chat[-1])  # the conversation went on
            assert served.process.poll() is None and served.engine_pid() == engine
    finally:
        chroma.stop()


def test_a_killed_engine_is_replaced_and_the_question_it_was_answering_says_so(tmp_path,
                                                                                corpus):
    model = ScriptedLLM()  # a model that takes its time, so the engine is mid-question
    model.script(Reply("North Korea denied it [1].", delay_s=600))
    try:
        with serving(tmp_path, corpus, ASSISTANT_LLM_BASE_URL=model.url,
                     ASSISTANT_LLM_MODEL="scripted-model") as served:
            client = Client(served.url, verbose=False)
            chat, _, _ = client.predict("Who is Robert Wood?", "extractive", api_name="/ask")
            assert "Ambassador" in shown_text(chat[-1])
            engine = served.engine_pid()

            asked = client.submit("Who denied the deployment?", "llm", api_name="/ask")
            wait_until(lambda: model.requests, what="the engine to ask the model")
            os.kill(engine, signal.SIGKILL)
            chat = asked.result(timeout=120)[0]
            assert asked.status().code == Status.FINISHED
            note = shown_text(chat[-1])
            assert note == PROMPTS.render("engine_restarted") and "\n" not in note

            chat, _, _ = client.predict("Who denied the deployment?", "extractive",
                                        api_name="/ask")
            assert "North Korea" in shown_text(chat[-1])
            assert served.process.poll() is None
            assert served.engine_pid() not in (None, engine)
            log = (tmp_path / "serve.log").read_text()
            assert "the engine process stopped (exit code -9); starting a new one" in log
    finally:
        model.close()
