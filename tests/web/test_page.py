"""The chat page served in-process over a recording fake engine: sessions, history, failures,
queue limits. The real page on the real engine is in e2e/test_page_e2e.py."""

from __future__ import annotations

import html
import re
import threading
from dataclasses import replace

import pytest
from gradio_client import Client
from gradio_client.utils import QueueError

from assistant.models import Answer, Chunk, Citation, Span, Verification
from assistant.web import page as web
from assistant.web.engine import EngineError, Failure
from tests.support import PROMPTS, free_port, wait_until


class FakeEngine:
    """Answers "<question>" with a one-sentence cited answer; records every call. Questions
    wait while ``gate`` is closed; some words make it fail the ways the real engine can."""

    FAILURES = {"index down": ("the Chroma server at 127.0.0.1:9 does not answer",
                               Failure.STORE_UNREACHABLE),
                "engine dies": ("the engine process stopped; a new one is starting",
                                Failure.ENGINE_STOPPED)}

    def __init__(self, settings) -> None:
        self.settings = settings
        self.calls: list[tuple[str, list[dict]]] = []
        self.modes: list[str | None] = []
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.gate.set()
        self.article_count, self.chunk_count = 2, 7

    def chunk(self, chunk_id: str) -> Chunk | None:
        return Chunk(chunk_id, "doc.txt", 0, "Said it.", (Span(0, 8),), title="Doc")

    def ask_stream(self, question, history=None, mode=None):
        self.modes.append(mode)
        answer = self.ask(question, history)
        if mode == "llm":  # a written answer arrives sentence by sentence
            check = Verification("fake-model")
            yield replace(answer, answer="Written. [1]", mode="llm", verification=check)
            answer = replace(answer, answer="Written. [1] More. [1]", mode="llm",
                             verification=check)
        yield answer

    def ask(self, question, history=None) -> Answer:
        with self.lock:
            self.calls.append((question, list(history or [])))
        self.gate.wait()
        if "explode" in question:
            raise RuntimeError("engine broke")
        for words, (message, kind) in self.FAILURES.items():
            if words in question:
                raise EngineError(message, kind)
        quote = "Said it."
        return Answer(question, f"Answer to {question}. [1]", None, False,
                      (Citation(1, "doc.txt", "Doc", "", "", "", "c1", quote, 0, 8),))


@pytest.fixture
def served(make_settings):
    settings = make_settings(ui_port=free_port(), ui_queue_size=5, ui_concurrency_limit=3)
    engine = FakeEngine(settings)
    page = web.build_page(engine, ["Who denied the deployment?", "Another example?"])
    web.launch(page, settings)
    yield page, engine, f"http://127.0.0.1:{settings.ui_port}/"
    page.close()


def bot_text(chat: list[dict]) -> str:
    return chat[-1]["content"][0]["text"] if isinstance(chat[-1]["content"], list) \
        else chat[-1]["content"]


def test_queue_limits_come_from_settings_and_share_stays_off(served):
    page, _, _ = served
    assert page._queue.max_size == 5
    assert page._queue.default_concurrency_limit == 3
    answering = {f.api_name for f in page.fns.values() if f.concurrency_id == "answer"}
    assert answering == {"ask", "respond", "respond_1"}  # Enter, the button, an example
    assert page.share is False
    assert page.config["components"]  # the page was built and is being served


def test_history_is_sent_back_and_sessions_do_not_mix(served):
    _, engine, url = served
    alice, bob = Client(url, verbose=False), Client(url, verbose=False)
    alice.predict("alpha one", api_name="/ask")
    bob.predict("bravo one", api_name="/ask")
    chat, _, cleared = alice.predict("alpha two", api_name="/ask")
    assert cleared == ""
    assert [m["role"] for m in chat] == ["user", "assistant"] * 2
    assert "alpha one" in str(chat) and "bravo" not in str(chat)
    question, history = engine.calls[-1]
    assert question == "alpha two"
    assert history == [{"role": "user", "content": "alpha one"},
                       {"role": "assistant", "content": "Answer to alpha one. [1]"}]
    bob.predict("new", api_name="/new_conversation")
    bob.predict("bravo again", api_name="/ask")
    assert engine.calls[-1] == ("bravo again", [])


def test_engine_failure_shows_a_message_and_the_page_keeps_answering(served, caplog):
    _, engine, url = served
    client = Client(url, verbose=False)
    chat, sources, _ = client.predict("please explode", api_name="/ask")
    assert "Something went wrong" in bot_text(chat)
    assert "Traceback" not in str(chat) and "engine broke" not in str(chat)
    assert any("answering" in r.getMessage() and r.exc_info for r in caplog.records)
    chat, sources, _ = client.predict("calm question", api_name="/ask")
    assert "Answer to calm question" in bot_text(chat)
    assert engine.calls[-1] == ("calm question", [])  # the failed turn is not history
    assert 'id="src-1-1"' in sources and "<mark>Said it&#46;</mark>" in sources


def test_an_unreachable_index_or_a_dead_engine_is_said_in_one_line(served, caplog):
    _, engine, url = served
    client = Client(url, verbose=False)
    for question, note in (("is the index down?", "store_unreachable"),
                           ("what if the engine dies?", "engine_restarted")):
        chat, _, _ = client.predict(question, api_name="/ask")
        assert html.unescape(re.sub(r"<[^>]+>", "", bot_text(chat))) == PROMPTS.render(note)
    assert not any(r.exc_info for r in caplog.records)  # expected trouble: no traceback logged
    chat, _, _ = client.predict("and now?", api_name="/ask")
    assert "Answer to and now?" in html.unescape(bot_text(chat))
    assert engine.calls[-1] == ("and now?", [])  # failed turns are not history


def test_a_full_queue_turns_questions_away_with_a_busy_message(make_settings):
    settings = make_settings(ui_port=free_port(), ui_queue_size=1, ui_concurrency_limit=1)
    engine = FakeEngine(settings)
    engine.gate.clear()  # the engine is busy until the gate opens
    page = web.build_page(engine, [])
    web.launch(page, settings)
    try:
        url = f"http://127.0.0.1:{settings.ui_port}/"
        first, second, third = (Client(url, verbose=False) for _ in range(3))
        answering = first.submit("first", api_name="/ask")
        wait_until(lambda: engine.calls, what="the first question to reach the engine")
        waiting = second.submit("second", api_name="/ask")
        wait_until(lambda: len(page._queue) == 1, what="the second question to be queued")
        with pytest.raises(QueueError, match=r"Queue is full! Please try again\."):
            third.predict("third", api_name="/ask")
        assert [q for q, _ in engine.calls] == ["first"]
        engine.gate.set()
        assert "Answer to first" in bot_text(answering.result(timeout=60)[0])
        assert "Answer to second" in bot_text(waiting.result(timeout=60)[0])
        chat, _, _ = third.predict("third", api_name="/ask")  # taken once there is room
        assert "Answer to third" in bot_text(chat)
        busy = _component(page, "busy")["props"]["value"]
        assert html.unescape(re.sub(r"<[^>]+>", "", busy)) == PROMPTS.render("busy")
    finally:
        page.close()


def test_the_page_shows_the_corpus_and_examples(served):
    page, engine, _ = served
    config = str(page.config)
    assert "Loading the coverage" in config  # until the engine is ready
    assert "Who denied the deployment?" in config and "New conversation" in config
    intro = web.intro_html(engine)
    assert "2 articles" in intro and "7 indexed passages" in intro


def test_the_answer_mode_is_offered_only_with_a_model(make_settings):
    plain = web.build_page(FakeEngine(make_settings()), [])
    assert not _component(plain, "mode")["props"]["visible"]
    settings = make_settings(ui_port=free_port(), llm_base_url="http://127.0.0.1:9/v1",
                             answer_mode="llm")
    engine = FakeEngine(settings)
    page = web.build_page(engine, [])
    mode = _component(page, "mode")["props"]
    assert mode["visible"] and mode["value"] == "llm"
    web.launch(page, settings)
    try:
        client = Client(f"http://127.0.0.1:{settings.ui_port}/", verbose=False)
        chat, _, _ = client.predict("first", api_name="/ask")  # the page's default: llm
        shown = html.unescape(re.sub(r"<[^>]+>", "", bot_text(chat)))
        assert shown == ("Written. [1] More. [1]Written by fake-model; each sentence checked "
                         "against the sentence it cites.")
        chat, _, _ = client.predict("second", "extractive", api_name="/ask")
        assert "Answer to second" in bot_text(chat) and "Written by" not in bot_text(chat)
        assert engine.modes == ["llm", "extractive"]
    finally:
        page.close()


def _component(page, elem_id: str) -> dict:
    return next(c for c in page.config["components"] if c.get("props", {}).get("elem_id") ==
                elem_id)
