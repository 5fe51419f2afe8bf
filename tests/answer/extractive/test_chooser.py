"""The sentence chooser: the fitted file loads, fits the measures, records its data; the
measures of a sentence; and the ranking by the learned score."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from assistant.answer.extractive.chooser import (
    CHOOSER_FILE,
    Asked,
    Choice,
    SentenceChooser,
    choice,
)
from assistant.answer.extractive.linear import ModelFileError
from assistant.answer.extractive.scoring import Candidate
from assistant.models import Chunk, Passage
from assistant.text.lexical import terms
from assistant.text.sentences import split_sentences
from tests.support import parsed_evidence, tagged

TEXT = ("Yesterday, oil facilities of Saudi Aramco were hit by drone strikes. "
        "The Houthi movement claimed responsibility for the attacks.")
QUESTION = "Which group claimed responsibility for the drone strikes on Saudi Aramco?"


def candidates(text: str = TEXT, index: int = 0) -> list[Candidate]:
    chunk = tagged(Chunk("strikes-0", "strikes", index, text, tuple(split_sentences(text)),
                         title="Drone strikes"))
    return [Candidate(e) for e in parsed_evidence([Passage(chunk, 1.0)])]


def measures(**values: float) -> Choice:
    return Choice(**{name: values.get(name, 0.0) for name in Choice.names()})


def test_the_shipped_model_fits_the_measures_and_records_its_data():
    chooser = SentenceChooser.load()
    data = json.loads(CHOOSER_FILE.read_text())
    assert tuple(data["features"]) == Choice.names()
    assert data["data"]["squad"]["sha256"] and data["data"]["wikinews_dev"]["sha256"]
    measured = data["measured"]["squad-held-out"]
    assert measured["rankings"] > 100 and 0 < measured["top1"] <= 1
    # Fitted, not the placeholder ranking by support alone.
    assert sum(c != 0 for c in chooser.coefficients) > 1


def test_the_shipped_model_prefers_the_sentence_that_matches_and_says_the_asked_verb():
    chooser = SentenceChooser.load()
    scene = measures(support=0.6, alone=0.6, dense=0.6, lexical=0.6, focus=0.4, verb=-1,
                     predicate=-1)
    answer = replace(scene, verb=1.0, predicate=1.0, core=1.0, beyond=0.6, focus=0.6)
    assert chooser.score(answer) > chooser.score(scene)
    weaker = replace(scene, support=0.3, alone=0.3, dense=0.3, lexical=0.3)
    assert chooser.score(scene) > chooser.score(weaker)


def test_measures_of_a_sentence_for_a_question():
    lead, answer = candidates()
    asked = Asked.of(QUESTION)
    assert asked.verb == "claim" and asked.noun == "group"
    assert {"claim", "responsibility"} <= asked.core
    own = set(terms(QUESTION))
    first, second = choice(lead, own, asked), choice(answer, own, asked)
    assert (first.lead, second.lead) == (1.0, 0.0)
    assert (first.verb, second.verb) == (-1.0, 1.0)
    assert first.lead_unsaid == 1.0 and second.lead_unsaid == 0.0
    assert second.core > first.core
    assert 0 < second.novelty < 1
    # A later chunk's first sentence opens no article.
    assert choice(candidates(index=3)[0], own, asked).lead == 0.0


def test_a_question_without_a_verb_or_noun_measures_them_as_absent():
    asked = Asked.of("Who is Robert Wood?")
    assert asked.verb is None
    first = choice(candidates()[0], set(terms("Who is Robert Wood?")), asked)
    assert first.verb == 0.0 and first.noun == 0.0 and first.predicate == 0.0


def test_candidates_are_ranked_by_the_learned_score_ties_by_their_own_words():
    lead, answer = candidates()
    chooser = SentenceChooser(tuple(1.0 if n == "verb" else 0.0 for n in Choice.names()))
    assert chooser.rank([lead, answer], [measures(verb=-1), measures(verb=1)]) == \
        [answer, lead]
    level = SentenceChooser(tuple(0.0 for _ in Choice.names()))
    assert level.rank([replace(lead, alone=0.2), replace(answer, alone=0.5)],
                      [measures(), measures()])[0].text == answer.text


def test_a_missing_or_mismatched_chooser_file_is_a_one_line_error(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read the sentence chooser model"):
        SentenceChooser.load(tmp_path / "absent.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"features": ["support"], "coefficients": [1.0]}))
    with pytest.raises(ModelFileError, match="fitted on other signals.*train_chooser"):
        SentenceChooser.load(other)
