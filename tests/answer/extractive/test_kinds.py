"""What kind of answer a question asks for (named by its question word, or typed by the
noun model), and the noun a "how many" question counts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answer.extractive.kinds import (
    KINDS_FILE,
    KindModelError,
    NounKinds,
    QuestionKind,
    QuestionKinds,
    asked_noun,
    asked_verb,
    core_lemmas,
    counted_noun,
    degree,
    described_name,
    named_noun,
)
from assistant.store.embedding import WordVectors
from assistant.text.syntax import parse_question


class RecordingVectors:
    """Word vectors from a table; records the words asked for."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, words: list[str]) -> np.ndarray:
        self.asked.extend(words)
        return np.array([self.table.get(w, [0.0, 0.0]) for w in words], dtype=np.float32)


# Two dimensions: the first says "a time", the second "a named group".
TOY = NounKinds(("other", "when", "who"), np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]]),
                np.array([0.5, 0.0, 0.0]))


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who denied the deployment?", QuestionKind.WHO),
        ("whom did the ministry summon", QuestionKind.WHO),
        ("how many troops were sent", QuestionKind.HOW_MANY),
        ("How much was the bail?", QuestionKind.HOW_MANY),
        ("How old is she?", QuestionKind.HOW_MANY),  # a measure: a number
        ("When did North Korea respond?", QuestionKind.WHEN),
        ("Where were the troops trained?", QuestionKind.WHERE),
        ("Why is the denial unsurprising?", QuestionKind.OTHER),
        ("Why was he in the enclosure when the lions attacked?", QuestionKind.OTHER),
        ("What did the ambassador say?", QuestionKind.OTHER),
        ("Which agency made the allegation?", QuestionKind.OTHER),  # no word vectors
    ],
)
def test_the_question_word_names_the_kind(question, kind):
    assert QuestionKinds(TOY, None).kind(question) == kind


def test_only_how_much_wants_an_amount():
    kinds = QuestionKinds(TOY, None)
    assert kinds.wants_amount("How much was the bail?")
    assert not kinds.wants_amount("How many troops were sent?")
    assert not kinds.wants_amount("Who paid the bail?")


def test_an_asked_noun_is_typed_by_the_model_over_its_word_vector():
    vectors = RecordingVectors({"year": [1.0, 0.0], "agency": [0.0, 1.0]})
    kinds = QuestionKinds(TOY, vectors)
    assert kinds.kind("In what year was he elected?") == QuestionKind.WHEN
    assert kinds.kind("Which agency made the allegation?") == QuestionKind.WHO
    assert kinds.kind("What cause did the report give?") == QuestionKind.OTHER
    assert vectors.asked == ["year", "agency", "cause"]
    assert kinds.kind("Who denied it?") == QuestionKind.WHO  # named: no noun to look up
    assert vectors.asked == ["year", "agency", "cause"]


# Two dimensions: the first says "a length of time", the second "a size".
MEASURING = NounKinds(("duration", "how_many", "other"),
                      np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]]), np.array([0.0, 0.0, 3.0]))


def test_a_degree_is_the_adjective_a_how_question_asks_about():
    assert degree(parse_question("How old is the mayor?")) == "old"
    assert degree(parse_question("how far did the rocket fly")) == "far"
    assert degree(parse_question("How many troops were sent?")) is None
    assert degree(parse_question("How much was the bail?")) is None
    assert degree(parse_question("How did the fire start?")) is None
    assert degree(parse_question("Who is the mayor?")) is None


def test_a_degree_asks_for_the_measure_the_model_gives_its_adjective():
    vectors = RecordingVectors({"old": [3.0, 0.0], "far": [0.0, 3.0], "big": [1.0, 1.0]})
    kinds = QuestionKinds(MEASURING, vectors)
    assert kinds.kind("How old is the mayor?") == QuestionKind.DURATION
    assert kinds.kind("How far did the rocket fly?") == QuestionKind.HOW_MANY
    # Of the measures only: "other" is likelier for "big" but is no measure; and no measure
    # is likelier than the others together, so any number answers.
    assert kinds.kind("How big was the force?") == QuestionKind.HOW_MANY
    assert vectors.asked == ["old", "far", "big"]
    # Without word vectors a degree asks for a number.
    assert QuestionKinds(MEASURING, None).kind("How old is the mayor?") == QuestionKind.HOW_MANY


def test_the_shipped_noun_model_types_nouns_it_was_not_shown(real_query_embedder):
    """The fitted model on the product's word vectors, for nouns of each kind."""
    kinds = QuestionKinds(NounKinds.load(), WordVectors(real_query_embedder))
    assert kinds.kind("In what year did the war end?") == QuestionKind.DATE
    assert kinds.kind("On what date was the election held?") == QuestionKind.DATE
    assert kinds.kind("How old was the mayor?") == QuestionKind.DURATION
    assert kinds.kind("How long did the strike last?") == QuestionKind.DURATION
    assert kinds.kind("How far did the rocket fly?") == QuestionKind.HOW_MANY
    assert kinds.kind("How big was the force?") == QuestionKind.HOW_MANY  # not placed
    assert kinds.kind("Which province was hit by the storm?") == QuestionKind.WHERE
    assert kinds.kind("Which agency reported the deployment?") == QuestionKind.WHO
    assert kinds.wants_amount("What percentage of voters backed him?")
    assert kinds.kind("What cause did the inquiry give for the fire?") == QuestionKind.OTHER


def test_the_shipped_noun_model_records_its_data():
    data = json.loads(KINDS_FILE.read_text())
    model = NounKinds.load()
    assert set(model.classes) == {"who", "when", "date", "where", "how_many", "duration",
                                  "amount", "other"}
    assert model.coefficients.shape == (len(model.classes), 384)
    assert data["data"]["squad"]["sha256"] and data["data"]["wikinews_dev"]["sha256"]
    held_out = data["measured"]["squad-held-out"]
    assert held_out["accuracy"] > held_out["most_frequent_label_accuracy"]


def test_a_missing_or_damaged_noun_model_is_a_one_line_error(tmp_path):
    with pytest.raises(KindModelError, match="cannot read the noun-kind model"):
        NounKinds.load(tmp_path / "absent.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"classes": ["why"], "coefficients": [[1.0]],
                                 "intercepts": [0.0]}))
    with pytest.raises(KindModelError, match="does not hold a noun-kind model"):
        NounKinds.load(other)
    with pytest.raises(KindModelError, match="fitted on 2-dimensional word vectors, not 3"):
        TOY.predict(np.zeros(3, dtype=np.float32))


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Who is Robert Wood?", "Robert Wood"),
        ("who was Kim Jong-un", "Kim Jong-un"),
        ("Who is the U.S. envoy?", None),  # no name: a role is asked for
        ("Who denied the report?", None),
    ],
)
def test_the_name_whose_description_is_asked(question, name):
    assert described_name(question) == name


def test_the_counted_noun_of_how_many():
    assert counted_noun("How many North Korean troops were in Russia?") == "troops"
    assert counted_noun("how many soldiers did Seoul say") == "soldiers"
    assert counted_noun("How much money did Russia pay?") == "money"
    assert counted_noun("Who denied it?") is None


def test_the_noun_a_which_question_asks_for():
    assert asked_noun("Which spy agency broke the news?") == "agency"
    assert asked_noun("what country sent troops") == "country"
    assert asked_noun("What did the ambassador say?") is None
    assert asked_noun("Who denied it?") is None


def test_the_noun_whose_name_is_asked_for():
    assert named_noun("What was the name of the pilot flying the B-17?") == "pilot"
    assert named_noun("What were the names of the two people who died?") == "people"
    assert asked_noun("What is the name of North Korea's representative at the UN?") == \
        "representative"
    # Another name of someone named, or no "of": not this question.
    assert named_noun("What was Ginger Baker's real name?") is None
    assert named_noun("Who did Trump name to replace John Bolton?") is None
    assert named_noun("What name would the storm have been given?") is None



def test_the_main_verb_of_a_question_and_the_words_completing_it():
    question = "Which group claimed responsibility for the drone strikes on Saudi Aramco?"
    assert asked_verb(question) == "claim"
    core = core_lemmas(question)
    assert {"claim", "responsibility", "group"} <= core
    assert not core & {"drone", "strike", "saudi", "aramco"}  # the scene, not the asked fact
    assert asked_verb("Where did Hosni Mubarak die?") == "die"
    # "be" asks nothing by itself.
    assert asked_verb("Who is Robert Wood?") is None
    assert "be" not in core_lemmas("Who is Robert Wood?")
