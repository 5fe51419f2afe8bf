"""Finding the phrase a question wants in a sentence: a name, number, time, place, the
object of a verb, the actor of an action, or the description of a person.

Names, numbers, times and places are the entities the NLP pipeline found in the sentence at
ingest (``Entity``, offsets into the sentence's text here), so a short answer is of the asked
type or absent. Objects, actors and descriptions are read from the sentence's punctuation and
word order around the question's verb.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.answer.extractive.kinds import (
    AUXILIARIES,
    VERB_ADVERBS,
    QuestionKind,
    asked_action,
    is_object_question,
)
from assistant.models import Entity
from assistant.text.lexical import STOPWORDS, stem, words

# The entity types (spaCy's, found at ingest) that answer each kind of question.
_ANSWER_TYPES = {
    QuestionKind.WHO: frozenset({"PERSON", "ORG", "NORP", "GPE"}),
    QuestionKind.WHEN: frozenset({"DATE", "TIME"}),
    QuestionKind.WHERE: frozenset({"GPE", "LOC", "FAC", "ORG"}),  # "at the United Nations"
    QuestionKind.HOW_MANY: frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}),
}
_POSSESSIVE = re.compile(r"[’']s\s+")  # between an owner and what it owns
_SENTENCE_OPENERS = frozenset(
    """the a an this that these those it its in on at for but and though although however
    according while when after before if as with by from over during since despite both
    neither nor any such for additionally nevertheless meanwhile moreover""".split()
)


@dataclass(frozen=True)
class Found:
    """A phrase of the wanted kind, where it sits in the sentence."""

    text: str
    start: int
    end: int
    label: str = ""  # the entity type, for a typed phrase


def headed_phrase(sentence: str, noun: str) -> Found | None:
    """A named phrase ending in ``noun``'s stem: "Seoul’s intelligence agency" for "agency"."""
    head = re.escape(stem(noun))
    match = re.search(r"((?:[A-Z][\w’'.-]*\s+)+(?:[a-z][\w-]*\s+){0,2}" + head + r"\w*)",
                      sentence)
    if not match:
        return None
    found = _trim_entity(sentence, match)
    return found if found and " " in found.text else None


_PHRASE_STOP = (r"(?=\s+(?:to|in|on|at|for|from|with|by|over|about|and|as|after|before|"
                r"because|who|which|that)\b|[,.;:!?]|$)")


def object_phrase(question: str, sentence: str) -> Found | None:
    """For "Whom did the ministry summon?": the phrase after the verb ("the Russian
    ambassador"), since the asked-about person is its object, not its subject."""
    if not is_object_question(question):
        return None
    content = [w for w in words(question) if w not in STOPWORDS]
    if not content:
        return None
    verb = stem(content[-1])
    for match in re.finditer(r"[\w’'-]+", sentence):
        if stem(match.group(0).lower()) == verb:
            after = re.match(r"\s+((?:[\w’'-]+\s+){0,4}?[\w’'-]+)" + _PHRASE_STOP,
                             sentence[match.end() :])
            if after:
                start = match.end() + after.start(1)
                return Found(after.group(1), start, start + len(after.group(1)))
    return None


_SPEECH = frozenset("say says said argue argues argued claim claims claimed think thinks "
                    "believe believes believed".split())
_CLAUSE_START = re.compile(r".*(?:,|\b(?:that|which|who|while|although|though|because|but|and|"
                           r"as|if|when|after|before|since)\s)", re.DOTALL)


def actor_phrase(question: str, sentence: str) -> Found | None:
    """Who did the asked action in ``sentence``: the agent of a passive ("made by one of
    North Korea's representatives"), the source of an attribution ("According to analysts"
    for "Who says …?"), or the subject before the verb ("However, North Korea has denied")."""
    verb = asked_action(question)
    if verb is None:
        return None
    if verb in _SPEECH:
        source = re.match(r"\s*According to ([^,]{2,60}),", sentence)
        return _trim_leading(source.group(1), source.start(1)) if source else None
    target = stem(verb)
    for match in re.finditer(r"[\w’'-]+", sentence):
        if stem(match.group(0).lower()) != target:
            continue
        agent = re.match(r"\s+by\s+((?:[\w’'-]+\s+){0,5}?[\w’'-]+(?:\s+\([^)]{1,20}\))?)"
                         + _PHRASE_STOP, sentence[match.end():])
        if agent:
            return _trim_leading(agent.group(1), match.end() + agent.start(1))
        return _subject_before(sentence, match.start())
    return None


def _subject_before(sentence: str, verb_at: int) -> Found | None:
    before = sentence[:verb_at].rstrip()
    while True:  # drop auxiliaries and adverbs between subject and verb
        last = re.search(r"([\w’'-]+)$", before)
        word = last.group(1).lower() if last else ""
        if not last or not (word in AUXILIARIES or word in VERB_ADVERBS or
                            word in ("not", "long") or word.endswith("ly")):
            break
        before = before[:last.start()].rstrip()
    if not before:
        return None
    if before.endswith(","):
        # "Russia, facing mounting scrutiny, has downplayed": the subject opens the sentence.
        opening = re.match(r"\s*([^,]{2,80})(?:,\s*([A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)+),)?",
                           sentence)
        if opening and opening.group(2):  # "U.S. Ambassador …, Robert Wood," names the person
            return Found(opening.group(2), opening.start(2), opening.end(2))
        found = _trim_leading(opening.group(1), opening.start(1)) if opening else None
    else:
        clause = _CLAUSE_START.match(before)
        start = clause.end() if clause else 0
        found = _trim_leading(before[start:].strip(), start + len(before[start:]) -
                              len(before[start:].lstrip()))
    if found is None or len(found.text.split()) > 10 or \
            found.text.lower() in ("it", "he", "she", "they", "this", "that"):
        return None
    return found


def opening_entity(sentence: str, entities: Sequence[Entity]) -> Found | None:
    """The first name a sentence gives ("On Friday, South Korea's NIS shared …" gives "South
    Korea's NIS"): usually the sentence's subject."""
    names = _typed(QuestionKind.WHO, sentence, entities)
    return names[0] if names else None


def appositive(sentence: str, name: str) -> Found | None:
    """The phrase set off by commas next to ``name``: "U.S. Ambassador to the United Nations,
    Robert Wood," or "Robert Wood, the U.S. ambassador,"."""
    at = sentence.find(name)
    if at == -1:
        last = name.split()[-1]
        at = sentence.find(last)
        name = last
    if at == -1:
        return None
    before = re.search(r"(?:^|[,;:]\s*)([^,;:]{3,80}),\s*$", sentence[:at])
    if before:
        found = _trim_leading(before.group(1), before.start(1))
        if found:
            return found
    after = re.match(r",\s*([^,;:]{3,80})[,;:]", sentence[at + len(name) :])
    if after:
        start = at + len(name) + after.start(1)
        return Found(after.group(1), start, start + len(after.group(1)))
    return None


def _typed(kind: QuestionKind, sentence: str, entities: Sequence[Entity]) -> list[Found]:
    """The sentence's entities of the types that answer ``kind``. A name owning the next one
    joins it ("South Korea’s NIS"); a count takes the noun it counts ("1,500 troops")."""
    wanted = _ANSWER_TYPES.get(kind, frozenset())
    found: list[Found] = []
    for entity in entities:
        counts = kind == QuestionKind.HOW_MANY and entity.counted
        if (entity.label not in wanted and not counts) or \
                (kind == QuestionKind.WHEN and entity.counted):  # "three days" is no time
            continue
        if kind == QuestionKind.HOW_MANY:
            found.append(_with_unit(sentence, entity))
            continue
        if found and _owns(sentence, found[-1], entity):
            found[-1] = Found(sentence[found[-1].start:entity.end], found[-1].start, entity.end,
                              entity.label)
            continue
        found.append(Found(sentence[entity.start:entity.end], entity.start, entity.end,
                           entity.label))
    if kind == QuestionKind.WHERE:  # "North Korea’s elite units" places nothing in North Korea
        found = [f for f in found if not _POSSESSIVE.match(sentence[f.end - 2:f.end] + " ")
                 and not _POSSESSIVE.match(sentence[f.end:] + " ")]
    return [replace(trimmed, label=f.label) for f in found
            if (trimmed := _trim_leading(f.text, f.start))]


def _owns(sentence: str, owner: Found, entity: Entity) -> bool:
    """Whether ``owner`` is followed by a possessive and then ``entity`` ("South Korea’s NIS":
    the pipeline puts the "’s" inside or outside the first name)."""
    gap = sentence[owner.end:entity.start]
    return bool(_POSSESSIVE.fullmatch(gap) or
                (gap.isspace() and _POSSESSIVE.fullmatch(sentence[owner.end - 2:entity.start])))


def _with_unit(sentence: str, entity: Entity) -> Found:
    """Extend a number by the noun phrase it counts ("1,500 North Korean special forces")."""
    start, end = entity.start, entity.end
    tail = re.match(r"(?:\s+(?!(?:" + "|".join(STOPWORDS) + r")\b)[\w’'-]+){1,4}",
                    sentence[end:], re.IGNORECASE)
    if tail:
        end += tail.end()
    return Found(sentence[start:end].strip(), start, end, entity.label)


def _trim_entity(sentence: str, match: re.Match) -> Found | None:
    return _trim_leading(match.group(0), match.start())


def _trim_leading(text: str, start: int) -> Found | None:
    """Drop sentence openers and stop words from the front of a phrase ("According to …")."""
    first = text.split()[0].lower().strip("’'")
    while first in _SENTENCE_OPENERS or first in STOPWORDS:
        rest = text.split(None, 1)
        if len(rest) < 2:
            return None
        start += len(text) - len(rest[1])
        text = rest[1]
        first = text.split()[0].lower().strip("’'")
    text = _clean_end(text)
    return Found(text, start, start + len(text)) if text else None


def _clean_end(text: str) -> str:
    """Drop trailing punctuation, but keep the full stop of an initialism ("U.S.")."""
    if re.search(r"(?:^|\s)(?:[A-Z]\.){2,}$", text):
        return text
    return text.rstrip(".,;:’'")


def find_answer(kind: QuestionKind, sentence: str, entities: Sequence[Entity],
                question_terms: set[str]) -> Found | None:
    """The phrase of the wanted kind nearest to where the sentence matches the question.

    Phrases made only of question words are skipped: asked "What did North Korea deny?",
    "North Korea" is not the answer.
    """
    anchors = [m.start() for m in re.finditer(r"[\w’'-]+", sentence)
               if stem(m.group(0).lower().strip("’'")) in question_terms]
    found = [c for c in _typed(kind, sentence, entities)
             if not _only_question_words(c.text, question_terms)]
    if not found:
        return None
    if not anchors:
        return found[0]
    anchor = anchors[0]
    before = [c for c in found if c.end <= anchor]
    return before[-1] if before and kind == QuestionKind.WHO else min(
        found, key=lambda c: min(abs(c.start - a) for a in anchors))


def _only_question_words(text: str, question_terms: set[str]) -> bool:
    content = [stem(w) for w in words(text) if w not in STOPWORDS]
    return bool(content) and all(t in question_terms for t in content)
