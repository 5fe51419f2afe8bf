"""The fixed prompt texts: every one renders, and a missing one is named."""

from __future__ import annotations

import pytest

from assistant.prompts import Prompts
from tests.support import PROJECT_ROOT


def test_every_prompt_renders():
    prompts = Prompts(PROJECT_ROOT / "prompts")
    values = {"missing": "Xi Jinping", "short_answer": "North Korea", "sentence": "It did.",
              "length": "1200", "limit": "1000", "no_answer": "The coverage does not say.",
              "passages": "<passage>…</passage>", "question": "Who?", "n": "1",
              "title": "T", "source": "S", "published": "2024-10-21", "text": "It did.",
              "history": "Reader: Who?", "reason": "the model did not answer within 60 s",
                  "context": "Who denied the deployment?", "part": "how many were injured?"}
    assert set(prompts.names()) >= {"refusal", "refusal_missing", "empty_question",
                                     "empty_index", "answer_lead", "question_too_long",
                                     "engine_error", "examples", "llm_system", "llm_question",
                                     "llm_passage", "llm_no_answer", "llm_condense",
                                     "llm_condense_request", "llm_fallback", "llm_cut_short",
                                         "llm_question_context", "refusal_part"}
    for name in prompts.names():
        rendered = prompts.render(name, **values)
        assert rendered and "{" not in rendered
    assert prompts.render("refusal").startswith("The coverage doesn't say")
    assert "1200 characters; the limit is 1000" in prompts.render("question_too_long", **values)
    with pytest.raises(FileNotFoundError, match="prompt 'nope' is missing"):
        prompts.render("nope")
