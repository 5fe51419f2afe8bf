"""The names and numbers a question hinges on, and whether a text mentions them.

"What did Xi Jinping say?" cannot be answered from articles that never name Xi Jinping, and
"What did Japan's prime minister say?" not from a passage that never mentions Japan, however
well the rest of the question matches. Names are found by surface form (capitals, digits,
quotes), so this works on any article.
"""

from __future__ import annotations

import re

from assistant.text.lexical import STOPWORDS, stem, words


def names_outside(question: str, text: str) -> list[str]:
    """Names and numbers of the question that ``text`` never mentions."""
    present = {stem(w.replace(",", "")) for w in words(text)}
    return [name for name in key_names(question) if not mentions(name, present, text)]


def mentions(name: str, present: set[str], text: str) -> bool:
    """Whether any word of ``name`` is among the stems ``present`` in ``text``, or the name
    is an acronym spelled out in it."""
    name_terms = [stem(w.replace(",", "")) for w in words(name) if w not in STOPWORDS]
    return not name_terms or any(t in present or prefix_in(t, present) for t in name_terms) \
        or spelled_out(name, text)


def spelled_out(acronym: str, text: str) -> bool:
    """Whether an acronym's words appear in full: "UN" in "the United Nations"."""
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
    names.extend(re.findall(r"\b\d[\d,.]*\b", question))
    names.extend(re.findall(r"[\"“]([^\"”]+)[\"”]", question))
    return list(dict.fromkeys(names))  # a quoted name is also a capitalised one: list it once
