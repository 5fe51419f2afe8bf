"""Sentence vectors and parses in small files beside the manifest, two files per article.

The answerer only ever reads the vectors and parses of the sentences in the chunks a question
retrieved; nothing searches sentences by vector. Kept in a Chroma collection the vectors would
cost a vector index that is loaded whole into memory (about 1.3 GB at 100,000 chunks) and a
second, larger write at ingest; kept as chunk metadata, the parses (three times the size of
the text) would be read for every chunk each time the assistant opens. Here each article's
sentence ids and vectors (float16) are one ``.npy`` file and its sentences' parses one
``.parse.json`` file, named by a digest of the article id, each written to a temporary name
and renamed into place, so a reader never sees half a file. The parses are written first: an
article with vectors has its parses. With a Chroma server they stay in the local index
folder, like the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import astuple
from pathlib import Path

import numpy as np

from assistant.models import Sentence, Token

SUFFIX = ".npy"
PARSES = ".parse.json"
_ID = "S32"  # sentence ids are "s-" and 24 hex digits
log = logging.getLogger(__name__)


def file_stem(doc_id: str) -> str:
    """The file name (without suffix) of an article: article ids are paths, often long."""
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:32]


class SentenceFiles:
    """Reads and writes the sentence vectors and parses of one index's articles in
    ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, doc_id: str, suffix: str = SUFFIX) -> Path:
        return self.folder / f"{file_stem(doc_id)}{suffix}"

    def _replace(self, path: Path, data: bytes) -> None:
        """Write ``data`` to a temporary file (named like ``path``, so ``keep_only`` sweeps
        it if the write is killed) and rename it to ``path``."""
        suffix = PARSES if path.name.endswith(PARSES) else SUFFIX
        handle, temporary = tempfile.mkstemp(prefix=".", suffix=suffix, dir=self.folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def write(self, sentences: list[Sentence], vectors: np.ndarray,
              tokens: Sequence[tuple[Token, ...]]) -> None:
        """Store the vectors and parses (one of each per sentence) of any number of articles'
        sentences, replacing what each article had."""
        self.folder.mkdir(parents=True, exist_ok=True)
        rows: dict[str, list[int]] = {}
        for row, sentence in enumerate(sentences):
            rows.setdefault(sentence.doc_id, []).append(row)
        for doc_id, own in rows.items():
            parses = {sentences[row].sentence_id: [list(astuple(t)) for t in tokens[row]]
                      for row in own}
            self._replace(self._path(doc_id, PARSES),
                          json.dumps(parses, separators=(",", ":")).encode("utf-8"))
            records = np.empty(len(own), dtype=[("id", _ID), ("vector", "<f2",
                                                              (vectors.shape[1],))])
            records["id"] = [sentences[row].sentence_id.encode("ascii") for row in own]
            records["vector"] = vectors[own]
            buffer = io.BytesIO()
            np.save(buffer, records, allow_pickle=False)
            self._replace(self._path(doc_id), buffer.getvalue())

    def read(self, sentences: Iterable[Sentence]) -> dict[str, np.ndarray]:
        """The stored vectors (float32) of these sentences, by sentence id; a sentence whose
        article or version is not stored is left out."""
        wanted: dict[str, set[str]] = {}
        for sentence in sentences:
            wanted.setdefault(sentence.doc_id, set()).add(sentence.sentence_id)
        found: dict[str, np.ndarray] = {}
        for doc_id, ids in wanted.items():
            path = self._path(doc_id)
            try:
                records = np.load(path, allow_pickle=False)
                if records.dtype.names != ("id", "vector"):
                    raise ValueError(f"holds {records.dtype}, not sentence ids and vectors")
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as error:  # damaged on disk: answer without them
                log.warning("unreadable sentence vectors %s (%s); delete the file and run "
                            "`assistant ingest` to embed its article again", path, error)
                continue
            for raw, vector in zip(records["id"], records["vector"], strict=True):
                sentence_id = raw.decode("ascii")
                if sentence_id in ids:
                    found[sentence_id] = vector.astype(np.float32)
        return found

    def read_tokens(self, sentences: Iterable[Sentence]) -> dict[str, tuple[Token, ...]]:
        """The stored parses of these sentences, by sentence id; a sentence whose article
        has none readable is left out (it is answered from its words and entities alone)."""
        wanted: dict[str, set[str]] = {}
        for sentence in sentences:
            wanted.setdefault(sentence.doc_id, set()).add(sentence.sentence_id)
        found: dict[str, tuple[Token, ...]] = {}
        for doc_id, ids in wanted.items():
            path = self._path(doc_id, PARSES)
            try:
                parses = json.loads(path.read_bytes())
                found.update({sentence_id: tuple(Token(*row) for row in parses[sentence_id])
                              for sentence_id in ids & parses.keys()})
            except FileNotFoundError:
                continue
            except (OSError, ValueError, TypeError, AttributeError) as error:
                # Damaged, or not a parse file: answer without it, and say how to mend it.
                log.warning("unreadable sentence parses %s (%s); delete it and run "
                            "`assistant ingest` to parse its article again", path, error)
        return found

    def delete(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            self._path(doc_id, PARSES).unlink(missing_ok=True)
            self._path(doc_id).unlink(missing_ok=True)

    def stems(self) -> set[str]:
        """The file stems of the articles stored whole, with vectors and parses (see
        ``file_stem``): an article missing either is embedded and parsed again at ingest."""
        def present(suffix: str) -> set[str]:
            return {p.name.removesuffix(suffix) for p in self._files(suffix)
                    if not p.name.startswith(".")}

        return present(SUFFIX) & present(PARSES)

    def keep_only(self, stems: set[str]) -> None:
        """Delete every file but those of ``stems``, with what a killed write left behind."""
        for path in self._files(SUFFIX, PARSES):
            if path.name.startswith(".") or \
                    path.name.removesuffix(SUFFIX).removesuffix(PARSES) not in stems:
                path.unlink(missing_ok=True)

    def _files(self, *suffixes: str) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return [p for p in self.folder.iterdir() if p.name.endswith(suffixes or (SUFFIX,))]

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
