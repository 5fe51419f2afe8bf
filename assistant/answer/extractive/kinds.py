"""What kind of answer a question wants, read from the question's form.

"Who" wants a name, "how many" a number, "when" a time, "where" a place; "which agency …"
wants a phrase headed by "agency". The answerer prefers sentences that hold such a phrase and
leads its answer with it (see ``phrases``).
"""

from __future__ import annotations

import re
from enum import StrEnum

from assistant.text.lexical import STOPWORDS, stem, words


class QuestionKind(StrEnum):
    WHO = "who"
    WHEN = "when"
    WHERE = "where"
    HOW_MANY = "how_many"
    OTHER = "other"


STRICT_KINDS = frozenset({QuestionKind.HOW_MANY, QuestionKind.WHEN})  # only a sentence holding
# a count or a date answers these

_ENTITY_NOUNS = frozenset(
    """agency agencies country countries nation nations organization organisation group
    official officials leader leaders person people ambassador government governments ministry
    outlet newspaper company alliance army state states city region representative spokesman
    spokesperson president minister""".split()
)
def question_type(question: str) -> QuestionKind:
    lowered = " ".join(words(question))
    if re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b", lowered):
        return QuestionKind.HOW_MANY
    if re.search(r"\bwhen\b|\bwhat (day|date|year|month|time)\b", lowered):
        return QuestionKind.WHEN
    if re.search(r"\bwhere\b|\bwhat (place|region|city|location)\b", lowered):
        return QuestionKind.WHERE
    if re.search(r"\b(who|whom|whose)\b", lowered):
        return QuestionKind.WHO
    if asked_noun(question):
        return QuestionKind.WHO
    return QuestionKind.OTHER


_ENTITY_STEMS = frozenset(stem(n) for n in _ENTITY_NOUNS)
_LIGHT_VERBS = frozenset("made make makes get gets got take takes took give gives gave put".split())
PREDICATE_WEIGHT = 2.0


def predicate_term(question: str) -> str | None:
    """The verb of a subject question ("Who *denied* …", "Which agency *reported* …").

    It carries the question, so the answerer weighs it above the other words.
    """
    match = re.match(r"\s*(?:who|which\s+\w+|what\s+\w+)\s+(\w+)", question, re.IGNORECASE)
    if not match:
        return None
    verb = match.group(1).lower()
    if verb in STOPWORDS or verb in _LIGHT_VERBS:
        return None
    return stem(verb)


def counted_noun(question: str) -> str | None:
    """The noun a "how many" question counts: "troops" in "How many North Korean troops …"."""
    match = re.search(r"\bhow\s+(?:many|much)\s+((?:[\w’'-]+\s+){0,3}?)([a-z]+s)\b", question,
                      re.IGNORECASE)
    if match:
        return match.group(2).lower()
    match = re.search(r"\bhow\s+(?:many|much)\s+([a-z]+)", question, re.IGNORECASE)
    return match.group(1).lower() if match else None


def asked_noun(question: str) -> str | None:
    """The noun in "which agency …" / "what country …", the head of the answer phrase."""
    match = re.search(r"\b(?:which|what)\s+(\w+)(?:\s+(\w+))?", question, re.IGNORECASE)
    if not match:
        return None
    for word in (match.group(2), match.group(1)):
        if word and stem(word.lower()) in _ENTITY_STEMS:
            return word.lower()
    return None


_OBJECT_QUESTION = re.compile(
    r"\s*(?:whom\b|who\s+(?:did|does|do|will|would|should|could|can)\b)", re.IGNORECASE
)
AUXILIARIES = frozenset("has have had is was were are be been being will would could should "
                       "may might must can did does do".split())
VERB_ADVERBS = frozenset("first also later then once recently already still".split())
def asked_action(question: str) -> str | None:
    """The verb of a "who did it" question: "denied" in "Who has denied …", "made" in
    "Who made …" (auxiliaries are skipped; "Who did X summon?" asks for an object)."""
    tokens = re.findall(r"[\w’'-]+", question.lower())
    if not tokens or tokens[0] != "who" or is_object_question(question):
        return None
    for token in tokens[1:5]:
        if token not in AUXILIARIES and token not in VERB_ADVERBS and not token.endswith("ly"):
            return token
    return None


def described_name(question: str) -> str | None:
    """The name in "Who is Robert Wood?", whose description (an appositive) is the answer."""
    match = re.match(r"\s*who\s+(?:is|was|are|were)\s+(.+?)[\s?.!]*$", question, re.IGNORECASE)
    return match.group(1) if match and match.group(1)[:1].isupper() else None



def is_object_question(question: str) -> bool:
    """"Whom did the ministry summon?": the asked-about person is the verb's object."""
    return bool(_OBJECT_QUESTION.match(question))
