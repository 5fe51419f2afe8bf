"""A scripted OpenAI chat-completions server on loopback, for the ``llm`` answer mode's tests.

It speaks the protocol for real (JSON replies, or server-sent events when the request asks to
stream), answers from a queue of scripted replies, and records every request. With the queue
empty it falls back to a reader model: a deterministic stand-in that answers from the passages
in the prompt, used to run the whole golden set in ``llm`` mode.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from assistant.text.lexical import terms
from assistant.text.sentences import split_sentences


@dataclass
class Reply:
    text: str = ""
    delay_s: float = 0.0  # wait this long before answering (a model that hangs)
    status: int = 200
    body: str | None = None  # sent as is instead of the protocol (a broken server)
    hold: threading.Event | None = None  # when streaming, wait for it before the last sentence
    pace_s: float = 0.0  # when streaming, pause this long after every event (a slow model)

    def pieces(self) -> list[tuple[str, bool]]:
        """What each streamed event carries (a few words, as models send them), and whether
        it ends a sentence."""
        out = []
        for sentence in re.split(r"(?<=[.!?\]])(?=\s+[A-Z!\[])", self.text):
            words = re.findall(r"\S+\s*|\s+", sentence)
            out += [("".join(words[at:at + 3]), at + 3 >= len(words))
                    for at in range(0, len(words), 3)]
        return out


class ScriptedLLM:
    """The server; ``script(...)`` queues replies, ``requests`` holds what it was sent."""

    def __init__(self, fallback: Callable[[dict], Reply] | None = None) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict] = []
        self.fallback = fallback or (lambda request: Reply(""))
        self.closing = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append({"path": self.path, **request})
                reply = owner.replies.popleft() if owner.replies else owner.fallback(request)
                if reply.delay_s and owner.closing.wait(reply.delay_s):
                    return
                try:
                    owner._answer(self, request, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, request: dict, reply: Reply) -> None:
        if reply.body is not None:
            _send(handler, 200, reply.body.encode(), "application/json")
            return
        if reply.status != 200:
            error = {"error": {"message": "scripted failure", "type": "server_error"}}
            _send(handler, reply.status, json.dumps(error).encode(), "application/json")
            return
        model = request.get("model", "scripted")
        if not request.get("stream"):
            body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0,
                    "model": model, "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": reply.text}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
            _send(handler, 200, json.dumps(body).encode(), "application/json")
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        pieces = reply.pieces()
        last = max((i for i, (_, ends) in enumerate(pieces[:-1]) if ends), default=-1)
        for index, (piece, _) in enumerate(pieces):
            _event(handler, model, {"content": piece}, None)
            time.sleep(reply.pace_s)
            if reply.hold is not None and index == last:
                reply.hold.wait(10)
        _event(handler, model, {}, "stop")
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _event(handler: BaseHTTPRequestHandler, model: str, delta: dict, finish: str | None) -> None:
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
             "model": model, "choices": [{"index": 0, "delta": delta,
                                          "finish_reason": finish}]}
    handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
    handler.wfile.flush()
    time.sleep(0.001)


_PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.DOTALL)
HALLUCINATION = "Analysts expect 20,000 more troops to follow within a month"


def reader_model(request: dict) -> Reply:
    """Answers like a small, careless model: the passage sentence that shares most words with
    the question, reworded at the start, then one invented sentence that the check must drop.
    Rewrites a follow-up by joining it to the reader's previous question."""
    messages = request.get("messages", [])
    system = messages[0]["content"] if messages else ""
    user = messages[-1]["content"] if messages else ""
    if system.startswith("Rewrite"):
        asked = user.rsplit("Last question:", 1)[-1].strip()
        earlier = re.findall(r"^Reader: (.*)$", user, re.MULTILINE)
        return Reply(f"{asked} ({earlier[-1]})" if earlier else asked)
    question = user.rsplit("Question:", 1)[-1].strip()
    wanted = set(terms(question))
    best, best_n, best_score = "", 0, 0.0
    for n, text in _PASSAGE.findall(user):
        for span in split_sentences(text):
            sentence = text[span.start:span.end]
            score = len(wanted & set(terms(sentence))) / (len(wanted) or 1)
            if score > best_score:
                best, best_n, best_score = sentence, int(n), score
    if best_score < 0.5:
        no_answer = re.search(r"nothing else: (.*)$", system, re.MULTILINE)
        return Reply(no_answer.group(1) if no_answer else "I don't know.")
    return Reply(f"According to the coverage, {best} [{best_n}] {HALLUCINATION} [{best_n}].")
