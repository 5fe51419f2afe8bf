"""The ingest manifest: which article versions are fully stored in the index.

It is written after each article, atomically, so a killed ingest resumes where it stopped. Its
fingerprint covers everything that changes what is stored (model, chunking, cleaning); a
manifest with another fingerprint is ignored and the index rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.ingest.tagging import TAGGER
from assistant.settings import Settings

MANIFEST_VERSION = 5  # 3: sentence vectors in files, not a Chroma collection; 4: entities;
# 5: parses
CLEANING_VERSION = 2  # 2: sentences that instruct a model are left out


@dataclass(frozen=True)
class ManifestEntry:
    """One stored article: the hash of the text it was built from, and its chunk count."""

    hash: str
    chunks: int


def fingerprint(settings: Settings, embedder_name: str) -> str:
    """Everything that changes what is stored; a change forces a rebuild."""
    key = json.dumps([MANIFEST_VERSION, CLEANING_VERSION, embedder_name, TAGGER,
                      settings.chunk_size, settings.chunk_overlap])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class Manifest:
    """Which article versions are fully stored, keyed by article id."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.articles: dict[str, ManifestEntry] = {}
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("fingerprint") == fingerprint:
                    self.articles = {doc_id: ManifestEntry(str(entry["hash"]),
                                                           int(entry["chunks"]))
                                     for doc_id, entry in data.get("articles", {}).items()}
            except (OSError, ValueError, TypeError, KeyError, AttributeError):
                self.articles = {}  # unreadable: rebuilt as if there were none

    def total_chunks(self) -> int:
        return sum(entry.chunks for entry in self.articles.values())

    def holds(self, doc_id: str, content_hash: str) -> bool:
        """Whether this version of the article is fully stored."""
        entry = self.articles.get(doc_id)
        return entry is not None and entry.hash == content_hash

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        articles = {doc_id: asdict(entry) for doc_id, entry in self.articles.items()}
        temporary.write_text(json.dumps({"fingerprint": self.fingerprint,
                                         "articles": articles}, indent=1),
                             encoding="utf-8")
        os.replace(temporary, self.path)


def manifest_path(settings: Settings) -> Path:
    return settings.index_dir / f"manifest-{settings.index_key}.json"
