"""The ingest manifest: saved and reloaded, ignored when its fingerprint or its file is wrong."""

from __future__ import annotations

import json
import re

import pytest

from assistant.app import embedder_name_for
from assistant.ingest.manifest import Manifest, ManifestEntry, fingerprint, manifest_path
from assistant.settings import Settings

ENTRIES = {"a.txt": ManifestEntry("hash-a", 3), "records.jsonl#r1": ManifestEntry("hash-r", 0)}


@pytest.fixture
def saved(tmp_path):
    manifest = Manifest(tmp_path / "index" / "manifest.json", "fp-1")
    manifest.articles.update(ENTRIES)
    manifest.save()
    return manifest.path


def test_a_saved_manifest_reloads_the_same_entries(saved):
    again = Manifest(saved, "fp-1")
    assert again.articles == ENTRIES
    assert again.total_chunks() == 3
    assert not saved.with_suffix(".tmp").exists()  # written in place atomically


def test_the_file_keeps_the_fingerprint_and_each_articles_hash_and_chunks(saved):
    assert json.loads(saved.read_text(encoding="utf-8")) == {
        "fingerprint": "fp-1",
        "articles": {"a.txt": {"hash": "hash-a", "chunks": 3},
                     "records.jsonl#r1": {"hash": "hash-r", "chunks": 0}}}


def test_a_manifest_of_another_fingerprint_loads_as_empty(saved):
    other = Manifest(saved, "fp-2")
    assert other.articles == {} and other.total_chunks() == 0


@pytest.mark.parametrize("content", [
    "{not json",
    '["a", "list"]',
    '{"fingerprint": "fp-1", "articles": {"a.txt": {"hash": "h"}}}',
    '{"fingerprint": "fp-1", "articles": {"a.txt": {"hash": "h", "chunks": "three"}}}',
    "",
])
def test_a_broken_manifest_loads_as_empty(tmp_path, content):
    path = tmp_path / "manifest.json"
    path.write_text(content, encoding="utf-8")
    assert Manifest(path, "fp-1").articles == {}


def test_a_missing_manifest_is_empty(tmp_path):
    assert Manifest(tmp_path / "nowhere" / "manifest.json", "fp-1").articles == {}


def test_holds_only_the_stored_version_of_an_article(saved):
    manifest = Manifest(saved, "fp-1")
    assert manifest.holds("a.txt", "hash-a")
    assert not manifest.holds("a.txt", "hash-b")  # the article changed since it was stored
    assert not manifest.holds("b.txt", "hash-a")  # never stored


def test_the_fingerprint_changes_with_what_is_stored():
    settings = Settings()
    base = fingerprint(settings, "model-a")
    assert len(base) == 16 and int(base, 16) >= 0
    assert base == fingerprint(Settings(), "model-a")
    assert base != fingerprint(settings, "model-b")
    assert base != fingerprint(settings.model_copy(update={"chunk_size": 64,
                                                           "chunk_overlap": 8}), "model-a")


def test_the_fingerprint_changes_with_the_embedding_backend_and_its_config():
    """The backend and its int8 config are part of the embedder's name, so vectors of another
    backend are never mixed into an index: switching re-embeds, as a chunking change does."""
    prints = {fingerprint(Settings(embedding_backend=b), embedder_name_for(
        Settings(embedding_backend=b))) for b in ("torch", "onnx", "onnx-int8")}
    assert len(prints) == 3
    assert re.fullmatch(r"all-MiniLM-L6-v2\+onnx-int8-[0-9a-f]{8}",
                        embedder_name_for(Settings(embedding_backend="onnx-int8")))
    assert embedder_name_for(Settings(embedding_backend="torch",
                                      embedding_model_path="/models/other")) == "other+torch"


def test_each_backend_has_its_own_manifest_file(tmp_path):
    local = Settings(index_dir=tmp_path, collection="news")
    served = Settings(index_dir=tmp_path, collection="news", chroma_host="127.0.0.1",
                      chroma_port=8123)
    assert manifest_path(local) == tmp_path / "manifest-news-local.json"
    assert manifest_path(served) == tmp_path / "manifest-news-127.0.0.1-8123.json"
