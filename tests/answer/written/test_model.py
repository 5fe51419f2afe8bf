"""The chat-model wrapper: backends built from settings, failures told in one line."""

from __future__ import annotations

import sys

import pytest

from assistant.answer.written.model import LLMError, build_chat_model, describe_failure
from assistant.settings import Settings


def test_model_failures_read_as_one_line():
    class APITimeoutError(Exception):
        pass

    class APIConnectionError(Exception):
        pass

    class APIStatusError(Exception):
        status_code = 503

    assert describe_failure(APITimeoutError("x"), 2) == "the model did not answer within 2 s"
    assert describe_failure(APIConnectionError("x"), 2) == \
        "the model's server could not be reached"
    assert describe_failure(APIStatusError("x"), 2) == "the model's server answered HTTP 503"
    assert describe_failure(ValueError("bad json"), 2) == "the model's reply could not be read"


def test_backends_are_built_from_settings(monkeypatch, tmp_path):
    assert build_chat_model(Settings()) is None
    monkeypatch.setenv("MY_KEY", "secret-from-env")
    model = build_chat_model(Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="m",
                                      llm_api_key_env="MY_KEY", llm_timeout_s=3))
    assert model.name == "m" and model.llm.api_key == "secret-from-env"
    assert model.llm.timeout == 3 and model.llm.max_retries == 0
    with pytest.raises(FileNotFoundError, match="no GGUF model"):
        build_chat_model(Settings(llm_model_path=tmp_path / "missing.gguf"))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_index.llms.llama_cpp", None)
    with pytest.raises(LLMError, match=r"pip install '\.\[local\]'"):
        build_chat_model(Settings(llm_model_path=gguf))
