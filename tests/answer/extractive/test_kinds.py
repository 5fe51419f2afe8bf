"""What kind of answer a question asks for, and the noun a "how many" question counts."""

from __future__ import annotations

import pytest

from assistant.answer.extractive.kinds import QuestionKind, counted_noun, question_type


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who denied the deployment?", QuestionKind.WHO),
        ("Which agency made the allegation?", QuestionKind.WHO),
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
