"""Questions of several parts: where they are cut, and how the answers to the parts join."""

from __future__ import annotations

import pytest

from assistant.answer.base import Draft
from assistant.answer.parts import join_answers, question_parts
from assistant.models import Citation
from assistant.prompts import Prompts
from tests.support import PROJECT_ROOT

PROMPTS = Prompts(PROJECT_ROOT / "prompts")


@pytest.mark.parametrize("question, parts", [
    ("How many people were killed in the crash, and how many were injured?",
     ["How many people were killed in the crash?", "how many were injured?"]),
    ("Which two astronauts flew on the mission and where did it launch from?",
     ["Which two astronauts flew on the mission?", "where did it launch from?"]),
    ("How old was the mayor, and in what year was he first elected?",
     ["How old was the mayor?", "in what year was he first elected?"]),
    ("how many lives does the charity say it saved, and in how many rescues",
     ["how many lives does the charity say it saved?", "in how many rescues?"]),
    ("In which state did he run for the Senate, and who beat him to the nomination?",
     ["In which state did he run for the Senate?", "who beat him to the nomination?"]),
])
def test_a_question_asking_two_things_is_cut_before_the_second_question_word(question, parts):
    assert question_parts(question) == parts


@pytest.mark.parametrize("question", [
    "Who denied the deployment?",
    "Who denied the deployment, and when?",  # a part of one word has nothing to search for
    "How and why did the talks fail?",
    "Where did Alice and Bob who led the talks meet?",  # "Bob who": a name, not a part
    "What did North Korea and South Korea say about the reports?",
    "North Korea denied it, and who else did?",  # the first part is no question
])
def test_a_question_asking_one_thing_stays_whole(question):
    assert question_parts(question) == [question]


def citation(n: int, quote: str, start: int) -> Citation:
    return Citation(n, "a.md", "Title", "Wire", "2024-10-21", "https://news.example/a",
                    "a.md-0", quote, start, start + len(quote))


KILLED = citation(1, "Seven people were killed.", 0)
INJURED = citation(1, "Fourteen were injured.", 26)
BOTH = citation(1, "Seven died and fourteen were injured.", 50)
PARTS = ["How many were killed?", "how many were injured?"]


def test_the_parts_answers_are_joined_with_their_citations_numbered_in_order():
    first = Draft(f"Seven — {KILLED.quote} [1]", "Seven", False, (KILLED,), support=0.8,
                  confidence=0.9)
    second = Draft(f"Fourteen — {INJURED.quote} [1]", "Fourteen", False, (INJURED,),
                   support=0.6, confidence=0.7)
    joined = join_answers(PARTS, [first, second], PROMPTS)
    assert joined.answer == f"Seven — {KILLED.quote} [1] Fourteen — {INJURED.quote} [2]"
    assert [(c.n, c.quote) for c in joined.citations] == [(1, KILLED.quote), (2, INJURED.quote)]
    assert joined.short_answer == "Seven; Fourteen" and not joined.refused
    assert (joined.support, joined.confidence) == (0.6, 0.7)  # the weaker part's


def test_a_sentence_answering_both_parts_is_quoted_once():
    first = Draft(f"Seven — {BOTH.quote} [1]", "Seven", False, (BOTH,))
    second = Draft(f"fourteen — {BOTH.quote} [1]", "fourteen", False, (BOTH,))
    joined = join_answers(PARTS, [first, second], PROMPTS)
    assert joined.answer == f"Seven — {BOTH.quote} [1] fourteen [1]"
    assert len(joined.citations) == 1


def test_a_part_the_coverage_does_not_answer_is_said_so_and_the_rest_answered():
    refusal = Draft(PROMPTS.render("refusal"), None, True)
    answered = Draft(f"Fourteen — {INJURED.quote} [1]", "Fourteen", False, (INJURED,))
    joined = join_answers(PARTS, [refusal, answered], PROMPTS)
    assert joined.answer == (f"{PROMPTS.render('refusal_part', part=PARTS[0])} "
                             f"Fourteen — {INJURED.quote} [1]")
    assert not joined.refused and joined.short_answer == "Fourteen"
    assert join_answers(PARTS, [refusal, refusal], PROMPTS) is refusal
