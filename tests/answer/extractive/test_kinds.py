"""What kind of answer a question asks for, and the noun a "how many" question counts."""

from __future__ import annotations

import pytest

from assistant.answer.extractive.kinds import (
    QuestionKind,
    asked_noun,
    counted_noun,
    question_type,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who denied the deployment?", QuestionKind.WHO),
        ("Which agency made the allegation?", QuestionKind.OTHER),  # the coverage decides
        ("how many troops were sent", QuestionKind.HOW_MANY),
        ("When did North Korea respond?", QuestionKind.WHEN),
        ("Where were the troops trained?", QuestionKind.WHERE),
        ("Why is the denial unsurprising?", QuestionKind.OTHER),
        ("What did the ambassador say?", QuestionKind.OTHER),
    ],
)
def test_question_types(question, kind):
    assert question_type(question) == kind


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
