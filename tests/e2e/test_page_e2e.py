"""The real chat page: `assistant serve` on the real model and Chroma, driven by headless Chromium
and by gradio_client, including hostile article markup and Gradio's file routes."""

from __future__ import annotations

import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from tests.e2e.serving import serving
from tests.support import FIXTURES, PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`assistant serve` over the seed article plus an article full of markup."""
    root = tmp_path_factory.mktemp("page")
    corpus = root / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    shutil.copy(FIXTURES / "hostile_markup.md", corpus)
    with serving(root, corpus) as served:
        yield served.url, corpus


def bot_text(chat: list[dict]) -> str:
    content = chat[-1]["content"]
    return content[0]["text"] if isinstance(content, list) else content


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (see README)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(request.url.split("/")[2]))
    page.goto(url)
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelector('#intro')?.innerText.includes('Answering')",
                           timeout=120000)  # the corpus line appears once the model is loaded
    return page, hosts


def ask(page, question: str, answers_before: int) -> None:
    """Ask in the text box and wait until the answer is complete (sources shown or refused)."""
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        """n => {
            const bots = document.querySelectorAll('#chat [data-testid=bot]');
            if (bots.length <= n) return false;
            const last = bots[bots.length - 1];
            return !!document.getElementById(`src-${n + 1}-1`)
                || !!last.querySelector('.refusal, .engine-error');
        }""", arg=answers_before, timeout=30000)


def last_answer(page) -> str:
    return page.locator("#chat [data-testid=bot]").last.inner_text()


def test_browser_conversation_with_highlighted_sources(server, browser, tmp_path):
    url, _ = server
    page, hosts = open_page(browser, url)
    assert "Answering from 2 articles" in page.inner_text("body")
    assert page.get_by_text("Who denied the deployment?").count() >= 1  # an example question

    ask(page, "Who denied the deployment?", 0)
    assert "North Korea" in page.locator("#chat [data-testid=bot] strong").first.inner_text()
    highlighted = page.locator("#sources #src-1-1 mark").inner_text()
    assert "officially denied sending troops" in highlighted
    page.locator("#chat a.cite").first.hover()
    page.wait_for_selector("#src-1-1.active")

    ask(page, "Which agency made the allegation?", 1)
    assert "intelligence" in last_answer(page)
    ask(page, "How many troops did it say were in Russia?", 2)
    assert "1,500" in last_answer(page)
    assert "1,500" in page.locator("#sources #src-3-1 mark").inner_text()
    page.screenshot(path=str(tmp_path / "conversation.png"), full_page=True)
    assert (tmp_path / "conversation.png").stat().st_size > 10_000

    page.get_by_role("button", name="New conversation").click()
    page.wait_for_function("!document.querySelector('#chat [data-testid=bot]')")
    assert "Sources appear here" in page.inner_text("#sources")
    ask(page, "What did Xi Jinping say about the troops?", 0)
    assert page.locator("#chat .refusal-badge").inner_text() == "Not in the coverage"
    assert "Xi Jinping" in page.locator("#chat .refusal").inner_text()
    assert set(hosts) == {url.split("/")[2]}, f"the page loaded remote resources: {hosts}"


def test_article_markup_is_shown_as_text_and_never_runs(server, browser, tmp_path):
    url, _ = server
    page, hosts = open_page(browser, url)
    ask(page, "What did the organisers' statement end with?", 0)
    ask(page, "What was posted on the festival website?", 1)
    ask(page, "What did visitors share on social media during the parade?", 2)
    ask(page, "<img src=x onerror=\"window.__injected='question'\"> what was the crowd?", 3)
    page.screenshot(path=str(tmp_path / "markup.png"), full_page=True)
    sources = page.inner_text("#sources")
    assert "<script>window.__injected" in sources  # visible as text
    assert '<img src="http://203.0.113.7/pixel.png"' in sources
    assert "![the lanterns](http://203.0.113.7/lanterns.png)" in sources
    assert "<img src=x" in page.inner_text("#chat")
    assert "Coastal <b>Gazette</b> · 2026-08-14" in page.locator(
        "#sources .source-byline").first.inner_text()
    assert page.evaluate("typeof window.__injected") == "undefined"
    for area in ("#chat", "#sources"):
        assert page.locator(f"{area} .message-content script, {area} .source script").count() == 0
        assert page.locator(f"{area} .message-content img, {area} .source img").count() == 0
    assert page.locator("#sources a[href^='javascript']").count() == 0
    assert not any("203.0.113.7" in host for host in hosts)


def test_client_two_turn_conversation(server):
    url, _ = server
    client = Client(url, verbose=False)
    chat, _, _ = client.predict("Which agency made the allegation?", api_name="/ask")
    assert "intelligence agency" in bot_text(chat)
    chat, sources, _ = client.predict("How many troops did it say were in Russia?",
                                      api_name="/ask")
    assert "1,500" in bot_text(chat) and len(chat) == 4
    assert 'id="src-2-1"' in sources


CONVERSATIONS = [
    (("Who denied the deployment?", "North Korea"),
     ("What did it call the claims?", "groundless rumors")),
    (("Which agency made the allegation?", "intelligence agency"),
     ("How many troops did it say were in Russia?", "1,500")),
    (("How many visitors came to the harbour festival?", "42,000"),
     ("Who ran the stalls?", "volunteers")),
]


def test_ten_concurrent_conversations_keep_their_own_histories(server):
    url, _ = server

    def converse(number: int) -> tuple[list[dict], list[float]]:
        client = Client(url, verbose=False)
        timings, chat = [], []
        for question, expected in CONVERSATIONS[number % len(CONVERSATIONS)]:
            started = time.perf_counter()
            chat, _, _ = client.predict(question, api_name="/ask")
            timings.append(time.perf_counter() - started)
            assert expected in bot_text(chat), (number, question, bot_text(chat))
        return chat, timings

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(converse, range(10)))
    for number, (chat, _) in enumerate(results):
        asked = [m["content"][0]["text"] for m in chat if m["role"] == "user"]
        assert asked == [q for q, _ in CONVERSATIONS[number % len(CONVERSATIONS)]]
    latencies = sorted(t for _, timings in results for t in timings)
    print(f"20 answers: p50 {statistics.median(latencies):.2f} s, max {latencies[-1]:.2f} s")


def test_an_oversized_question_is_refused_with_a_message(server):
    url, _ = server
    chat, _, _ = Client(url, verbose=False).predict("why " * 400, api_name="/ask")
    assert "too long" in bot_text(chat) and "refusal" in bot_text(chat)


@pytest.mark.parametrize("route", [
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=../../../../etc/passwd",
    "/gradio_api/file=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/file={project}/pyproject.toml",
    "/gradio_api/file={corpus}/hostile_markup.md",
    "/gradio_api/file=pyproject.toml",
    "/file={project}/pyproject.toml",
])
def test_file_routes_serve_nothing_outside_the_page(server, route):
    url, corpus = server
    target = url.rstrip("/") + route.format(project=PROJECT_ROOT, corpus=corpus)
    response = httpx.get(target, timeout=10)
    assert response.status_code in (403, 404), (response.status_code, response.text[:200])
    assert "root:" not in response.text and "news-assistant" not in response.text
