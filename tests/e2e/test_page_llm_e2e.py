"""The chat page in the llm answer mode: a real `assistant serve` (real model, Chroma, files)
talking to a scripted OpenAI-protocol server on loopback, driven by headless Chromium and by
gradio_client. Sentences appear once they passed the check; an invented one never does."""

from __future__ import annotations

import html
import re
import shutil
import threading

import pytest
from gradio_client import Client

from assistant.prompts import Prompts
from tests.e2e.serving import serving
from tests.e2e.test_page_e2e import ask, bot_text, browser, last_answer, open_page
from tests.llm_server import HALLUCINATION, Reply, ScriptedLLM
from tests.support import PROJECT_ROOT

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the Chromium fixture, shared with the page tests

FAITHFUL = "North Korea officially denied sending troops to Russia"
PROMPTS = Prompts(PROJECT_ROOT / "prompts")


@pytest.fixture(scope="module")
def model():
    scripted = ScriptedLLM()
    yield scripted
    scripted.close()


@pytest.fixture(scope="module")
def page_url(tmp_path_factory, model):
    root = tmp_path_factory.mktemp("page-llm")
    corpus = root / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    with serving(root, corpus, ASSISTANT_ANSWER_MODE="llm", ASSISTANT_LLM_BASE_URL=model.url,
                 ASSISTANT_LLM_MODEL="scripted-model", ASSISTANT_LLM_TIMEOUT_S="30") as served:
        yield served.url


def test_written_answers_appear_sentence_by_sentence_once_checked(page_url, model, browser):
    model.replies.clear()
    last_sent = threading.Event()
    model.script(Reply(f"{FAITHFUL} [1]. {HALLUCINATION} [1]. It labeled the claims "
                       "“groundless rumors” [1].", hold=last_sent))
    page, hosts = open_page(browser, page_url)
    assert page.locator("#mode").is_visible()
    page.fill("#question textarea", "Who denied the deployment?")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelector('#chat [data-testid=bot]')?.innerText.includes("
        "'North Korea officially denied')", timeout=60000)
    # The model still holds back its last sentence: the first one is shown, checked and
    # cited, the answer is marked as still being written, and the invented one is nowhere.
    partial = last_answer(page)
    assert "Writing the answer and checking" in partial and "groundless" not in partial
    assert "officially denied sending troops" in page.locator("#sources #src-1-1 mark").inner_text()
    last_sent.set()
    page.wait_for_selector("#chat .check-line:not(.pending)", timeout=30000)
    final = last_answer(page)
    assert f"{FAITHFUL}." in final and "“groundless rumors”." in final
    assert "Written by scripted-model" in final and "1 sentence left out" in final
    assert "North Korea" in page.locator("#chat [data-testid=bot] strong").first.inner_text()
    assert "20,000" not in page.inner_text("body")
    assert set(hosts) == {page_url.split("/")[2]}

    page.get_by_label("Quoted sentences").check()
    ask(page, "Which agency made the allegation?", 1)
    quoted = last_answer(page)
    assert "intelligence" in quoted and "Written by" not in quoted


def test_a_failing_model_shows_the_quoted_answer_with_a_note(page_url, model, browser):
    model.replies.clear()
    model.script(Reply(status=500))
    page, _ = open_page(browser, page_url)
    ask(page, "Who denied the deployment?", 0)
    text = last_answer(page)
    note = PROMPTS.render("llm_fallback", reason="the model's server answered HTTP 500")
    assert note in text and "North Korea has officially denied sending troops" in text
    assert "Traceback" not in page.inner_text("body")


def plain(chat: list[dict]) -> str:
    """The last answer as a reader sees it: tags dropped, character references decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", bot_text(chat)))


def test_programs_choose_the_mode_through_gradio_client(page_url, model):
    model.replies.clear()
    model.script(Reply(f"{FAITHFUL} [1]."))
    client = Client(page_url, verbose=False)
    chat, _, _ = client.predict("Who denied the deployment?", "llm", api_name="/ask")
    assert plain(chat) == (f"{FAITHFUL}. [1]Written by scripted-model; each sentence checked "
                           "against the sentence it cites.")
    chat, _, _ = client.predict("Who denied the deployment?", "extractive", api_name="/ask")
    assert plain(chat).startswith("North Korea has officially denied")
    assert "Written by" not in plain(chat)
