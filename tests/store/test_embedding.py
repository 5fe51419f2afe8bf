"""The verified packaged embedding model and the cached word vectors built on an embedder."""

from __future__ import annotations

import zipfile

import pytest

from assistant.store.embedding import (
    DEFAULT_MODEL_SHA256,
    ModelError,
    WordVectors,
    ensure_default_model,
    file_sha256,
    model_dir_for,
    packaged_model_zip,
)
from tests.support import FakeEmbedder


def test_word_vectors_embed_each_word_once():
    embedder = FakeEmbedder()
    vectors = WordVectors(embedder)
    first = vectors(["troops", "soldiers", "troops"])
    again = vectors(["soldiers", "troops"])
    assert first.shape == (3, embedder.dimensions)
    assert (again[1] == first[0]).all()
    assert embedder.calls == [["troops", "soldiers"]]


def test_packaged_model_extracts_once_and_verifies(tmp_path):
    model_dir = ensure_default_model(tmp_path / "cache")
    assert file_sha256(model_dir / "model.safetensors") == DEFAULT_MODEL_SHA256
    mtime = (model_dir / "model.safetensors").stat().st_mtime_ns
    assert ensure_default_model(tmp_path / "cache") == model_dir
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == mtime


def test_tampered_weights_are_refused(tmp_path):
    model_dir = ensure_default_model(tmp_path / "cache")
    with (model_dir / "model.safetensors").open("r+b") as weights:
        weights.seek(1000)
        weights.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError, match="have sha256 .* expected 53aa51172d14"):
        ensure_default_model(tmp_path / "cache")


def test_wrong_archive_is_refused(tmp_path):
    fake_zip = tmp_path / "model.zip"
    with zipfile.ZipFile(fake_zip, "w") as archive:
        archive.writestr("model.safetensors", b"not the real weights")
        archive.writestr("config.json", "{}")
    with pytest.raises(ModelError, match="expected 53aa51172d14"):
        ensure_default_model(tmp_path / "cache", zip_path=fake_zip)
    assert packaged_model_zip().name == "model.zip"


def test_another_model_by_path(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        model_dir_for(tmp_path / "missing", tmp_path)
    assert model_dir_for(tmp_path, tmp_path / "cache") == tmp_path
