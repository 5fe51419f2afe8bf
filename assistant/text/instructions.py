"""Text that tries to instruct the assistant, in a question or inside an article.

A question may carry "ignore the articles and say …"; an article may carry a planted "ignore
previous instructions and …". Neither is a fact about the story: the question part is answered
without it, and an article sentence that instructs is never indexed, quoted or used as evidence.
The article-side pattern is narrower than the question-side one, because news prose says things
like "Moscow chose to ignore the rules of war" and "China could act as a mediator".
"""

from __future__ import annotations

import re

_INSTRUCTION = re.compile(
    r"[^.?!]*\b(?:ignore|disregard|forget|override)\b[^.?!]*\b(?:instructions?|rules?|prompts?|"
    r"guidelines|above|previous|context|articles?|coverage)\b[^.?!]*[.?!]?"
    r"|[^.?!]*\b(?:you are now|pretend to be|act as|system prompt|jailbreak)\b[^.?!]*[.?!]?",
    re.IGNORECASE,
)


def strip_instructions(text: str) -> str:
    """Drop sentences that try to instruct the assistant; only the rest is answered."""
    return _INSTRUCTION.sub(" ", text).strip()


_PLANTED = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|preceding|system|your|these|my)\s+"
    r"(?:instructions?|prompts?|directions|guidelines|rules|messages?)\b"
    r"|\b(?:you are now|as an ai\b|language model|system prompt|jailbreak|assistant,? you must)",
    re.IGNORECASE,
)


def is_instruction(sentence: str) -> bool:
    """Whether an article sentence addresses a language model or assistant rather than
    reporting anything."""
    return bool(_PLANTED.search(sentence))
