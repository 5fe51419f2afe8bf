"""Typed settings, prompt files, the offline tokenizer and the verified embedding model."""

from __future__ import annotations

import socket
import subprocess
import sys
import zipfile

import pytest
from pydantic import ValidationError

from assistant.store.embedding import (
    DEFAULT_MODEL_SHA256,
    ModelError,
    ensure_default_model,
    file_sha256,
    model_dir_for,
    packaged_model_zip,
)
from assistant.prompts import Prompts
from assistant.settings import PROJECT_ROOT, Settings


def test_settings_read_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_CORPUS", str(tmp_path / "c"))
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "i"))
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", "9123")
    monkeypatch.setenv("ASSISTANT_TOP_K", "4")
    settings = Settings()
    assert settings.corpus_dir == tmp_path / "c" and settings.index_dir == tmp_path / "i"
    assert settings.uses_server and settings.chroma_port == 9123 and settings.top_k == 4


def test_settings_have_descriptions_and_reject_nonsense():
    assert all(field.description for field in Settings.model_fields.values())
    with pytest.raises(ValidationError, match="chunk_overlap must be smaller"):
        Settings(chunk_size=64, chunk_overlap=64)
    assert not Settings().uses_server


def test_every_prompt_renders():
    prompts = Prompts(PROJECT_ROOT / "prompts")
    values = {"missing": "Xi Jinping", "short_answer": "North Korea", "sentence": "It did.",
              "length": "1200", "limit": "1000", "no_answer": "The coverage does not say.",
              "passages": "<passage>…</passage>", "question": "Who?", "n": "1",
              "title": "T", "source": "S", "published": "2024-10-21", "text": "It did.",
              "history": "Reader: Who?", "reason": "the model did not answer within 60 s"}
    assert set(prompts.names()) >= {"refusal", "refusal_missing", "empty_question",
                                     "empty_index", "answer_lead", "question_too_long",
                                     "engine_error", "examples", "llm_system", "llm_question",
                                     "llm_passage", "llm_no_answer", "llm_condense",
                                     "llm_condense_request", "llm_fallback", "llm_cut_short"}
    for name in prompts.names():
        rendered = prompts.render(name, **values)
        assert rendered and "{" not in rendered
    assert prompts.render("refusal").startswith("The coverage doesn't say")
    assert "1200 characters; the limit is 1000" in prompts.render("question_too_long", **values)
    with pytest.raises(FileNotFoundError, match="prompt 'nope' is missing"):
        prompts.render("nope")


def test_tokenizer_works_with_the_network_blocked(tmp_path):
    """cl100k_base must come from llama-index-core's bundled cache, not a download."""
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n    raise OSError('network blocked')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
        "from assistant.ingest.chunking import tiktoken_counter\n"
        "print(tiktoken_counter()('North Korea denied sending troops.'))\n"
    )
    # An empty TMPDIR: no BPE file cached by an earlier run can be picked up.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) == 6  # North| Korea| denied| sending| troops|.
    assert socket.socket.connect  # the guard in this process is untouched


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
