"""The real page under load: concurrent two-turn conversations keep to their own histories,
and a full queue turns questions away with a busy message, to a program and in the browser.
The longer run with latencies is benchmarks/bench_load.py."""

from __future__ import annotations

import os
import shutil
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client
from gradio_client.utils import QueueError, Status

from benchmarks.conversations import FOLLOW_UP, SUBJECTS, conversation_problems, shown_text
from tests.e2e.serving import serving
from tests.e2e.test_page_e2e import ask, browser, open_page
from tests.support import PROJECT_ROOT, PROMPTS, wait_until

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the Chromium fixture, shared with the page tests

CONVERSATIONS = 16


@pytest.fixture
def corpus(tmp_path):
    target = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", target)
    return target


def converse(url: str, number: int) -> list[dict]:
    """One reader: a question about subject ``number`` and the same follow-up as everyone."""
    client = Client(url, verbose=False)
    client.predict(SUBJECTS[number % len(SUBJECTS)].question, api_name="/ask")
    chat, _, _ = client.predict(FOLLOW_UP, api_name="/ask")
    return chat


def test_concurrent_conversations_resolve_follow_ups_from_their_own_history(tmp_path, corpus):
    with serving(tmp_path, corpus) as served:
        with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
            chats = list(pool.map(lambda n: converse(served.url, n), range(CONVERSATIONS)))
    subjects = [SUBJECTS[n % len(SUBJECTS)] for n in range(CONVERSATIONS)]
    problems = {n: conversation_problems(s, chat)
                for n, (s, chat) in enumerate(zip(subjects, chats, strict=True))}
    assert problems == {n: [] for n in range(CONVERSATIONS)}
    # The check can fail: each conversation read as if it were its neighbour's is caught.
    for n, chat in enumerate(chats):
        neighbour = subjects[(n + 1) % CONVERSATIONS]
        if neighbour != subjects[n]:
            assert conversation_problems(neighbour, chat), n


def test_a_full_queue_turns_questions_away_with_a_busy_message(tmp_path, corpus, browser):
    with serving(tmp_path, corpus, ASSISTANT_UI_CONCURRENCY_LIMIT="1",
                 ASSISTANT_UI_QUEUE_SIZE="1") as served:
        page, _ = open_page(browser, served.url)
        engine = served.engine_pid()
        os.kill(engine, signal.SIGSTOP)  # the engine holds the first question
        try:
            answering = Client(served.url, verbose=False).submit(SUBJECTS[0].question,
                                                                 api_name="/ask")
            wait_until(lambda: answering.status().code in (Status.PROCESSING, Status.ITERATING),
                       what="the first question to be answered")
            waiting = Client(served.url, verbose=False).submit(SUBJECTS[1].question,
                                                               api_name="/ask")
            wait_until(lambda: served.queue_size() == 1, what="the second question to wait")
            turned_away = Client(served.url, verbose=False)
            with pytest.raises(QueueError, match=r"Queue is full! Please try again\."):
                turned_away.predict(SUBJECTS[2].question, api_name="/ask")

            page.fill("#question textarea", SUBJECTS[2].question)
            page.keyboard.press("Enter")
            page.wait_for_selector("#busy", state="visible")
            assert page.inner_text("#busy").strip() == PROMPTS.render("busy")
            assert page.input_value("#question textarea") == SUBJECTS[2].question  # kept
            assert not page.locator("#chat [data-testid=status-tracker] .error").is_visible()
        finally:
            os.kill(engine, signal.SIGCONT)
        for job, subject in ((answering, SUBJECTS[0]), (waiting, SUBJECTS[1])):
            assert subject.marker in shown_text(job.result(timeout=120)[0][-1])
        chat, _, _ = turned_away.predict(SUBJECTS[2].question, api_name="/ask")
        assert SUBJECTS[2].marker in shown_text(chat[-1])

        ask(page, SUBJECTS[2].question, 0)  # asked again once there is room
        assert not page.locator("#busy").is_visible()
        assert SUBJECTS[2].marker in page.locator("#chat [data-testid=bot]").last.inner_text()

