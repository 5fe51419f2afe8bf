"""Which phrase of the wanted kind answers, when a sentence holds several: a learned choice.

"Retired teacher Maria Lopez of Valencia, Spain found the letters …" holds three names for
"Who found the letters?"; the one that answers is the subject of the verb the question asks
about. Each typed phrase of the sentence (``phrases``) is described by where it stands: how
near the words the sentence shares with the question it is, in the text and in the parse, and
whether it comes before them; its role (subject, object, object of a preposition and whether
the question says that preposition, modifier of another noun, apposition); whether it hangs
from the question's verb; how much of it repeats the question; whether it is the first such
phrase, and its length; how often answers to the kind of question asked are of its entity
type. A linear score over those ranks the phrases; its weights, and those shares, are fitted
by ``training/train_phrases.py`` on SQuAD 2.0 and the Wikinews dev split, from pairs of one
answering and one other phrase of the same sentence, and live with a record of their data in
``phrase_chooser.json`` beside this file. No weight here is set by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answer.extractive.kinds import core_lemmas, event_names
from assistant.answer.extractive.linear import ModelFileError, read_linear
from assistant.text.lexical import STOPWORDS, stem, terms, words
from assistant.text.syntax import OBJECTS, Parse, parse_question

if TYPE_CHECKING:
    from assistant.answer.extractive.phrases import Found

PHRASE_CHOOSER_FILE = Path(__file__).with_name("phrase_chooser.json")
FEATURES = ("near", "tree", "before", "subject", "object", "preposition", "asked_preposition",
            "modifier", "apposition", "verb", "repeats", "first", "length", "typical")
_MODIFIERS = frozenset({"compound", "poss", "amod", "nmod"})
_CLIMB = 3  # how many heads up a phrase may hang from the question's verb
_FAR = 30  # parse paths are followed this far at most: a longer one measures as this long


@dataclass(frozen=True)
class Wanted:
    """What a question brings to the choice of a phrase."""

    terms: frozenset[str]  # its (stemmed) content words
    names: frozenset[str]  # the names a phrase may only place or describe (``event_names``)
    words: frozenset[str] = frozenset()  # all its words, lower-cased ("from", "to" included)
    verbs: frozenset[str] = frozenset()  # lemmas of its verbs and the words completing them

    @classmethod
    def of(cls, question: str) -> Wanted:
        parse = parse_question(question)
        verbs = {parse.lemma(i).lower() for i in range(len(parse)) if parse.is_verb(i)}
        return cls(frozenset(terms(question)), event_names(question),
                   frozenset(w.lower() for w in words(question)),
                   core_lemmas(question) | frozenset(verbs - STOPWORDS - {"be"}))


Typical = Mapping[str, Mapping[str, float]]  # kind → entity type → share of its answers


def features(sentence: Parse, found: Sequence[Found], wanted: Wanted, kind: str,
             typical: Typical) -> list[tuple[float, ...]]:
    """The measures of each phrase in ``found`` (of ``sentence``), in the order of
    ``FEATURES``; ``typical``: the share of answers of each entity type, by kind of
    question."""
    shares = typical.get(kind, {})
    anchors = [i for i in range(len(sentence))
               if stem(sentence.word(i).lower().strip("’'")) in wanted.terms]
    rows = []
    for n, phrase in enumerate(found):
        inside = [i for i, t in enumerate(sentence.tokens)
                  if phrase.start <= t.start and t.end <= phrase.end]
        if not inside:
            rows.append(tuple(0.0 for _ in FEATURES))
            continue
        root = next((i for i in inside if sentence.head(i) not in inside
                     or sentence.head(i) == i), inside[0])
        dep, head = sentence.dep(root), sentence.head(root)
        distance = min((min(abs(i - a) for i in inside) for a in anchors), default=None)
        path = min((_path(sentence, root, a) for a in anchors), default=None)
        content = [stem(w) for w in words(phrase.text) if w.isalpha()]
        rows.append((
            1 / (1 + distance) if distance is not None else 0.0,
            1 / (1 + path) if path is not None else 0.0,
            float(bool(anchors) and inside[-1] < anchors[0]),
            float(dep in ("nsubj", "nsubjpass")),
            float(dep in OBJECTS),
            float(dep == "pobj"),
            float(dep == "pobj" and sentence.word(head).lower() in wanted.words),
            float(dep in _MODIFIERS),
            float(dep == "appos" or bool(sentence.children(root, "appos"))),
            float(_hangs_from(sentence, root, wanted.verbs)),
            sum(c in wanted.terms for c in content) / len(content) if content else 0.0,
            float(n == 0),
            min(len(inside), 10) / 10,
            shares.get(phrase.label, 0.0),
        ))
    return rows


def _path(sentence: Parse, a: int, b: int) -> int:
    """The number of parse edges between words ``a`` and ``b``."""
    above = {}
    at, steps = a, 0
    while steps < _FAR:
        above[at] = steps
        if sentence.head(at) == at:
            break
        at, steps = sentence.head(at), steps + 1
    at, steps = b, 0
    while steps < _FAR:
        if at in above:
            return above[at] + steps
        if sentence.head(at) == at:
            break
        at, steps = sentence.head(at), steps + 1
    return _FAR


def _hangs_from(sentence: Parse, at: int, verbs: frozenset[str]) -> bool:
    """Whether one of the few heads above ``at`` is a verb the question says."""
    for _ in range(_CLIMB):
        head = sentence.head(at)
        if head == at:
            return False
        at = head
        if sentence.is_verb(at) and sentence.lemma(at).lower() in verbs:
            return True
    return False


@dataclass(frozen=True)
class PhraseChooser:
    """score = coefficients · features; the best-scoring phrase answers."""

    coefficients: tuple[float, ...]
    typical: Typical

    @classmethod
    def load(cls, path: Path = PHRASE_CHOOSER_FILE) -> PhraseChooser:
        script = "training/train_phrases.py"
        coefficients, _ = read_linear(path, "phrase chooser", FEATURES, script)
        try:
            typical = json.loads(path.read_text(encoding="utf-8"))["typical"]
            shares = {str(k): {str(label): float(v) for label, v in by_label.items()}
                      for k, by_label in typical.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ModelFileError(f"cannot read the answer types of {path}: {error}; run "
                                 f"{script} to make it") from None
        return cls(coefficients, shares)

    def best(self, sentence: Parse, found: Sequence[Found], wanted: Wanted,
             kind: str) -> Found:
        """Of ``found`` (not empty), the phrase that scores highest; the first of a tie."""
        if len(found) == 1:
            return found[0]
        scores = [sum(c * v for c, v in zip(self.coefficients, row, strict=True))
                  for row in features(sentence, found, wanted, kind, self.typical)]
        return found[max(range(len(found)), key=lambda i: (scores[i], -i))]
