"""What kind of answer a question wants, read from the question's form.

"Who" wants a name, "how many" a number, "when" a time, "where" a place; "which agency …"
wants a phrase headed by "agency". The answerer prefers sentences that hold such a phrase and
leads its answer with it (see ``phrases``).
"""

from __future__ import annotations

import re
from enum import StrEnum

from assistant.text.lexical import STOPWORDS, stem, words
from assistant.text.syntax import Parse, parse_question


class QuestionKind(StrEnum):
    WHO = "who"
    WHEN = "when"
    WHERE = "where"
    HOW_MANY = "how_many"
    OTHER = "other"


STRICT_KINDS = frozenset({QuestionKind.HOW_MANY, QuestionKind.WHEN})  # only a sentence holding
# a count or a date answers these

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
    return QuestionKind.OTHER  # "which agency …": see ``phrases.noun_kind``


PREDICATE_WEIGHT = 2.0
_WH = frozenset({"WP", "WDT", "WP$", "WRB"})  # who, which, whose, when/how ...


def _asked(parse: Parse) -> tuple[int, int] | None:
    """Where the phrase standing for what is asked begins and ends (inclusive): "who", or
    "which agency" (a question word with the noun it determines)."""
    for i in range(len(parse)):
        if parse.tag(i) in _WH:
            head = parse.head(i)
            if parse.dep(i) == "det" and head > i:
                return i, head  # "which agency": the agency is asked for
            return i, i
    return None


def _verb_of_subject(parse: Parse) -> int | None:
    """The verb whose subject is what is asked ("Who *denied* …", "Which agency *reported*",
    "Who has already *denied* …"): the first word after the asked phrase, past auxiliaries
    and adverbs, when it is a verb. Read from the parts of speech, which the pipeline gets
    right on questions more often than their structure."""
    asked = _asked(parse)
    if asked is None:
        return None
    for i in range(asked[1] + 1, len(parse)):
        if parse.dep(i) in ("aux", "auxpass", "neg") or parse.tag(i).startswith("RB") or \
                parse.tag(i) == "MD":
            continue
        return i if parse.is_verb(i) else None
    return None


def predicate_term(question: str) -> str | None:
    """The verb of a subject question ("Who *denied* …", "Which agency *reported* …"), as a
    term: it carries the question, so the answerer weighs it above the other words."""
    if is_object_question(question):
        return None
    parse = parse_question(question)
    verb = _verb_of_subject(parse)
    term = stem(parse.word(verb).lower()) if verb is not None else None
    return term if term and term not in STOPWORDS else None  # "Which agency did …"


def counted_noun(question: str) -> str | None:
    """The noun a "how many" question counts: "troops" in "How many North Korean troops …"."""
    parse = parse_question(question)
    for i in range(len(parse)):
        if parse.lemma(i) in ("many", "much") and parse.dep(i) == "amod" and \
                parse.child(i, "advmod") is not None:
            return parse.word(parse.head(i)).lower()
    return None


def asked_noun(question: str) -> str | None:
    """The noun in "which agency …" / "what country …", the head of the answer phrase."""
    parse = parse_question(question)
    asked = _asked(parse)
    if asked is None or asked[0] == asked[1]:
        return None
    return parse.word(asked[1]).lower()


def asked_action(question: str) -> str | None:
    """The verb of a "who did it" question, as a lemma: "deny" in "Who has denied …", "make"
    in "Who made …" (not for "Who did X summon?", which asks for an object)."""
    parse = parse_question(question)
    asked = _asked(parse)
    if asked is None or parse.lemma(asked[0]) != "who" or is_object_question(question):
        return None
    verb = _verb_of_subject(parse)
    return parse.lemma(verb) if verb is not None else None


def described_name(question: str) -> str | None:
    """The name in "Who is Robert Wood?", whose description (an appositive) is the answer."""
    match = re.match(r"\s*who\s+(?:is|was|are|were)\s+(.+?)[\s?.!]*$", question, re.IGNORECASE)
    return match.group(1) if match and match.group(1)[:1].isupper() else None



def is_object_question(question: str) -> bool:
    """"Whom did the ministry summon?", "Who did the ministry summon?": the asked-about person
    is the verb's object. "Who" with an auxiliary and then a subject asks for the object;
    "Who will lead …?", with the verb right after the auxiliary, asks for the subject."""
    parse = parse_question(question)
    asked = _asked(parse)
    if asked is None or asked[0] != asked[1]:
        return False
    at = asked[0]
    if parse.lemma(at) == "whom":
        return True
    if parse.lemma(at) != "who" or at + 2 >= len(parse):
        return False
    auxiliary = parse.lemma(at + 1) == "do" or parse.tag(at + 1) == "MD"
    return auxiliary and not parse.is_verb(at + 2) and not parse.tag(at + 2).startswith("RB")


def object_verb(question: str) -> str | None:
    """The verb of an object question, as a lemma: "summon" in "Whom did the ministry summon?"
    — the first base-form verb after its subject, else its last word."""
    if not is_object_question(question):
        return None
    parse = parse_question(question)
    words = [i for i in range(len(parse)) if parse.tag(i)[:1].isalpha()]
    verbs = [i for i in words[2:] if parse.tag(i) == "VB"]
    return parse.lemma(verbs[0] if verbs else words[-1]) if words else None
