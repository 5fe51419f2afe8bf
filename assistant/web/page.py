"""The chat page: a Gradio chat beside a panel of the cited sources.

The page is a thin shell over ``Assistant.ask``: each browser session keeps its own
conversation in ``gr.State`` and sends it as ``history``, exactly as the CLI and the JSON API
do, so follow-ups resolve the same way everywhere. All HTML comes from ``assistant.web.render``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from assistant.models import Answer, AnswerMode, Chunk, Turn
from assistant.prompts import Prompts
from assistant.settings import Settings
from assistant.web.engine import EngineError, Failure
from assistant.web.render import answer_html, answer_pieces, error_html, escape, sources_html

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
TITLE = '<h1 class="page-title">News coverage assistant</h1>'
# The note shown in place of an answer, by why the engine could not answer.
FAILURE_NOTES = {Failure.ERROR: "engine_error", Failure.STORE_UNREACHABLE: "store_unreachable",
                 Failure.ENGINE_STOPPED: "engine_restarted"}


class Engine(Protocol):
    """What the page needs from the assistant (``Assistant`` in-process and
    ``worker.EngineProcess`` behind a pipe both satisfy it)."""

    settings: Settings

    @property
    def article_count(self) -> int: ...

    @property
    def chunk_count(self) -> int: ...

    def chunk(self, chunk_id: str) -> Chunk | None: ...

    def ask_stream(self, question: str, history: Sequence[Any] | None = None,
                   mode: str | None = None) -> Iterator[Answer]: ...


@dataclass
class Conversation:
    """One browser session: its turns (sent back as history), answers (for the sources panel)
    and the chat as shown (which also holds error notes that are not history)."""

    turns: list[Turn] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)  # the chat as displayed

    def history(self) -> list[dict[str, str]]:
        return [{"role": t.role, "content": t.content} for t in self.turns]


def corpus_line(engine: Engine) -> str:
    settings = engine.settings
    where = (f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
             if settings.uses_server else f"{settings.corpus_dir.name}/")
    articles, chunks = engine.article_count, engine.chunk_count
    return (f'<div class="corpus-line">Answering from <b>{articles} article'
            f'{"s" if articles != 1 else ""}</b> ({chunks} indexed passages) in '
            f"{escape(where)}. Every statement links to the sentence it comes from.</div>")


def intro_html(engine: Engine) -> str:
    return TITLE + corpus_line(engine)


def build_page(engine: Engine, examples: Sequence[str]) -> gr.Blocks:
    """The Blocks app; ``serve`` launches it, tests may mount or launch it themselves."""
    prompts = Prompts(engine.settings.prompts_dir)
    respond = _responder(engine, prompts)
    with gr.Blocks(title="News coverage assistant", analytics_enabled=False) as page:
        conversation = gr.State(Conversation())
        intro = gr.HTML(TITLE + '<div class="corpus-line">Loading the coverage…</div>',
                        elem_id="intro")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="Conversation", height=560, elem_id="chat",
                    examples=[{"text": q} for q in examples],
                    placeholder="Ask about the coverage. Answers quote the articles and cite "
                                "each sentence; if the coverage doesn't say, the assistant "
                                "says so.",
                    buttons=["copy"], sanitize_html=True, render_markdown=True,
                )
                with gr.Row():
                    question = gr.Textbox(
                        show_label=False, placeholder="Ask a question about the coverage…",
                        scale=8, elem_id="question", autofocus=True, submit_btn=False,
                        max_length=engine.settings.max_question_chars + 1,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                with gr.Row():
                    mode = gr.Radio(
                        [("Quoted sentences", AnswerMode.EXTRACTIVE.value),
                         ("Written by the language model, every sentence checked",
                          AnswerMode.LLM.value)],
                        value=engine.settings.answer_mode.value, label="Answers",
                        visible=engine.settings.llm_configured, elem_id="mode",
                    )
                    new = gr.Button("New conversation", elem_id="new-conversation", size="sm")
                # Shown by page.js while the queue is full and turns questions away.
                gr.HTML(f'<div class="busy-note" role="status">{escape(prompts.render("busy"))}'
                        "</div>", elem_id="busy", padding=False)
            with gr.Column(scale=2, elem_id="sources-column"):
                sources = gr.HTML(sources_html([], engine.chunk), label="Sources",
                                  elem_id="sources", padding=False)
        page.load(lambda: intro_html(engine), None, intro, api_visibility="private")
        outputs = [chat, sources, conversation, question]
        inputs = [question, conversation, mode]
        # The three ways to ask share one concurrency group, so ui_concurrency_limit bounds
        # the questions answered at once however they were asked.
        question.submit(respond, inputs, outputs, api_name="ask", concurrency_id="answer")
        ask.click(respond, inputs, outputs, api_visibility="private", concurrency_id="answer")
        chat.example_select(_example_text, None, question, api_visibility="private").then(
            respond, inputs, outputs, api_visibility="private", concurrency_id="answer")
        new.click(lambda: ([], sources_html([], engine.chunk), Conversation(), ""), None,
                  outputs, api_name="new_conversation")
        chat.clear(lambda: (sources_html([], engine.chunk), Conversation()), None,
                   [sources, conversation], api_visibility="private")
    return page


def _quote_only(chunk_id: str) -> None:
    return None


def _example_text(selected: gr.SelectData) -> str:
    return selected.value["text"] if isinstance(selected.value, dict) else str(selected.value)


def _responder(engine: Engine, prompts: Prompts) -> Callable[..., Iterator[tuple]]:
    def respond(message: str, conversation: Conversation, mode: str | None = None
                ) -> Iterator[tuple]:
        """Answer one message, streaming it in: a written answer one checked sentence at a
        time as the engine passes them, a quoted one a cited sentence at a time.

        The chat shown is rebuilt from the session's own conversation, never from what the
        client sends, so an API client sees exactly its own turns.
        """
        message = (message or "").strip()
        shown = conversation.messages + [{"role": "user", "content": escape(message)}]
        panel = sources_html(conversation.answers, engine.chunk)
        turn = len(conversation.answers) + 1
        if mode == AnswerMode.LLM:
            waiting = answer_html(Answer(message, "", None, False, mode=AnswerMode.LLM), turn,
                                  pending=True)
            yield shown + [{"role": "assistant", "content": waiting}], panel, conversation, ""
        else:
            yield shown, panel, conversation, ""
        answer = None
        try:
            for answer in engine.ask_stream(message, conversation.history(), mode):
                if answer.mode == AnswerMode.LLM and answer.answer:
                    reply = {"role": "assistant",
                             "content": answer_html(answer, turn, pending=True)}
                    # The engine is busy streaming: cards show the cited sentence alone
                    # until the answer is complete, then the passage around it.
                    yield shown + [reply], sources_html(conversation.answers + [answer],
                                                        _quote_only), conversation, ""
        except Exception as error:  # noqa: BLE001 - the page stays usable whatever happens
            kind = error.kind if isinstance(error, EngineError) else Failure.ERROR
            if kind == Failure.ERROR:
                log.exception("answering %r failed", message[:200])
            else:  # expected trouble, said in one line by the engine
                log.warning("answering %r failed: %s", message[:200], error)
            failed = {"role": "assistant",
                      "content": error_html(prompts.render(FAILURE_NOTES[kind]))}
            conversation = replace(conversation, messages=shown + [failed])
            yield conversation.messages, panel, conversation, ""
            return
        pieces = [answer.answer] if answer.mode == AnswerMode.LLM else answer_pieces(answer)
        text = ""
        for piece in pieces:
            text = f"{text} {piece}".strip()
            reply = {"role": "assistant", "content": answer_html(answer, turn, text)}
            yield shown + [reply], panel, conversation, ""
        conversation = Conversation(
            conversation.turns + [Turn("user", message), Turn("assistant", answer.answer)],
            conversation.answers + [answer], shown + [reply])
        yield conversation.messages, sources_html(conversation.answers, engine.chunk), \
            conversation, ""

    return respond


def launch(page: gr.Blocks, settings: Settings) -> None:
    """Serve the page on the configured address, with the queue limits from settings, and
    return; ``page.block_thread()`` waits for it to be stopped."""
    page.queue(default_concurrency_limit=settings.ui_concurrency_limit,
               max_size=settings.ui_queue_size)
    page.launch(
        server_name=settings.ui_host, server_port=settings.ui_port, share=False,
        prevent_thread_lock=True, show_error=False, quiet=True, ssr_mode=False,
        theme=_theme(), css=(STATIC / "page.css").read_text(encoding="utf-8"),
        js=(STATIC / "page.js").read_text(encoding="utf-8"),
        blocked_paths=[str(settings.corpus_dir), str(settings.index_dir)],
        footer_links=[], pwa=False, mcp_server=False,
    )


def _theme() -> gr.themes.Base:
    """A theme on the reader's own fonts, so the page fetches nothing from the internet."""
    system = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "monospace"]
    return gr.themes.Soft(font=system, font_mono=mono)
