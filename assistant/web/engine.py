"""The assistant in a process of its own, for the chat page.

Importing the web framework and loading the embedding model are both seconds of Python work.
In one process they take turns on the interpreter lock; in two processes they run side by side
on two cores, so the page is up and answering sooner. The page talks to the engine through a
pipe with the same small interface it would use in-process (``ask``, ``chunk`` and the corpus
counts), and the engine process is built by the same ``Assistant.open``.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.models import Answer, Chunk
from assistant.settings import Settings


@dataclass(frozen=True)
class CountsRequest:
    """How many articles and chunks are indexed (answered once the engine has loaded)."""


@dataclass(frozen=True)
class ChunkRequest:
    chunk_id: str


@dataclass(frozen=True)
class AskRequest:
    question: str
    history: tuple[Any, ...] = ()
    mode: str | None = None
    stream: bool = False  # True: one ``Part`` per growing answer, then ``Done(None)``


@dataclass(frozen=True)
class StopRequest:
    """Finish: the page is closing."""


Request = CountsRequest | ChunkRequest | AskRequest | StopRequest


@dataclass(frozen=True)
class Counts:
    articles: int
    chunks: int


@dataclass(frozen=True)
class Part:
    """One state of a streamed answer."""

    answer: Answer


@dataclass(frozen=True)
class Done:
    """The reply to a request: counts, a chunk (or None), an answer, or None after a stream."""

    value: Counts | Chunk | Answer | None


@dataclass(frozen=True)
class Failed:
    """The request could not be answered; the message is one line."""

    message: str


Reply = Part | Done | Failed


class EngineError(RuntimeError):
    """The engine process could not start or could not answer; the message is one line."""


class EngineProcess:
    """``Assistant`` behind a pipe. Calls wait until the engine has loaded."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=run_engine, args=(child, settings),
                                         name="assistant-engine", daemon=True)
        self._process.start()
        child.close()
        self._lock = threading.Lock()
        self._counts: Counts | None = None
        self._chunks: dict[str, Chunk] = {}

    def _call(self, request: Request) -> Any:
        with self._lock:
            try:
                self._connection.send(request)
                reply: Reply = self._connection.recv()
            except (EOFError, OSError, BrokenPipeError):
                raise EngineError("the engine process stopped") from None
        if isinstance(reply, Failed):
            raise EngineError(reply.message)
        return reply.value

    def wait_ready(self) -> None:
        """Block until the model and index are loaded; raise ``EngineError`` if they failed."""
        self._counts = self._call(CountsRequest())

    @property
    def article_count(self) -> int:
        if self._counts is None:
            self.wait_ready()
        return self._counts.articles

    @property
    def chunk_count(self) -> int:
        if self._counts is None:
            self.wait_ready()
        return self._counts.chunks

    def chunk(self, chunk_id: str) -> Chunk | None:
        """A passage by id; ids are content hashes, so a fetched passage never changes."""
        found = self._chunks.get(chunk_id)
        if found is None:
            found = self._call(ChunkRequest(chunk_id))
            if found is not None and len(self._chunks) < 10_000:
                self._chunks[chunk_id] = found
        return found

    def ask(self, question: str, history: Sequence[Any] | None = None,
            mode: str | None = None) -> Answer:
        return self._call(AskRequest(question, tuple(history or ()), mode))

    def ask_stream(self, question: str, history: Sequence[Any] | None = None,
                   mode: str | None = None) -> Iterator[Answer]:
        """The answer as it grows (see ``Assistant.ask_stream``). A reader who stops early
        still leaves the pipe clean: the rest of the reply is read and dropped."""
        with self._lock:
            finished = False
            try:
                self._connection.send(AskRequest(question, tuple(history or ()), mode,
                                                 stream=True))
                while True:
                    reply: Reply = self._connection.recv()
                    if not isinstance(reply, Part):
                        finished = True
                        break
                    yield reply.answer
            except (EOFError, OSError, BrokenPipeError):
                finished = True
                raise EngineError("the engine process stopped") from None
            finally:
                while not finished:
                    try:
                        finished = not isinstance(self._connection.recv(), Part)
                    except (EOFError, OSError):
                        finished = True
        if isinstance(reply, Failed):
            raise EngineError(reply.message)

    def close(self) -> None:
        """Stop the engine: politely once it is serving, at once while it is still loading."""
        if self._counts is not None:
            try:
                with self._lock:
                    self._connection.send(StopRequest())
            except (OSError, BrokenPipeError):
                pass
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._connection.close()


def run_engine(connection, settings: Settings) -> None:
    """The engine process: open the assistant, then answer requests until told to stop."""
    from assistant.app import Assistant

    assistant = failure = None
    try:
        assistant = Assistant.open(settings=settings)
    except Exception as error:  # noqa: BLE001 - reported to the page process as one line
        failure = str(error) or type(error).__name__
    if assistant is not None:
        # The corpus's words are embedded for synonym matching while the page waits for users.
        threading.Thread(target=assistant.warm_word_vectors, daemon=True).start()
    while True:
        try:
            request: Request = connection.recv()
        except EOFError:
            return
        if isinstance(request, StopRequest):
            return
        if failure is not None:
            connection.send(Failed(failure))
            continue
        try:
            connection.send(Done(_answer_request(assistant, request, connection)))
        except Exception as error:  # noqa: BLE001 - the page shows a short note and goes on
            connection.send(Failed(f"{type(error).__name__}: {error}"))


def _answer_request(assistant, request: Request, connection) -> Counts | Chunk | Answer | None:
    """The value a request asks for; a streamed answer's parts are sent as they come."""
    if isinstance(request, CountsRequest):
        return Counts(assistant.article_count, assistant.chunk_count)
    if isinstance(request, ChunkRequest):
        return assistant.chunk(request.chunk_id)
    if isinstance(request, AskRequest) and request.stream:
        for answer in assistant.ask_stream(request.question, request.history, request.mode):
            connection.send(Part(answer))
        return None  # the last part was the whole answer
    if isinstance(request, AskRequest):
        return assistant.ask(request.question, request.history, request.mode)
    raise ValueError(f"unknown request {type(request).__name__}")
