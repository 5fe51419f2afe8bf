"""Short-answer phrases inside a sentence: typed answers, actors, descriptions, subjects."""

from __future__ import annotations

import pytest

from assistant.answer.extractive.kinds import QuestionKind, event_names, predicate_term
from assistant.answer.extractive.phrases import (
    Found,
    actor_phrase,
    appositive,
    headed_phrase,
    measured_phrase,
    noun_kind,
    noun_name,
    object_phrase,
    opening_entity,
    typed_phrases,
)
from assistant.answer.extractive.picking import PhraseChooser, Wanted
from assistant.text.lexical import terms
from assistant.text.syntax import Parse
from tests.support import tags_of


def parsed(sentence: str) -> Parse:
    tags = tags_of(sentence)
    return Parse(sentence, tags.tokens, tags.entities)


CHOOSER = PhraseChooser.load()


def find_answer(kind: QuestionKind, sentence: Parse, wanted: Wanted) -> Found | None:
    """The phrase of the wanted kind the shipped chooser picks, as the answerer picks it."""
    found = typed_phrases(kind, sentence, wanted.terms, wanted.names)
    return CHOOSER.best(sentence, found, wanted, kind.value) if found else None


def typed(kind: QuestionKind, sentence: str, question: str) -> str | None:
    found = find_answer(kind, parsed(sentence), Wanted.of(question))
    return found.text if found else None


def test_typed_phrases_are_the_sentences_entities_of_the_asked_type():
    sentence = ("The allegations, first reported by South Korea’s National Intelligence Service "
                "(NIS), claimed that approximately 1,500 North Korean special forces were already "
                "stationed in Russia’s Far East.")
    assert typed(QuestionKind.HOW_MANY, sentence, "How many troops were stationed in the Far "
                 "East?").startswith("approximately 1,500")
    assert typed(QuestionKind.WHERE, sentence, "Where were they stationed?") == \
        "Russia’s Far East"
    denial = "North Korea has officially denied sending troops to Russia."
    assert typed(QuestionKind.WHO, denial, "Who denied the deployment?") == "North Korea"
    assert typed(QuestionKind.WHO, denial, "What did North Korea deny?") == "Russia"
    assert typed(QuestionKind.WHEN, "The statement was made on Monday by the mission.",
                 "When was the statement made?") == "Monday"
    assert typed(QuestionKind.WHEN, "No time is given here at all.", "When?") is None
    # The kind decides, not the look of the words: a weekday is no count, a count of days is.
    mourning = "Egypt announced three days of national mourning on Wednesday."
    assert typed(QuestionKind.HOW_MANY, mourning, "How many days of mourning?") == \
        "three days"
    assert typed(QuestionKind.WHEN, mourning, "When was mourning announced?") == "Wednesday"
    assert typed(QuestionKind.WHERE, mourning, "Where was mourning announced?") == "Egypt"
    assert typed(QuestionKind.HOW_MANY, "It happened on Monday in Seoul.", "How many?") is None
    # "at least" modifies its number: it is no preposition opening the phrase.
    assert typed(QuestionKind.HOW_MANY, "Police said at least 71 people were arrested.",
                 "How many were arrested?") == "at least 71 people"


def test_a_date_holds_a_number_and_a_length_of_time_numbers_or_units():
    weekday = "The vice-president was sworn in on Sunday."
    assert typed(QuestionKind.WHEN, weekday, "When was he sworn in?") == "Sunday"
    assert typed(QuestionKind.DATE, weekday, "In what year was he sworn in?") is None
    assert typed(QuestionKind.DATE, "He was first elected in 1981, on a Monday.",
                 "In what year was he elected?") == "1981"
    assert typed(QuestionKind.DATE, "The election is scheduled for March 24.",
                 "What date was set for the election?") == "March 24"
    # An age, a number of units or units alone measure time; a weekday does not.
    assert typed(QuestionKind.DURATION, "Ratana, 54, was shot on Friday.",
                 "How old was Ratana?") == "54"
    assert typed(QuestionKind.DURATION, "The strike lasted three weeks.",
                 "How long did it last?") == "three weeks"
    assert typed(QuestionKind.DURATION, "Agencies have watched the flights for months.",
                 "For how long have they watched?") == "months"
    assert typed(QuestionKind.DURATION, "The gunman shot two people on Friday.",
                 "How old was the gunman?") is None
    assert typed(QuestionKind.DURATION, "The man died on February 6.",
                 "How old was the man?") is None  # a day, however numbered
    assert typed(QuestionKind.DURATION, "The family died at sea in 2015.",
                 "How old was the father?") is None  # a year: when, not how long
    assert typed(QuestionKind.DURATION, "He had worked for the police since 2003.",
                 "How long had he worked there?") == "2003"  # where the length starts
    assert typed(QuestionKind.DURATION, "The tree is 2000 years old.",
                 "How old is the tree?") == "2000 years old"
    # A number of units is no date.
    assert typed(QuestionKind.DATE, "The strike lasted three weeks.",
                 "What date did it end?") is None


def test_a_phrase_that_only_describes_a_name_of_the_question_does_not_answer_it():
    """Asked where Seoul's mayor was found, "Seoul, South Korea" says where Seoul is, not where
    he was found; asked where a place is, that description is the answer."""
    found = "Park Won-soon, the mayor of Seoul, South Korea, was found dead on Friday."
    question = "Where was the body of Seoul mayor Park Won-soon found?"
    assert event_names(question) >= {"seoul", "park"}
    assert find_answer(QuestionKind.WHERE, parsed(found), Wanted.of(question)) is None
    assert typed_phrases(QuestionKind.WHERE, parsed(found), set(terms(question)))[-1].text == \
        "South Korea"  # no names given
    bukak = "His body was found on Mount Bukak in Seoul, South Korea, after a search."
    assert find_answer(QuestionKind.WHERE, parsed(bukak), Wanted.of(question)).text == "Mount Bukak"
    race = "Karsten Warholm of Norway won the final in Doha, Qatar."
    second = "Who finished second behind Karsten Warholm in Doha?"
    assert find_answer(QuestionKind.WHO, parsed(race), Wanted.of(second)) is None
    # A question about the name itself ("be" its verb) is answered by its description.
    where = "Where is Mokha?"
    assert event_names(where) == frozenset()
    assert find_answer(QuestionKind.WHERE, parsed("Mokha, Yemen, is a port."),
                       Wanted.of(where)).text == "Yemen"


def test_a_sentence_stored_without_its_parse_still_gives_its_entities():
    sentence = "About 1,500 troops arrived on 3 June in Seoul."
    bare = Parse(sentence, (), tags_of(sentence).entities)  # a parse file lost or damaged
    found = {kind: find_answer(kind, bare, Wanted.of("What happened?"))
             for kind in (QuestionKind.WHEN, QuestionKind.WHERE, QuestionKind.HOW_MANY)}
    assert {kind: f.text for kind, f in found.items() if f} == {
        QuestionKind.WHEN: "3 June", QuestionKind.WHERE: "Seoul",
        QuestionKind.HOW_MANY: "About 1,500"}


def test_description_and_head_noun_phrases():
    sentence = ("U.S. Ambassador to the United Nations, Robert Wood, spoke before the Security "
                "Council.")
    assert appositive(parsed(sentence), "Robert Wood").text == \
        "U.S. Ambassador to the United Nations"
    assert appositive(parsed("Robert Wood, the envoy, spoke."), "Robert Wood").text == "envoy"
    assert headed_phrase(parsed("It came after Seoul’s intelligence agency alleged it."),
                         "agency").text == "Seoul’s intelligence agency"
    assert headed_phrase(parsed("The agency alleged it."), "agency") is None  # names nothing


def test_a_number_gives_the_value_of_the_asked_noun():
    assert measured_phrase(parsed("The US Geological Survey reported it was of 7.0 magnitude."),
                           "magnitude").text == "7.0 magnitude"
    assert measured_phrase(parsed("It had a magnitude of 7.0 on the Richter scale."),
                           "magnitude").text == "magnitude of 7.0"
    assert measured_phrase(parsed("The magnitude was not reported."), "magnitude") is None


def test_the_kind_a_noun_asks_for_is_read_from_the_names_it_is_tied_to():
    def kind(noun: str, *sentences: str) -> QuestionKind:
        return noun_kind(noun, [parsed(s) for s in sentences])

    assert kind("president", "He was nominated in 1975 by President Gerald Ford.") == \
        QuestionKind.WHO
    assert kind("agency", "The report came from the Yonhap News Agency on Monday.",
                "The agency said so.") == QuestionKind.WHO
    assert kind("airport", "The plane landed at Heathrow Airport in London.") == \
        QuestionKind.WHERE
    assert kind("covering", "The premier banned the face covering.") == QuestionKind.OTHER
    assert predicate_term("Who denied the deployment?") == "deny"
    assert predicate_term("Which agency reported the allegation?") == "report"
    assert predicate_term("What did North Korea deny?") is None  # not a subject question


@pytest.mark.parametrize(("question", "sentence", "actor"), [
    ("Who denied the deployment?", "However, North Korea has consistently denied these "
     "accusations.", "North Korea"),
    ("Who made the statement?", "The statement, made by one of North Korea’s representatives "
     "at the United Nations on Monday, comes after …",
     "one of North Korea’s representatives at the United Nations"),
    ("Who first reported the allegations?", "The allegations, first reported by South Korea’s "
     "National Intelligence Service (NIS), claimed …",
     "South Korea’s National Intelligence Service (NIS)"),
    ("Who warned about it?", "U.S. Ambassador to the United Nations, Robert Wood, spoke before "
     "the Security Council, warning that it is dangerous.", "Robert Wood"),
    ("Who has been monitoring the support?", "For months, Western intelligence agencies have "
     "been closely monitoring North Korean support.", "Western intelligence agencies"),
    ("Who has downplayed the accusations?", "Russia, facing mounting international scrutiny, "
     "has downplayed South Korea’s accusations.", "Russia"),
    ("Who says the denial is unsurprising?", "According to analysts, North Korea’s denial is "
     "unsurprising.", "analysts"),
    # The parse runs the date into the name; the name alone is the actor.
    ("Who denied sending troops?", "On Tuesday North Korea again denied sending its troops.",
     "North Korea"),
])
def test_the_actor_of_the_asked_action(question, sentence, actor):
    found = actor_phrase(question, parsed(sentence))
    assert found is not None and found.text == actor
    assert sentence[found.start:found.end] == actor


def test_no_actor_for_object_questions_or_absent_verbs():
    summoned = parsed("The ministry summoned Russia’s ambassador.")
    assert actor_phrase("Who did the ministry summon?", summoned) is None
    assert actor_phrase("Who commands the forces?", parsed("North Korea sent special forces.")) \
        is None


def test_the_object_of_the_asked_verb():
    summoned = parsed("The ministry summoned Russia’s ambassador on Monday.")
    assert object_phrase("Whom did the ministry summon?", summoned).text == \
        "Russia’s ambassador"
    assert object_phrase("Who summoned the ambassador?", summoned) is None  # asks the subject


def test_the_verbs_that_say_the_asked_one_otherwise_stand_for_it_when_it_is_absent():
    selected = parsed("Carroll selected fellow teacher Amar Patel as his running mate.")
    question = "Who did he pick as his running mate?"
    assert object_phrase(question, selected) is None
    assert object_phrase(question, selected, ["select"]).text == "fellow teacher Amar Patel"
    dismissed = parsed("Judge Ann Lee dismissed the case on Friday.")
    assert actor_phrase("Who threw out the case?", dismissed) is None
    assert actor_phrase("Who threw out the case?", dismissed, ["dismiss"]).text == "Judge Ann Lee"
    # The asked verb itself comes first: "summoned" is the object's verb, not "met".
    both = parsed("The ministry met the envoy and summoned Russia’s ambassador.")
    assert object_phrase("Whom did the ministry summon?", both, ["meet"]).text == \
        "Russia’s ambassador"


def test_a_sentence_opens_with_its_subject():
    def opening(sentence: str) -> str | None:
        found = opening_entity(parsed(sentence))
        return found.text if found else None

    assert opening("On Friday, South Korea’s NIS shared intelligence with the public.") == \
        "South Korea’s NIS"
    assert opening("North Korea has denied it.") == "North Korea"
    assert opening("the agency said so.") is None


@pytest.mark.parametrize(("sentence", "name"), [
    ("The pilot, Deepak Sathe, died in the crash.", "Deepak Sathe"),
    ("Pilot Deepak Sathe died in the crash.", "Pilot Deepak Sathe"),  # a title stays
    ("Deepak Sathe, the pilot, died in the crash.", "Deepak Sathe"),
    ("The pilot died in the crash.", None),
    ("North Korea's representative spoke at the UN.", None),  # whose, not who
])
def test_the_name_a_sentence_gives_a_noun_is_a_proper_noun_beside_it(sentence, name):
    noun = "representative" if "representative" in sentence else "pilot"
    found = noun_name(parsed(sentence), noun)
    assert (found.text if found else None) == name


@pytest.mark.parametrize(("sentence", "question", "kind", "answer"), [
    # The pipeline ends the name before the bracket it opened: the close is taken with it.
    ("According to the Philippine Institute of Volcanology and Seismology (Phivolcs), the "
     "epicenter was east of Carrascal.", "Who located the epicenter?", QuestionKind.WHO,
     "Philippine Institute of Volcanology and Seismology (Phivolcs)"),
    ("The World Health Organization (WHO) said on Monday that it would act.",
     "Who said it would act?", QuestionKind.WHO, "World Health Organization (WHO)"),
    # A bracket never closed is left out with what follows it.
    ("The World Health Organization (WHO said on Monday that it would act.",
     "Who said it would act?", QuestionKind.WHO, "World Health Organization"),
    ("The talks (in Geneva) ended.", "Where did the talks end?", QuestionKind.WHERE, "Geneva"),
    # A close whose bracket opens just before the name: the bracket joins it.
    ("The Kurds will now align with [Bashir al] Assad because they must.",
     "Who will the Kurds align with?", QuestionKind.WHO, "[Bashir al] Assad"),
])
def test_a_short_answer_closes_every_bracket_it_opens(sentence, question, kind, answer):
    assert typed(kind, sentence, question) == answer
