"""Two-turn conversations about different subjects of the seed article, and the check that
each follow-up was answered from its own conversation.

Every conversation asks the same follow-up ("What about them?"), which means nothing without
the conversation's history: the answer is about the right subject only if the page resolved it
against that conversation's own first turn. Each subject has a marker, words that only an
answer about it quotes, so a follow-up answered from another conversation's history shows
another subject's marker and fails the check. Shared by the load benchmark and its
end-to-end test.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

FOLLOW_UP = "What about them?"


@dataclass(frozen=True)
class Subject:
    question: str
    marker: str  # words that only an answer about this subject quotes


SUBJECTS = (
    Subject("What did North Korea deny?", "remains neutral"),
    Subject("What did South Korea's spy agency allege?", "elite special forces"),
    Subject("Who is Robert Wood?", "Security Council"),
    Subject("What did Russia's ambassador to South Korea say?", "not intended to threaten"),
    Subject("What did Yonhap report?", "contemplating sending its own personnel"),
    Subject("What is China's position?", "reevaluate its position"),
    Subject("What do analysts think of North Korea's denial?", "unsurprising"),
    Subject("When did Kim Jong-un meet Vladimir Putin?", "September 2023"),
    Subject("What is Pyongyang suspected of supplying to Russia?", "artillery shells"),
    Subject("How have Russian officials framed the relationship?", "historical friendship"),
    Subject("What did South Korea's foreign ministry do?", "summoning the Russian ambassador"),
    Subject("What are Western intelligence agencies monitoring?", "closely monitoring"),
)


def shown_text(message: dict) -> str:
    """The text a reader sees in one chat message (tags dropped, character references read)."""
    content = message["content"]
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return html.unescape(re.sub(r"<[^>]+>", "", str(content)))


def conversation_problems(subject: Subject, chat: list[dict]) -> list[str]:
    """What is wrong with one finished two-turn conversation as the page returned it: it must
    hold exactly its own two questions, and both answers must quote its own subject's marker
    and no other subject's. Empty when all is well."""
    problems = []
    asked = [shown_text(m) for m in chat if m["role"] == "user"]
    if asked != [subject.question, FOLLOW_UP]:
        problems.append(f"questions shown {asked!r}")
    answers = [shown_text(m) for m in chat if m["role"] == "assistant"]
    if len(answers) != 2:
        return [*problems, f"{len(answers)} answers shown"]
    for turn, answer in zip(("first", "follow-up"), answers, strict=True):
        if subject.marker not in answer:
            problems.append(f"{turn} answer lacks {subject.marker!r}: {answer[:160]!r}")
        others = [s.marker for s in SUBJECTS if s != subject and s.marker in answer]
        if others:
            problems.append(f"{turn} answer quotes other subjects {others!r}")
    return problems
