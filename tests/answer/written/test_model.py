"""The chat-model wrapper: backends built from settings, failures told in one line."""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace

import pytest

from assistant.answer.written.model import (
    LlamaIndexChat,
    LLMError,
    build_chat_model,
    describe_failure,
)
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


class PacedLLM:
    """A streaming backend that takes ``pause_s`` before each of its pieces."""

    def __init__(self, pieces: list[str], pause_s: float) -> None:
        self.pieces = pieces
        self.pause_s = pause_s

    def stream_chat(self, messages):
        for piece in self.pieces:
            time.sleep(self.pause_s)
            yield SimpleNamespace(delta=piece)


def test_the_streaming_deadline_counts_the_models_time_not_the_callers():
    messages = [("user", "Who denied it?")]
    quick = LlamaIndexChat(PacedLLM(["North Korea ", "denied ", "it."], 0.0), "m", 0.3, True)
    received = []
    for piece in quick.stream(messages):
        received.append(piece)
        time.sleep(0.2)  # checking each piece: 0.6 s in all, past the model's 0.3 s
    assert "".join(received) == "North Korea denied it."
    slow = LlamaIndexChat(PacedLLM(["North Korea ", "denied ", "it."], 0.2), "m", 0.3, True)
    with pytest.raises(LLMError, match="did not finish within 0.3 s"):
        list(slow.stream(messages))


def test_a_server_model_loads_its_client_code_when_built_not_in_the_first_answer():
    """The first streamed answer's deadline must not pay for loading the client's code."""
    import subprocess

    code = ("import sys\n"
            "from assistant.answer.written.model import build_chat_model\n"
            "from assistant.settings import Settings\n"
            "name = 'openai.resources.chat.completions'\n"
            "assert name not in sys.modules\n"
            "build_chat_model(Settings(llm_base_url='http://127.0.0.1:9/v1', llm_model='m'))\n"
            "print(name in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "True"
