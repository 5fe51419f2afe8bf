"""Follow-up questions take context from the conversation only when they need it."""

from __future__ import annotations

from assistant.models import Turn
from assistant.retrieval.followup import quoted, resolve_followup


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
    assert resolved.said == ("South Korea’s National Intelligence Service (NIS) said so.",)
    assert standalone.said == ()


def test_the_sentences_an_answer_quoted_are_read_without_markers_or_its_bold_lead():
    answer = ("**42 pacemakers** — Called the Ineos 1:59 Challenge, it featured 42 pacemakers. "
              "[1] Kipchoge ran in Vienna, Austria on Saturday. [2, 3]\n\nSee the sources "
              "below. [Passage 4]")
    assert quoted(answer) == ("Called the Ineos 1:59 Challenge, it featured 42 pacemakers.",
                              "Kipchoge ran in Vienna, Austria on Saturday.",
                              "See the sources below.")
    assert quoted("In Busan. [1]") == ()  # too short to name an article
