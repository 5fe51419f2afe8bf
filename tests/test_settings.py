"""Typed settings: environment variables, descriptions, and the checks across fields."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.settings import Settings


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


def test_llm_mode_needs_a_model():
    with pytest.raises(ValidationError, match="answer_mode llm needs a model"):
        Settings(answer_mode="llm")
    assert Settings(answer_mode="llm", llm_base_url="http://127.0.0.1:9/v1").llm_configured
