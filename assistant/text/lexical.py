"""Words and stems: the one tokenizer behind BM25, overlap scores and name checks.

The same tokenizer feeds retrieval and the answerer's overlap scores, so "denied" in a question
meets "denied"/"denies" in the article.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,][0-9]+)*")
STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from about as into onto
    over under after before during between through is are was were be been being am do does
    did doing have has had having i me my we our you your he him his she her it its they them
    their this that these those there here what which who whom whose when where why how
    whether not no nor so than too very can could will would shall should may might must
    also just only any all each both either neither some such own same other more most much
    many few s t up down out off again further once according said says say tell told""".split()
)


_SUFFIXES = (
    # (suffix, replacement, shortest stem left) — applied once, first match wins.
    ("ies", "y", 3), ("ied", "y", 3), ("sses", "ss", 2), ("ations", "", 4), ("ation", "", 4),
    ("ments", "", 4), ("ment", "", 4), ("ing", "", 4), ("ed", "", 4), ("es", "", 4),
    ("s", "", 3),
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: "denied"/"denies"/"deny" and "troops"/"troop" meet."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, replacement, shortest in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            word = word[: len(word) - len(suffix)] + replacement
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-cased word tokens; numbers keep their separators ("1,500")."""
    return [t.lower() for t in _TOKEN.findall(text.replace("’", "'"))]


def terms(text: str) -> list[str]:
    """Stemmed content words: what BM25 indexes and overlap scores compare."""
    return [stem(w.replace(",", "")) for w in words(text) if w not in STOPWORDS]
