"""What kind of answer a question wants, read from the question's parse.

"Who" wants a name, "how many" a number, "when" a time, "where" a place; "what year …" a
date and "which agency …" a name, by a small trained model over the asked noun's word
vector (``NounKinds``); "how old …" or "how far …" a measure, by the same model over the
adjective's; a noun it leaves untyped is typed by how the coverage uses it
(``phrases.noun_kind``). The answerer prefers sentences that hold such a phrase and
leads its answer with it (see ``phrases``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from assistant.text.lexical import STOPWORDS, stem
from assistant.text.synonyms import WordVectors
from assistant.text.syntax import Parse, parse_question


class QuestionKind(StrEnum):
    WHO = "who"
    WHEN = "when"  # a time: "on Monday", "in March 2019", "last year"
    DATE = "date"  # a time a number fixes: "what year" → "1981", "what date" → "March 24"
    WHERE = "where"
    HOW_MANY = "how_many"
    DURATION = "duration"  # a length of time: "how long" → "three days", "how old" → "27"
    OTHER = "other"


STRICT_KINDS = frozenset({QuestionKind.HOW_MANY, QuestionKind.WHEN, QuestionKind.DATE,
                          QuestionKind.DURATION})  # only a sentence holding a count, a date
# or a length of time answers these

KINDS_FILE = Path(__file__).with_name("noun_kinds.json")
AMOUNT = "amount"  # an answer class: "how much", answered by money or a share
# The question words that say themselves what kind of answer they want: the kinds are
# defined by them. "What/which NOUN …" is typed by its noun (``NounKinds``). The first
# question word is the one asked: "when" in "Why was he there when …?" is not.
# What a degree ("how old", "how far", "how long") can ask for: a measure.
MEASURES = (QuestionKind.HOW_MANY.value, QuestionKind.DURATION.value, AMOUNT)
_NAMED_KINDS = {"who": QuestionKind.WHO.value, "whom": QuestionKind.WHO.value,
                "whose": QuestionKind.WHO.value, "when": QuestionKind.WHEN.value,
                "where": QuestionKind.WHERE.value, "how many": QuestionKind.HOW_MANY.value,
                "how much": AMOUNT}


class KindModelError(ValueError):
    """The noun-kind model is missing or does not fit the word vectors; the message says
    which."""


@dataclass(frozen=True)
class NounKinds:
    """What kind of answer "what/which NOUN …" wants, from the noun's word vector: a
    multinomial logistic regression fitted by ``training/train_noun_kinds.py`` on SQuAD 2.0
    and the Wikinews dev split, whose answers the NLP pipeline typed ("what year" → when,
    "which province" → where, "which agency" → who, "what percentage" → amount, "what
    cause" → other). ``noun_kinds.json`` holds its weights."""

    classes: tuple[str, ...]
    coefficients: np.ndarray  # one row per class, one column per word-vector dimension
    intercepts: np.ndarray

    @classmethod
    def load(cls, path: Path = KINDS_FILE) -> NounKinds:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            model = cls(tuple(data["classes"]), np.asarray(data["coefficients"], np.float32),
                        np.asarray(data["intercepts"], np.float32))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise KindModelError(f"cannot read the noun-kind model {path}: {error}; run "
                                 "training/train_noun_kinds.py to make it") from None
        known = {k.value for k in QuestionKind} | {AMOUNT}
        if not set(model.classes) <= known or model.coefficients.ndim != 2 or \
                model.coefficients.shape[0] != len(model.classes) or \
                model.intercepts.shape != (len(model.classes),):
            raise KindModelError(f"{path} does not hold a noun-kind model over "
                                 f"{', '.join(sorted(known))}")
        return model

    def predict(self, vector: np.ndarray) -> str:
        return self.likeliest(vector)[0]

    def likeliest(self, vector: np.ndarray, among: tuple[str, ...] | None = None
                  ) -> tuple[str, float]:
        """The likeliest class and its probability; of ``among`` only, when given (then the
        probability is among them; the first of them, at 0, when the model has none)."""
        if vector.shape != (self.coefficients.shape[1],):
            raise KindModelError(f"the noun-kind model was fitted on {self.coefficients.shape[1]}"
                                 f"-dimensional word vectors, not {vector.shape[-1]}; run "
                                 "training/train_noun_kinds.py again")
        allowed = [i for i, c in enumerate(self.classes) if among is None or c in among]
        if not allowed:
            return (among or (QuestionKind.OTHER.value,))[0], 0.0
        scores = (self.coefficients @ vector + self.intercepts)[allowed]
        odds = np.exp(scores - scores.max())
        best = int(np.argmax(scores))
        return self.classes[allowed[best]], float(odds[best] / odds.sum())


def named_kind(parse: Parse) -> str | None:
    """The kind a question word names ("who", "when", "where", "how many", "how much"; "how"
    with an adjective or adverb asks for a measure, a number: "how old", "how long"), or
    None when the question word leaves it to the rest of the question."""
    asked = _asked(parse)
    if asked is None:
        return None
    if degree(parse) is not None:
        return QuestionKind.HOW_MANY.value
    at = asked[0]
    word = parse.lemma(at).lower()
    if word == "how" and at + 1 < len(parse):
        word = f"how {parse.lemma(at + 1).lower()}"
    return _NAMED_KINDS.get(word)


def degree(parse: Parse) -> str | None:
    """The adjective or adverb of a question asking "how" of a degree ("old" in "How old is
    she?", "long", "far"), None for any other question ("how many", "how much", "how did")."""
    asked = _asked(parse)
    if asked is None or parse.lemma(asked[0]).lower() != "how" or asked[0] + 1 >= len(parse):
        return None
    word = parse.word(asked[0] + 1).lower()
    if f"how {parse.lemma(asked[0] + 1).lower()}" in _NAMED_KINDS or \
            parse.tag(asked[0] + 1)[:2] not in ("JJ", "RB"):
        return None
    return word


class QuestionKinds:
    """The type of answer each question wants: the one its question word names, else the
    one its asked noun calls for ("what *year* …", "which *agency* …", typed by
    ``NounKinds`` over the noun's word vector), else other. A degree ("how *old* …") is
    typed by the same model over its adjective, as one of the measures. Without word
    vectors, nouns are not typed and a degree asks for a number."""

    def __init__(self, nouns: NounKinds, word_vectors: WordVectors | None) -> None:
        self.nouns = nouns
        self.word_vectors = word_vectors

    def answer_class(self, question: str) -> str:
        parse = parse_question(question)
        asked_degree = degree(parse)
        if asked_degree is not None and self.word_vectors is not None:
            # "how old" wants a length of time, "how far" a quantity. A degree the model
            # cannot place (no measure likelier than the others together: "how big") takes
            # any number.
            measure, probability = self.nouns.likeliest(self.word_vectors([asked_degree])[0],
                                                        among=MEASURES)
            return measure if probability > 0.5 else QuestionKind.HOW_MANY.value
        named = named_kind(parse)
        if named is not None:
            return named
        noun = asked_noun(question)
        if noun is None or self.word_vectors is None:
            return QuestionKind.OTHER.value
        return self.nouns.predict(self.word_vectors([noun])[0])

    def kind(self, question: str) -> QuestionKind:
        """Who, when, a date (a time a number fixes), where, how many (or how much), a
        length of time, or other."""
        found = self.answer_class(question)
        return QuestionKind.HOW_MANY if found == AMOUNT else QuestionKind(found)

    def wants_amount(self, question: str) -> bool:
        """Whether the question asks how much (money, a share), not how many of a thing."""
        return self.answer_class(question) == AMOUNT


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


def asked_verb(question: str) -> str | None:
    """The lemma of the question's main verb ("carry" in "What cargo was the tanker
    carrying?"), None when it is "be" or the question has no verb."""
    parse = parse_question(question)
    verb = _main_verb(parse)
    if verb is None or not parse.is_verb(verb) or parse.lemma(verb) == "be":
        return None
    return parse.lemma(verb).lower()


def _main_verb(parse: Parse) -> int | None:
    """The root; when that is "be" or "do" with a verb below it (a parse of "What was the
    tanker carrying?" that roots it at "was"), that verb."""
    root = next((i for i in range(len(parse)) if parse.dep(i) == "ROOT"), None)
    if root is not None and parse.lemma(root) in ("be", "do"):
        below = [i for i in parse.children(root) if parse.is_verb(i)]
        if below:
            return below[0]
    return root


def core_lemmas(question: str) -> frozenset[str]:
    """What the question asks, as lemmas: its main verb with the common nouns and particles
    that complete it ("claim", "responsibility", "group" in "Which group claimed
    responsibility for the drone strikes …?"), not the phrases that set the scene ("… for
    the drone strikes on Saudi Aramco's oil facilities")."""
    parse = parse_question(question)
    root = _main_verb(parse)
    if root is None:
        return frozenset()
    core = [root, *parse.children(root, "dobj", "attr", "prt", "acomp", "xcomp", "nsubj",
                                  "nsubjpass", "advmod")]
    core += [parse.head(i) for i in range(len(parse))
             if parse.tag(i) in ("WDT", "WP$") and parse.head(i) != i]  # "Which *group*"
    return frozenset(parse.lemma(i).lower() for i in core
                     if parse.tag(i) in ("NN", "NNS", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ",
                                         "RP", "JJ", "RB")
                     and parse.lemma(i).lower() not in STOPWORDS
                     and parse.lemma(i).lower() != "be")


def event_names(question: str) -> frozenset[str]:
    """The stemmed proper nouns of a question about an event ("Where was the body of Seoul
    mayor Park Won-soon found?"), whose appositions ("Seoul, South Korea") describe the names,
    not the event. Empty for a question about the name itself, whose verb is "be" ("Where is
    Mokha?", "Where was Arnav Gupta from?"): there the description is the answer."""
    parse = parse_question(question)
    if any(parse.dep(i) == "ROOT" and parse.lemma(i) == "be" for i in range(len(parse))):
        return frozenset()
    return frozenset(stem(parse.word(i).lower()) for i in range(len(parse))
                     if parse.tag(i) in ("NNP", "NNPS"))


def counted_noun(question: str) -> str | None:
    """The noun a "how many" question counts: "troops" in "How many North Korean troops …"."""
    parse = parse_question(question)
    for i in range(len(parse)):
        if parse.lemma(i) in ("many", "much") and parse.dep(i) == "amod" and \
                parse.child(i, "advmod") is not None:
            return parse.word(parse.head(i)).lower()
    return None


def named_noun(question: str) -> str | None:
    """The noun whose name "What is the name of NOUN …?" asks for: "pilot" in "What was the
    name of the pilot …?" (a common noun; "Ginger Baker's real name" asks another thing)."""
    parse = parse_question(question)
    for i in range(len(parse)):
        if parse.lemma(i) == "name" and parse.tag(i) in ("NN", "NNS") and \
                parse.dep(i) in ("nsubj", "attr") and parse.lemma(parse.head(i)) == "be":
            of = next((p for p in parse.children(i, "prep") if parse.lemma(p) == "of"), None)
            noun = parse.child(of, "pobj") if of is not None else None
            if noun is not None and parse.tag(noun) in ("NN", "NNS"):
                return parse.word(noun).lower()
    return None


def asked_noun(question: str) -> str | None:
    """The noun in "which agency …" / "what country …", the head of the answer phrase; for
    "What is the name of the pilot …?", the pilot."""
    named = named_noun(question)
    if named is not None:
        return named
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
    parse = parse_question(question)
    content = [i for i in range(len(parse)) if parse.tag(i)[:1].isalpha()]
    if len(content) < 3 or content[:2] != [0, 1] or parse.lemma(0).lower() != "who" or \
            parse.lemma(1) != "be" or parse.tag(2) not in ("NNP", "NNPS"):
        return None
    return parse.text[parse.tokens[2].start:parse.tokens[content[-1]].end]


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
