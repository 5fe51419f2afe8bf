"""The phrase chooser: the measures of a sentence's typed phrases, the choice by the learned
score, and the fitted file that ships."""

from __future__ import annotations

import hashlib
import json

import pytest

from assistant.answer.extractive.kinds import QuestionKind
from assistant.answer.extractive.linear import ModelFileError
from assistant.answer.extractive.phrases import typed_phrases
from assistant.answer.extractive.picking import (
    FEATURES,
    PHRASE_CHOOSER_FILE,
    PhraseChooser,
    Wanted,
    features,
)
from assistant.text.syntax import parse_question
from tests.support import PROJECT_ROOT

FOUND = "Retired teacher Maria Lopez of Valencia, Spain found the letters in an attic last spring."
TRAINED = ("The general, speaking at the United Nations in New York, said the recruits were "
           "trained in Siberia.")
TYPICAL = {"who": {"PERSON": 0.5, "GPE": 0.1}}


def measured(question: str, sentence: str, kind: QuestionKind) -> dict[str, dict[str, float]]:
    parse, wanted = parse_question(sentence), Wanted.of(question)
    found = typed_phrases(kind, parse, wanted.terms, wanted.names)
    return {phrase.text: dict(zip(FEATURES, row, strict=True))
            for phrase, row in zip(found, features(parse, found, wanted, kind.value, TYPICAL),
                                   strict=True)}


def test_what_the_question_brings_to_the_choice():
    wanted = Wanted.of("Where were the recruits trained?")
    assert {"recruit", "train"} <= wanted.terms
    assert "train" in wanted.verbs and "where" in wanted.words


def test_measures_of_each_typed_phrase():
    phrases = measured("Who found the letters?", FOUND, QuestionKind.WHO)
    person = phrases["Maria Lopez"]
    assert person["first"] == 1.0 and person["typical"] == 0.5
    assert person["verb"] == 1.0  # the subject of "found", the verb asked about
    assert person["before"] == 1.0  # it comes before the words the question shares
    assert phrases["Valencia"]["preposition"] == 1.0 and phrases["Valencia"]["first"] == 0.0
    assert phrases["Valencia"]["typical"] == 0.1
    places = measured("Where were the recruits trained?", TRAINED, QuestionKind.WHERE)
    assert places["Siberia"]["verb"] == 1.0 and places["United Nations"]["verb"] == 0.0
    assert places["Siberia"]["near"] > places["United Nations"]["near"]
    assert places["Siberia"]["tree"] > places["United Nations"]["tree"]
    assert all(row["typical"] == 0.0 for row in places.values())  # no shares for "where"


def test_the_phrase_with_the_best_learned_score_answers():
    parse, wanted = parse_question(TRAINED), Wanted.of("Where were the recruits trained?")
    found = typed_phrases(QuestionKind.WHERE, parse, wanted.terms, wanted.names)
    by_verb = PhraseChooser(tuple(1.0 if n == "verb" else 0.0 for n in FEATURES), {})
    assert by_verb.best(parse, found, wanted, "where").text == "Siberia"
    by_order = PhraseChooser(tuple(1.0 if n == "first" else 0.0 for n in FEATURES), {})
    assert by_order.best(parse, found, wanted, "where").text == "United Nations"
    level = PhraseChooser(tuple(0.0 for _ in FEATURES), {})
    assert level.best(parse, found, wanted, "where") == found[0]  # a tie: the first


def test_the_shipped_chooser_picks_the_phrase_the_asked_verb_governs():
    chooser = PhraseChooser.load()

    def picked(question: str, sentence: str, kind: QuestionKind) -> str:
        parse, wanted = parse_question(sentence), Wanted.of(question)
        found = typed_phrases(kind, parse, wanted.terms, wanted.names)
        return chooser.best(parse, found, wanted, kind.value).text

    assert picked("Who found the letters?", FOUND, QuestionKind.WHO) == "Maria Lopez"
    assert picked("Where were the recruits trained?", TRAINED, QuestionKind.WHERE) == "Siberia"


def test_the_shipped_chooser_records_its_data_and_beats_the_first_phrase():
    data = json.loads(PHRASE_CHOOSER_FILE.read_text())
    assert tuple(data["features"]) == FEATURES
    for record in (data["data"]["squad"], data["data"]["wikinews_dev"]):
        shipped = PROJECT_ROOT / record["file"]
        assert hashlib.sha256(shipped.read_bytes()).hexdigest() == record["sha256"]
    held = data["measured"]["squad-held-out"]
    assert held["sentences"] > 50 and held["top1"] > held["top1_first_phrase"]
    assert set(data["typical"]) >= {"who", "where", "how_many"}
    assert PhraseChooser.load().typical["where"]["GPE"] > PhraseChooser.load().typical["where"].get(
        "ORG", 0.0)


def test_a_missing_or_damaged_phrase_chooser_file_is_a_one_line_error(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read the phrase chooser model"):
        PhraseChooser.load(tmp_path / "absent.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"features": ["near"], "coefficients": [1.0]}))
    with pytest.raises(ModelFileError, match="fitted on other signals.*train_phrases"):
        PhraseChooser.load(other)
    untyped = tmp_path / "untyped.json"
    untyped.write_text(json.dumps({"features": list(FEATURES),
                                   "coefficients": [0.0] * len(FEATURES)}))
    with pytest.raises(ModelFileError, match="answer types of .*train_phrases"):
        PhraseChooser.load(untyped)
