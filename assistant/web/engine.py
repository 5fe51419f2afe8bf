"""The assistant in a process of its own, for the chat page.

Importing the web framework and loading the embedding model are both seconds of Python work.
In one process they take turns on the interpreter lock; in two processes they run side by side
on two cores, so the page is up and answering sooner. The page talks to the engine through a
pipe with the same small interface it would use in-process (``ask``, ``chunk`` and the corpus
counts), and the engine process is built by the same ``Assistant.open``.

If the engine process dies (killed, out of memory), the page process notices at once, starts a
new one, and the question it was answering fails with ``Failure.ENGINE_STOPPED``; questions
after that wait for the new engine to load.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from multiprocessing.connection import wait
from typing import Any

from assistant.models import Answer, Chunk
from assistant.settings import Settings

log = logging.getLogger(__name__)
# An engine that dies this many times in a row before answering anything is not restarted.
MAX_FAILED_STARTS = 3


class Failure(StrEnum):
    """Why a request failed, so the page can tell the reader what to do."""

    ERROR = "error"  # this question failed (logged)
    STORE_UNREACHABLE = "store_unreachable"  # the Chroma server does not answer for now
    ENGINE_STOPPED = "engine_stopped"  # the engine process died; a new one is starting


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
    kind: Failure = Failure.ERROR


Reply = Part | Done | Failed


class EngineError(RuntimeError):
    """The engine process could not start or could not answer; the message is one line."""

    def __init__(self, message: str, kind: Failure = Failure.ERROR) -> None:
        super().__init__(message)
        self.kind = kind


class EngineProcess:
    """``Assistant`` behind a pipe. Calls wait until the engine has loaded; one request is on
    the pipe at a time. A watcher thread replaces an engine process that dies."""

    def __init__(self, settings: Settings, target: Callable[..., None] | None = None) -> None:
        self.settings = settings
        self._target = target or run_engine  # what the engine process runs (tests swap it)
        self.restarts = 0  # engine processes started in place of one that died
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._closed = False
        self._broken: str | None = None
        self._failed_starts = 0
        self._counts: Counts | None = None
        self._chunks: dict[str, Chunk] = {}
        self._spawn()
        threading.Thread(target=self._watch, name="engine-watch", daemon=True).start()

    def _spawn(self) -> None:
        self._connection, child = self._context.Pipe()
        self._process = self._context.Process(target=self._target, args=(child, self.settings),
                                               name="assistant-engine", daemon=True)
        self._process.start()
        child.close()
        self._replied = False

    @property
    def pid(self) -> int | None:
        """The engine process's id (it changes when a dead engine is replaced)."""
        return self._process.pid

    def _replace(self, dead: multiprocessing.process.BaseProcess) -> None:
        """Start a new engine in place of ``dead``, unless it was replaced already or the page
        is closing, or has been given up. The caller holds the lock."""
        if self._closed or self._broken or self._process is not dead:
            return
        dead.join(timeout=5)
        if dead.is_alive():  # it closed the pipe but did not exit
            dead.kill()
            dead.join()
        self._connection.close()
        self._failed_starts = 0 if self._replied else self._failed_starts + 1
        if self._failed_starts >= MAX_FAILED_STARTS:
            self._broken = (f"the engine process stopped {self._failed_starts} times while "
                            "loading; see the page's log")
            log.error("%s; not starting another", self._broken)
            return
        log.warning("the engine process stopped (exit code %s); starting a new one",
                    dead.exitcode)
        self.restarts += 1
        self._spawn()

    def _watch(self) -> None:
        """Replace the engine as soon as its process ends, not only when a question finds it
        dead, so the next question waits for less of the new engine's loading."""
        while True:
            process = self._process
            wait([process.sentinel])
            with self._lock:
                if self._closed or self._broken:
                    return
                self._replace(process)

    def _stopped(self) -> EngineError:
        if self._closed or self._broken:
            return EngineError(self._broken or "the engine process stopped")
        return EngineError("the engine process stopped; a new one is starting",
                           Failure.ENGINE_STOPPED)

    def _call(self, request: Request) -> Any:
        with self._lock:
            process = self._process
            try:
                self._connection.send(request)
                reply: Reply = self._connection.recv()
            except (EOFError, OSError):
                self._replace(process)
                raise self._stopped() from None
            self._replied = True
        if isinstance(reply, Failed):
            raise EngineError(reply.message, reply.kind)
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
            process = self._process
            finished = False
            try:
                self._connection.send(AskRequest(question, tuple(history or ()), mode,
                                                 stream=True))
                while True:
                    reply: Reply = self._connection.recv()
                    self._replied = True
                    if not isinstance(reply, Part):
                        finished = True
                        break
                    yield reply.answer
            except (EOFError, OSError):
                finished = True
                self._replace(process)
                raise self._stopped() from None
            finally:
                while not finished:
                    try:
                        finished = not isinstance(self._connection.recv(), Part)
                    except (EOFError, OSError):
                        finished = True
        if isinstance(reply, Failed):
            raise EngineError(reply.message, reply.kind)

    def close(self) -> None:
        """Stop the engine: politely once it is serving, at once while it is still loading."""
        self._closed = True
        if self._counts is not None:
            try:
                with self._lock:
                    self._connection.send(StopRequest())
            except OSError:
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
        failure = _failed(error)
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
            connection.send(failure)
            continue
        try:
            connection.send(Done(_answer_request(assistant, request, connection)))
        except Exception as error:  # noqa: BLE001 - the page shows a short note and goes on
            connection.send(_failed(error, named=True))


def _failed(error: Exception, named: bool = False) -> Failed:
    """A one-line failure; an unreachable Chroma server is told apart from other errors."""
    from assistant.store.chroma import StoreError

    if isinstance(error, StoreError):
        return Failed(str(error), Failure.STORE_UNREACHABLE)
    message = str(error) or type(error).__name__
    return Failed(f"{type(error).__name__}: {message}" if named else message)


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
