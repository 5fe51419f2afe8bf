"""Follow-up questions take context from the conversation only when they need it."""

from __future__ import annotations

from assistant.models import Turn
from assistant.retrieval.followup import resolve_followup


def test_followups_take_context_only_when_they_need_it():
    history = [Turn("user", "Which agency made the allegation?"),
               Turn("assistant", "South Korea’s National Intelligence Service (NIS) said "
                                 "so. [1] More text here. [2]")]
    resolved = resolve_followup("How many troops did it say were in Russia?", history)
    assert resolved.question == "How many troops did it say were in Russia?"
    assert "National Intelligence Service" in resolved.context
    assert "[1]" not in resolved.context and "More text" not in resolved.context
    standalone = resolve_followup("Who is Robert Wood?", history)
    assert standalone.context == "" and standalone.query == "Who is Robert Wood?"
    assert resolve_followup("And Russia?", history).context
    assert resolve_followup("What did it say?", None).context == ""
