"""Finding the phrase a question wants in a sentence: a name, number, time, place, the
object of a verb, the actor of an action, or the description of a person.

Names, numbers, times and places are the entities the NLP pipeline found in the sentence at
ingest (``Entity``, offsets into the sentence's text here), so a short answer is of the asked
type or absent. Objects, actors, descriptions (appositives) and the edges of a phrase are
read from the sentence's parse, also made at ingest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from assistant.answer.extractive.kinds import (
    QuestionKind,
    asked_action,
    object_verb,
)
from assistant.models import Entity
from assistant.text.lexical import STOPWORDS, stem, words
from assistant.text.syntax import OBJECTS, Parse, parse_question

# The entity types (spaCy's, found at ingest) that answer each kind of question.
_ANSWER_TYPES = {
    QuestionKind.WHO: frozenset({"PERSON", "ORG", "NORP", "GPE"}),
    QuestionKind.WHEN: frozenset({"DATE", "TIME"}),
    QuestionKind.DATE: frozenset({"DATE", "TIME"}),
    QuestionKind.DURATION: frozenset({"DATE", "TIME"}),
    QuestionKind.WHERE: frozenset({"GPE", "LOC", "FAC", "ORG"}),  # "at the United Nations"
    QuestionKind.HOW_MANY: frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}),
}
_POSSESSIVE = re.compile(r"[’']s\s+")  # between an owner and what it owns
# Words that open a phrase without being part of what it names: determiners, prepositions,
# conjunctions, question words, possessive pronouns, punctuation (Penn Treebank tags).
_LEADING = frozenset({"DT", "PDT", "IN", "CC", "TO", "WDT", "WP", "WRB", "PRP$", "EX", "PRP",
                      ",", ":", ".", "``", "''", "HYPH", "NFP"})
_TRAILING = frozenset({",", ":", ".", "``", "''", "HYPH", "NFP", "POS"})
_YEAR = re.compile(r"[12]\d{3}")  # a year of the calendar, written alone: a time, not a length
_OPENERS = {"(": ")", "[": "]", "{": "}"}  # each bracket and its close
_OPENING = {close: opening for opening, close in _OPENERS.items()}
_CLOSERS = frozenset(_OPENING)


@dataclass(frozen=True)
class Found:
    """A phrase of the wanted kind, where it sits in the sentence."""

    text: str
    start: int
    end: int
    label: str = ""  # the entity type, for a typed phrase


def headed_phrase(sentence: Parse, noun: str) -> Found | None:
    """A named phrase headed by ``noun``: "Seoul’s intelligence agency" for "agency" (the
    noun with the words before it that modify it, one of them a name), or the name it is a
    title of ("President Gerald Ford" for "president")."""
    for at in _nouns(sentence, noun):
        if sentence.dep(at) == "compound" and _proper(sentence, sentence.head(at)):
            at = sentence.head(at)  # "President Gerald Ford": the title is part of the name
        start = min((i for i in sentence.subtree(at) if i < at), default=at)
        if any(_proper(sentence, i) for i in range(start, at + 1)):
            found = _trim(sentence, sentence.tokens[start].start, sentence.tokens[at].end)
            if found and " " in found.text:
                return found
    return None


def measured_phrase(sentence: Parse, noun: str) -> Found | None:
    """The value a number gives ``noun``: "7.0 magnitude" or "a magnitude of 7.0" for
    "magnitude" (the noun with a number that modifies it, or that a preposition of it
    takes)."""
    for at in _nouns(sentence, noun):
        numbers = sentence.children(at, "nummod") + [
            i for prep in sentence.children(at, "prep")
            for i in sentence.children(prep, "pobj") if sentence.tag(i) == "CD"]
        if numbers:
            # From the noun's first modifier to the last number, with what each number holds
            # ("about 7.0"), never a clause that trails the noun.
            start = min(sentence.subtree(at))
            end = max(at, *(max(sentence.subtree(i)) for i in numbers))
            found = _trim(sentence, sentence.tokens[start].start, sentence.tokens[end].end)
            if found:
                return found
    return None


def noun_kind(noun: str, sentences: Iterable[Parse]) -> QuestionKind:
    """What kind of answer "which NOUN …?" wants, read from how the retrieved sentences use
    the noun: the type of the names it is part of, titles or describes ("Yonhap news agency",
    "President Gerald Ford", "the agency, the NIS"), the most frequent one. ``OTHER`` when
    they tie no name to it ("Which face covering …?")."""
    votes: Counter[str] = Counter()
    for sentence in sentences:
        for at in _nouns(sentence, noun):
            tied = [at, *sentence.children(at, "appos")]
            if sentence.dep(at) in ("compound", "appos"):
                tied.append(sentence.head(at))
            label = next((label for i in tied if (label := _entity_label(sentence, i))), "")
            if label:
                votes[label] += 1
    if not votes:
        return QuestionKind.OTHER
    label = votes.most_common(1)[0][0]
    return next((kind for kind, labels in _ANSWER_TYPES.items() if label in labels),
                QuestionKind.OTHER)


def _entity_label(sentence: Parse, at: int) -> str:
    """The type of the entity the word at ``at`` is part of, or ""."""
    token = sentence.tokens[at]
    return next((e.label for e in sentence.entities
                 if e.start <= token.start and token.end <= e.end), "")


def unnamed(sentence: Parse, noun: str) -> bool:
    """Whether the sentence speaks of ``noun`` without naming it ("The spy agency reported
    …" for "Which spy agency …?"): its name is in an earlier sentence, if anywhere."""
    return any(not _proper(sentence, at) and not _proper(sentence, sentence.head(at))
               and not any(_proper(sentence, i) for i in sentence.subtree(at))
               for at in _nouns(sentence, noun))


def noun_name(sentence: Parse, noun: str) -> Found | None:
    """The name the sentence gives ``noun``: "Deepak Sathe" in "the pilot, Deepak Sathe,",
    "pilot Deepak Sathe" or "Deepak Sathe, the pilot" (a proper noun set beside it or that
    it titles). An owner's name ("North Korea's representative") says whose, not who."""
    for at in _nouns(sentence, noun):
        tied = list(sentence.children(at, "appos"))
        if sentence.dep(at) in ("compound", "appos"):
            tied.append(sentence.head(at))
        for name in (i for i in tied if _proper(sentence, i)):
            if sentence.dep(at) == "compound" and name == sentence.head(at):
                proper = [i for i in sentence.subtree(name) if _proper(sentence, i)]
                return _trim(sentence, sentence.tokens[min(proper)].start,
                             sentence.tokens[max(proper)].end)  # "pilot Deepak Sathe"
            found = _phrase(sentence, name)
            if found is not None:
                return found
    return None


def _nouns(sentence: Parse, noun: str) -> list[int]:
    """The nouns of ``noun``'s stem in the sentence."""
    wanted = stem(noun.lower())
    return [at for at in range(len(sentence))
            if stem(sentence.word(at).lower()) == wanted and sentence.tag(at).startswith("NN")]


def _proper(sentence: Parse, at: int) -> bool:
    return sentence.tag(at) in ("NNP", "NNPS")


def object_phrase(question: str, sentence: Parse, otherwise: Sequence[str] = ()
                  ) -> Found | None:
    """For "Whom did the ministry summon?": the object of that verb in the sentence ("the
    Russian ambassador"), since the asked-about person is its object, not its subject. When
    the sentence does not say the verb, the verbs ``otherwise`` (lemmas that say it in other
    words: "select" for "pick") are looked for instead."""
    verb = object_verb(question)
    if verb is None:
        return None
    for at in sentence.find(verb) or [i for lemma in otherwise for i in sentence.find(lemma)]:
        target = sentence.child(at, *OBJECTS)
        if target is not None and sentence.is_verb(at):
            return _phrase(sentence, target)
    return None


def actor_phrase(question: str, sentence: Parse, otherwise: Sequence[str] = ()
                 ) -> Found | None:
    """Who did the asked action in the sentence: the agent of a passive ("made by one of
    North Korea's representatives"), the verb's subject ("However, North Korea has denied"),
    or, asked who says something the sentence does not say with the question's verb, the
    source it is attributed to ("According to analysts"). The verbs ``otherwise`` (lemmas
    that say the asked one in other words) stand for it where the sentence lacks it."""
    action = asked_action(question)
    if action is None:
        return None
    verbs = [at for at in sentence.find(action) if sentence.is_verb(at)] or \
        [at for lemma in otherwise for at in sentence.find(lemma) if sentence.is_verb(at)]
    if verbs:
        return _actor(sentence, verbs[0])
    asked = parse_question(question)
    if any(asked.children(at, "ccomp") for at in asked.find(action)):
        return _attribution(sentence)  # the asked verb reports a clause: "says … is …"
    return None


def _actor(sentence: Parse, verb: int) -> Found | None:
    """The agent ("by …") of a passive verb, or the subject of the verb, of the clause it
    modifies ("…, warning that …"), or of the verb it is joined to ("… and denied")."""
    agent = sentence.child(verb, "agent")
    if agent is not None:
        by = sentence.child(agent, "pobj")
        return _phrase(sentence, by) if by is not None else None
    at = verb
    while (subject := sentence.child(at, "nsubj", "csubj")) is None:
        if sentence.dep(at) not in ("conj", "advcl", "xcomp") or sentence.head(at) == at:
            return None
        at = sentence.head(at)
    if sentence.tag(subject) in ("WDT", "WP") and sentence.dep(at) == "relcl":
        subject = sentence.head(at)  # "the agency that reported it"
    name = sentence.child(subject, "appos")
    if name is not None and _is_person(sentence, name) and not _is_person(sentence, subject):
        subject = name  # "U.S. Ambassador to the United Nations, Robert Wood, spoke"
    return _phrase(sentence, subject)


def _is_person(sentence: Parse, at: int) -> bool:
    span = sentence.phrase(at)
    return span is not None and sentence.label(*span) == "PERSON"


def _attribution(sentence: Parse) -> Found | None:
    """The source in "According to analysts, …"."""
    for at in sentence.find("accord"):
        to = sentence.child(at, "prep")
        source = sentence.child(to, "pobj") if to is not None else None
        if source is not None:
            return _phrase(sentence, source)
    return None


def _phrase(sentence: Parse, at: int) -> Found | None:
    """The phrase the word at ``at`` heads, unless it is a pronoun or longer than ten
    words."""
    span = sentence.phrase(at)
    if span is None:
        return None
    text = sentence.text[span[0]:span[1]]
    return Found(text, *span) if len(text.split()) <= 10 else None


def opening_entity(sentence: Parse) -> Found | None:
    """The first name a sentence gives ("On Friday, South Korea's NIS shared …" gives "South
    Korea's NIS"): usually the sentence's subject."""
    names = _typed(QuestionKind.WHO, sentence)
    return names[0] if names else None


def appositive(sentence: Parse, name: str) -> Found | None:
    """The phrase set beside ``name`` as its description: "U.S. Ambassador to the United
    Nations, Robert Wood," or "Robert Wood, the U.S. ambassador,"."""
    last = name.split()[-1] if name.split() else ""
    heads = [i for i in range(len(sentence)) if sentence.word(i) == last]
    for at in heads:
        description = sentence.child(at, "appos")
        if description is not None:
            return _phrase(sentence, description)
        if sentence.dep(at) == "appos" and sentence.head(at) != at:
            return _phrase(sentence, sentence.head(at))
    return None


def _typed(kind: QuestionKind, sentence: Parse) -> list[Found]:
    """The sentence's entities of the types that answer ``kind``. A name owning the next one
    joins it ("South Korea’s NIS"); a count takes the noun it counts ("1,500 troops")."""
    text = sentence.text
    wanted = _ANSWER_TYPES.get(kind, frozenset())
    found: list[Found] = []
    for entity in sentence.entities:
        counts = kind == QuestionKind.HOW_MANY and entity.counted
        if (entity.label not in wanted and not counts) or not _fits_time(kind, sentence, entity):
            continue
        if kind in (QuestionKind.HOW_MANY, QuestionKind.DURATION):
            found.append(_with_unit(sentence, entity))
            continue
        if found and _owns(text, found[-1], entity):
            found[-1] = Found(text[found[-1].start:entity.end], found[-1].start, entity.end,
                              entity.label)
            continue
        found.append(Found(text[entity.start:entity.end], entity.start, entity.end,
                           entity.label))
    if kind == QuestionKind.WHERE:  # "North Korea’s elite units" places nothing in North Korea
        found = [f for f in found if not _POSSESSIVE.match(text[f.end - 2:f.end] + " ")
                 and not _POSSESSIVE.match(text[f.end:] + " ")]
    return [replace(trimmed, label=f.label) for f in found
            if (trimmed := _trim(sentence, f.start, f.end))]


def _fits_time(kind: QuestionKind, sentence: Parse, entity: Entity) -> bool:
    """Whether a date or time phrase is of the kind asked: a time is no number of units
    ("three days"); a date holds a number ("1981", "March 24", not "Saturday"); a length of
    time a number or units and names no day or month ("27", "three days", "months", not
    "yesterday", "February 6" or a year alone, "in 2015", but "since 2003")."""
    if kind not in (QuestionKind.WHEN, QuestionKind.DATE, QuestionKind.DURATION):
        return True
    if not sentence.tokens:  # stored without its parse: only the count is known
        return kind != QuestionKind.WHEN or not entity.counted
    if kind == QuestionKind.DURATION:
        tags = sentence.tags_within(entity.start, entity.end)
        return bool(tags & {"CD", "NNS"}) and "NNP" not in tags and \
            (not _YEAR.fullmatch(sentence.text[entity.start:entity.end]) or
             _counted_from(sentence, entity))
    return not entity.counted and (kind == QuestionKind.WHEN or
                                   "CD" in sentence.tags_within(entity.start, entity.end))


def _counted_from(sentence: Parse, entity: Entity) -> bool:
    """Whether the entity is the time a length of time is counted from: "since 2003"."""
    at = next((i for i, t in enumerate(sentence.tokens) if t.start == entity.start), None)
    return at is not None and sentence.dep(at) == "pobj" and \
        sentence.lemma(sentence.head(at)).lower() == "since"


def _owns(sentence: str, owner: Found, entity: Entity) -> bool:
    """Whether ``owner`` is followed by a possessive and then ``entity`` ("South Korea’s NIS":
    the pipeline puts the "’s" inside or outside the first name)."""
    gap = sentence[owner.end:entity.start]
    return bool(_POSSESSIVE.fullmatch(gap) or
                (gap.isspace() and _POSSESSIVE.fullmatch(sentence[owner.end - 2:entity.start])))


def _with_unit(sentence: Parse, entity: Entity) -> Found:
    """Extend a number by the noun it counts ("1,500 North Korean special forces")."""
    end = entity.end
    inside = [i for i, t in enumerate(sentence.tokens) if entity.start <= t.start < entity.end]
    if inside and sentence.dep(inside[-1]) == "nummod":
        counted = sentence.head(inside[-1])
        if counted > inside[-1] and sentence.tag(counted).startswith("NN"):
            end = sentence.tokens[counted].end
    return Found(sentence.text[entity.start:end], entity.start, end, entity.label)


def _trim(sentence: Parse, start: int, end: int) -> Found | None:
    """The phrase at ``[start, end)`` without the words that open a phrase without naming
    anything ("According to …", "the …") or close it (a comma, a full stop, a possessive
    "’s"); a full stop inside a word stays ("U.S.")."""
    if not sentence.tokens:  # a sentence stored without its parse: trim by characters
        text = sentence.text[start:end].rstrip(".,;:’'")
        return Found(text, start, start + len(text)) if text.strip() else None
    inside = [i for i, t in enumerate(sentence.tokens) if start <= t.start and t.end <= end]
    while inside and sentence.tag(inside[0]) in _LEADING and \
            sentence.dep(inside[0]) != "advmod":  # "at least 71": a modifier, kept
        inside.pop(0)
    while inside and sentence.tag(inside[-1]) in _TRAILING:
        inside.pop()
    inside = _bracketed(sentence, inside)
    if not inside:
        return None
    start, end = sentence.tokens[inside[0]].start, sentence.tokens[inside[-1]].end
    return Found(sentence.text[start:end], start, end)


def _bracketed(sentence: Parse, inside: list[int]) -> list[int]:
    """The tokens ``inside`` with every bracket closed. The pipeline often ends a name inside
    the bracket it opens ("the World Health Organization (WHO"): the phrase takes the close
    when it comes next, else ends before the bracket. A close it never opened takes its
    opening bracket when that comes just before the phrase ("[the] European Southern
    Observatory"), else the phrase starts after it."""
    if not inside:
        return inside
    for position in range(len(inside)):
        unmatched = _unclosed("".join(sentence.word(i) for i in inside[:position + 1]))
        if unmatched and unmatched[0] in _CLOSERS:  # closes what opened before the phrase
            before = inside[0] - 1
            if before >= 0 and sentence.word(before) == _OPENING[unmatched[0]]:
                return _bracketed(sentence, [before, *inside])
            return _bracketed(sentence, inside[position + 1:])
    opened = _unclosed("".join(sentence.word(i) for i in inside))
    if not opened:
        return inside
    after = inside[-1] + 1
    if after < len(sentence) and _unclosed(sentence.word(after)) == (_OPENERS[opened[-1]],) \
            and not _unclosed("".join(sentence.word(i) for i in inside) + sentence.word(after)):
        return [*inside, after]
    # Up to the bracket left open: the longest start of the phrase that closes all it opens.
    balanced = max(n for n in range(len(inside))
                   if not _unclosed("".join(sentence.word(i) for i in inside[:n])))
    if balanced == 0:  # "(WHO": the name without its bracket
        return _bracketed(sentence, inside[1:])
    kept = inside[:balanced]
    while kept and sentence.tag(kept[-1]) in _TRAILING:
        kept.pop()
    return kept


def _unclosed(text: str) -> tuple[str, ...]:
    """The brackets ``text`` leaves open, or the first close it has no opening for (alone)."""
    stack: list[str] = []
    for character in text:
        if character in _OPENERS:
            stack.append(character)
        elif character in _CLOSERS:
            if not stack or _OPENERS[stack[-1]] != character:
                return (character,)
            stack.pop()
    return tuple(stack)


def typed_phrases(kind: QuestionKind, sentence: Parse, question_terms: set[str] | frozenset[str],
                  names: frozenset[str] = frozenset()) -> list[Found]:
    """The sentence's phrases of the wanted kind, in text order.

    Phrases made only of question words are skipped: asked "What did North Korea deny?",
    "North Korea" is not the answer. So are phrases that only place or describe one of
    ``names`` (``event_names``): asked where Seoul's mayor was found, "Seoul, South Korea"
    does not say where.
    """
    return [c for c in _typed(kind, sentence)
            if not _only_question_words(c.text, question_terms)
            and not _qualifies(sentence, c, names)]


def _qualifies(sentence: Parse, found: Found, names: frozenset[str]) -> bool:
    """Whether the phrase only places or describes one of ``names`` (see ``event_names``):
    "South Korea" in "the mayor of Seoul, South Korea", "Norway" in "Karsten Warholm of
    Norway". Climbs from the phrase through appositions and prepositions, never past a verb,
    to a proper noun of those names."""
    inside = [i for i, t in enumerate(sentence.tokens)
              if found.start <= t.start and t.end <= found.end]
    roots = [i for i in inside if sentence.head(i) not in inside or sentence.head(i) == i]
    at = roots[0] if roots else None
    for _ in range(4 if names and at is not None else 0):
        head = sentence.head(at)
        if head == at or sentence.dep(at) not in ("appos", "pobj", "prep") or \
                sentence.is_verb(head):
            return False
        at = head
        if _proper(sentence, at) and stem(sentence.word(at).lower()) in names:
            return True
    return False


def _only_question_words(text: str, question_terms: set[str]) -> bool:
    content = [stem(w) for w in words(text) if w not in STOPWORDS]
    return bool(content) and all(t in question_terms for t in content)
