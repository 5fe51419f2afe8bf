"""The names and numbers a question hinges on, and whether a text mentions them.

"What did Xi Jinping say?" cannot be answered from articles that never name Xi Jinping, and
"What did Japan's prime minister say?" not from a passage that never mentions Japan, however
well the rest of the question matches. A question's names are the entities the NLP
pipeline finds in it (``asked_names``); in a model's written sentence, every capitalised
phrase, number and quote counts (``key_names``), since an invented one must be caught.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.text.lexical import STOPWORDS, stem, words
from assistant.text.syntax import Parse, parse_question

# The entity types (the NLP pipeline's) that name something a question can hinge on; of a
# date or time ("the same day", "March 2019") only its names and numbers count, since news
# gives dates relative to the article's ("yesterday").
_NAME_TYPES = frozenset({"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT",
                         "WORK_OF_ART", "LAW", "LANGUAGE"})
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")


def names_outside(question: str, text: str, names: list[str] | None = None,
                  places: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Names and numbers of the question (``names``, else ``key_names``) that ``text`` never
    mentions, itself or (for a group's word, see ``groups``) by one of its ``places``."""
    present = {stem(w.replace(",", "")) for w in words(text)}
    places = places or {}
    return [name for name in (key_names(question) if names is None else names)
            if not mentions(name, present, text)
            and not any(says_place(p, present, text) for p in places.get(name, ()))]


def asked_names(question: str) -> list[str]:
    """The names and numbers a question hinges on, as the NLP pipeline reads the question:
    its named people, organisations, places, groups, events, works and laws, the months and
    days its dates name, its numbers and its quoted phrases. A capitalised common noun
    ("TV") is no name."""
    parse = parse_question(question)
    names = []
    for entity in parse.entities:
        inside = [i for i, token in enumerate(parse.tokens)
                  if entity.start <= token.start < entity.end]
        if entity.label in _NAME_TYPES:
            names.extend(_entity_name(question, parse, entity.end, inside))
        elif entity.label in ("DATE", "TIME"):  # of "March 2019", "Friday night": the names
            names.extend(parse.word(i) for i in inside if parse.tag(i) == "NNP")
    names.extend(_NUMBER.findall(question))
    names.extend(_QUOTED.findall(question))
    return list(dict.fromkeys(names))


def asked_groups(question: str) -> list[str]:
    """Of ``asked_names``, the nationalities and religious or political groups ("Polish",
    "Americans"): the NLP pipeline's NORP entities."""
    parse = parse_question(question)
    return [name for entity in parse.entities if entity.label == "NORP"
            for name in _entity_name(question, parse, entity.end,
                                     [i for i, token in enumerate(parse.tokens)
                                      if entity.start <= token.start < entity.end])]


def _entity_name(question: str, parse: Parse, end: int, inside: list[int]) -> list[str]:
    """The name an entity's words give: "the 2022 World Cup" names the World Cup (its number
    is listed on its own)."""
    while inside and parse.tag(inside[0]) in ("DT", "CD"):
        inside = inside[1:]
    return [question[parse.tokens[inside[0]].start:end]] if inside else []


def subject_names(question: str, names: list[str]) -> list[str]:
    """Of ``names``, those inside the subject of the question's main verb: who or what the
    asked fact is about ("*Japan's* prime minister" in "What did Japan's prime minister
    say …?"), which a passage must name to state it. The others set the scene ("in the
    *B-17* crash at *Bradley* airport") and may be named anywhere in the article."""
    parse = parse_question(question)
    spans = []
    for root in (i for i in range(len(parse)) if parse.dep(i) == "ROOT"):
        for subject in parse.children(root, "nsubj", "nsubjpass", "csubj"):
            inside = list(parse.subtree(subject))
            spans.append((parse.tokens[min(inside)].start, parse.tokens[max(inside)].end))
    found = []
    for name in names:
        at = question.find(name)
        if at >= 0 and any(start <= at < end for start, end in spans):
            found.append(name)
    return found


def mentions(name: str, present: set[str], text: str) -> bool:
    """Whether any word of ``name`` is among the stems ``present`` in ``text``, or the name
    is an acronym spelled out in it."""
    name_terms = [stem(w.replace(",", "")) for w in words(name) if w not in STOPWORDS]
    return not name_terms or any(t in present or prefix_in(t, present) for t in name_terms) \
        or spelled_out(name, text)


def says_place(place: str, present: set[str], text: str) -> bool:
    """Whether ``text`` (whose word stems are ``present``) names ``place``: every word of it
    ("Saudi Arabia", not just "Arabia"), or for an acronym ("US", "U.K."), the acronym or its
    words in full."""
    if re.fullmatch(r"(?:[A-Z]\.?){2,6}", place):
        return bool(re.search(rf"(?<![\w.]){re.escape(place)}(?!\w)", text)) or \
            spelled_out(place.replace(".", ""), text)
    content = [stem(w) for w in words(place) if w not in STOPWORDS]
    return bool(content) and all(t in present for t in content)


def spelled_out(acronym: str, text: str) -> bool:
    """Whether an acronym's words appear in full: "UN" in "the United Nations" (and "us" in
    "the United States", from a question typed in lower case)."""
    acronym = acronym.upper() if acronym.islower() else acronym
    if not re.fullmatch(r"[A-Z]{2,6}", acronym):
        return False
    for match in re.finditer(r"[A-Z][a-z]+(?:\s+(?:of\s+|for\s+|and\s+)?[A-Z][a-z]+)+", text):
        initials = "".join(w[0] for w in match.group(0).split() if w[0].isupper())
        if acronym in initials:
            return True
    return False


def prefix_in(term: str, evidence: set[str]) -> bool:
    """"korea" matches "korean": names and their adjectives share a stem prefix."""
    return len(term) >= 4 and any(e.startswith(term) or term.startswith(e)
                                  for e in evidence if len(e) >= 4)


def key_names(question: str) -> list[str]:
    """Capitalised names (not the first word), numbers and quoted phrases in a question."""
    names = []
    for match in re.finditer(r"(?<![\w’'])([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)", question):
        phrase = match.group(1)
        if match.start() == 0 or question[: match.start()].rstrip().endswith(("?", ".", "!")):
            phrase = phrase.split(None, 1)[1] if " " in phrase else ""
        if phrase and phrase.lower() not in STOPWORDS:
            names.append(phrase)
    names.extend(_NUMBER.findall(question))
    names.extend(_QUOTED.findall(question))
    return list(dict.fromkeys(names))  # a quoted name is also a capitalised one: list it once
