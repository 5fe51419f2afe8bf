"""The language model behind the ``llm`` answer mode, through LlamaIndex's LLM classes.

Two backends: any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's server, LM Studio,
OpenAI) by base URL, or a local GGUF file run by llama-cpp-python (the ``local`` extra). Both
sit behind one small interface that yields text and raises ``LLMError`` with one readable line
for anything that goes wrong, so the answerer can fall back instead of failing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from assistant.settings import Settings

Message = tuple[str, str]  # (role, content), role one of system / user / assistant


class LLMError(RuntimeError):
    """The model could not be asked or did not answer usably; the message is one line."""


class ChatModel(Protocol):
    name: str

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """The reply in pieces as they arrive (one piece when the backend does not stream)."""
        ...

    def complete(self, messages: Sequence[Message]) -> str: ...


class LlamaIndexChat:
    """A LlamaIndex LLM with a deadline on the whole reply and one-line errors."""

    def __init__(self, llm: Any, name: str, timeout_s: float, stream: bool) -> None:
        self.llm = llm
        self.name = name
        self.timeout_s = timeout_s
        self.streams = stream

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """The deadline is on the time spent waiting for the model: what the caller does
        with each piece (checking a finished sentence) is not the model's time."""
        if not self.streams:
            yield self.complete(messages)
            return
        waited = 0.0
        try:
            pieces = iter(self.llm.stream_chat(_chat_messages(messages)))
            while True:
                asked = time.monotonic()
                response = next(pieces, None)
                waited += time.monotonic() - asked
                if response is None:
                    return
                if waited > self.timeout_s:
                    raise LLMError(f"the model did not finish within {self.timeout_s:g} s")
                if response.delta:
                    yield response.delta
        except LLMError:
            raise
        except Exception as error:  # noqa: BLE001 - every backend failure becomes one line
            raise LLMError(describe_failure(error, self.timeout_s)) from error

    def complete(self, messages: Sequence[Message]) -> str:
        try:
            response = self.llm.chat(_chat_messages(messages))
        except Exception as error:  # noqa: BLE001 - every backend failure becomes one line
            raise LLMError(describe_failure(error, self.timeout_s)) from error
        content = response.message.content
        if content is not None and not isinstance(content, str):
            raise LLMError("the model's reply is not text")
        return content or ""


def _chat_messages(messages: Sequence[Message]) -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role=role, content=content) for role, content in messages]


def describe_failure(error: Exception, timeout_s: float) -> str:
    """One line saying what went wrong with the model, for the note shown with the answer."""
    kind = type(error).__name__
    text = " ".join(str(error).split())[:160]
    if "Timeout" in kind or "timed out" in text.lower():
        return f"the model did not answer within {timeout_s:g} s"
    if "Connection" in kind:
        return "the model's server could not be reached"
    status = getattr(error, "status_code", None)
    if status is not None:
        return f"the model's server answered HTTP {status}"
    if isinstance(error, ValueError | KeyError | TypeError | AttributeError) or "JSON" in kind:
        return "the model's reply could not be read"
    return f"the model failed ({kind}: {text})" if text else f"the model failed ({kind})"


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The configured model, or None when none is configured (extractive answers only)."""
    if settings.llm_base_url:
        # The client loads its chat-completions code on first use, about a second on the
        # target machine: load it now, not inside the first answer's deadline.
        import openai.resources.chat.completions  # noqa: F401
        from llama_index.llms.openai_like import OpenAILike

        llm = OpenAILike(
            model=settings.llm_model, api_base=settings.llm_base_url,
            api_key=os.environ.get(settings.llm_api_key_env) or "none",
            is_chat_model=True, context_window=settings.llm_context_window,
            max_tokens=settings.llm_max_answer_tokens, temperature=settings.llm_temperature,
            timeout=settings.llm_timeout_s, max_retries=0,
        )
        return LlamaIndexChat(llm, settings.llm_model, settings.llm_timeout_s,
                              settings.llm_stream)
    if settings.llm_model_path:
        if not settings.llm_model_path.is_file():
            raise FileNotFoundError(f"no GGUF model at {settings.llm_model_path}; set "
                                    "ASSISTANT_LLM_MODEL_PATH to a .gguf file")
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError:
            raise LLMError("a local GGUF model needs the local extra: pip install "
                           "'.[local]'") from None
        llm = LlamaCPP(
            model_path=str(settings.llm_model_path), temperature=settings.llm_temperature,
            max_new_tokens=settings.llm_max_answer_tokens,
            context_window=settings.llm_context_window, verbose=False,
            model_kwargs={"n_threads": os.cpu_count() or 1},
        )
        return LlamaIndexChat(llm, settings.llm_model_path.name, settings.llm_timeout_s,
                              settings.llm_stream)
    return None
