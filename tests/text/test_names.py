"""The names and numbers a question hinges on, and whether a text mentions them."""

from __future__ import annotations

from assistant.text.lexical import stem, words
from assistant.text.names import (
    asked_names,
    key_names,
    mentions,
    names_outside,
    prefix_in,
    spelled_out,
    subject_names,
)

EVIDENCE = ("North Korea has officially denied sending troops to Russia. South Korea's spy agency "
            "said 1,500 special forces troops were sent. Robert Wood spoke at the United Nations "
            "on Monday.")


def present(text: str) -> set[str]:
    """The stems of ``text`` as ``names_outside`` collects them."""
    return {stem(w.replace(",", "")) for w in words(text)}


def test_key_names_are_capitalised_phrases_after_the_first_word():
    assert key_names("Who told Robert Wood about North Korea's troops?") == [
        "Robert Wood", "North Korea's"]


def test_the_capitalised_first_word_of_a_question_is_not_a_name():
    assert key_names("Kremlin officials said what?") == []
    assert key_names("North Korea denied what?") == ["Korea"]


def test_the_first_word_after_a_sentence_end_is_not_a_name():
    assert key_names("Was it denied? The Kremlin said so.") == ["Kremlin"]


def test_a_capitalised_stop_word_is_not_a_name():
    assert key_names("Which troops did I see in Seoul?") == ["Seoul"]


def test_numbers_are_key_names():
    assert key_names("Were 1,500 troops sent in 2024?") == ["1,500", "2024"]


def test_quoted_phrases_are_key_names():
    assert key_names('Who called the reports "groundless rumors"?') == ["groundless rumors"]
    assert key_names("Who said “special forces” were sent?") == ["special forces"]


def test_a_question_without_names_has_no_key_names():
    question = "who denied sending troops to russia?"
    assert key_names(question) == []
    assert names_outside(question, "The storm flooded the harbour.") == []


def test_names_outside_lists_the_names_the_text_never_mentions():
    question = "What did Japan's prime minister say about North Korea?"
    assert names_outside(question, EVIDENCE) == ["Japan's"]


def test_names_outside_lists_a_number_the_text_lacks():
    assert names_outside("Were 1,500 or 2,000 troops sent?", EVIDENCE) == ["2,000"]


def test_names_outside_is_empty_when_every_name_is_mentioned():
    assert names_outside("Did Robert Wood speak about Russia in 1,500 words?", EVIDENCE) == []


def test_one_mentioned_word_of_a_name_is_enough():
    assert mentions("Kim Korea", present(EVIDENCE), EVIDENCE)
    assert not mentions("Kim Jong Un", present(EVIDENCE), EVIDENCE)


def test_a_name_of_stop_words_only_counts_as_mentioned():
    assert mentions("The", set(), "")


def test_an_acronym_is_spelled_out_by_the_initials_of_capitalised_words():
    assert spelled_out("UN", "He spoke at the United Nations.")
    assert spelled_out("NATO", "The North Atlantic Treaty Organization met.")
    assert spelled_out("NIS", "the National Intelligence Service said")
    assert spelled_out("UN", "the United Nations Security Council")


def test_a_word_that_is_no_acronym_is_never_spelled_out():
    assert not spelled_out("UN", "He spoke to the union.")
    assert not spelled_out("UN", "He spoke to United officials.")
    assert not spelled_out("Un", "He spoke at the United Nations.")
    assert not spelled_out("U.N.", "He spoke at the United Nations.")


def test_an_acronym_spelled_out_in_the_text_is_mentioned():
    assert mentions("UN", present(EVIDENCE), EVIDENCE)
    assert names_outside("What did the UN say?", EVIDENCE) == []
    assert names_outside("What did the EU say?", EVIDENCE) == ["EU"]


def test_a_name_and_its_adjective_share_a_stem_prefix():
    assert prefix_in("korea", {"korean"})
    assert prefix_in("korean", {"korea"})
    assert not prefix_in("japan", {"korean", "troop"})


def test_stem_prefixes_shorter_than_four_letters_never_match():
    assert not prefix_in("kor", {"korean"})
    assert not prefix_in("korea", {"kor"})


def test_an_adjective_in_the_text_mentions_the_country():
    assert names_outside("What did South Korea say?", "Korean officials said nothing.") == []
    assert names_outside("What did Japan say?", "Korean officials said nothing.") == ["Japan"]


def test_a_quoted_capitalised_name_is_listed_once():
    assert key_names('What did "Operation Thunder" achieve?') == ["Operation Thunder"]


def test_asked_names_are_the_named_entities_the_pipeline_finds():
    assert asked_names("Which TV series did John Rhys-Davies say might get a reboot?") == [
        "John Rhys-Davies"]  # "TV" is capitalised but names nobody
    names = asked_names("How did the Polish president describe the fire in Koszalin?")
    assert "Polish" in names and "Koszalin" in names


def test_an_asked_name_leaves_out_its_article_and_number():
    assert asked_names("Who won the 2022 World Cup?") == ["World Cup", "2022"]


def test_asked_names_keep_numbers_and_quoted_phrases():
    assert asked_names('Who said "groundless rumors" about 1,500 troops?') == [
        "1,500", "groundless rumors"]


def test_the_text_of_an_asked_name_is_looked_for_like_a_key_name():
    question = "What did the NBA do when Robert Wood spoke?"
    assert names_outside(question, EVIDENCE, asked_names(question)) == ["NBA"]


def test_a_lower_case_acronym_is_spelled_out_too():
    assert spelled_out("us", "the United States Geological Survey reported it")
    assert not spelled_out("us", "he told us about it")


def test_the_names_in_the_subject_of_the_question_are_told_from_the_scene_setting_ones():
    japan = "What did Japan's prime minister say about the deployment?"
    assert subject_names(japan, asked_names(japan)) == ["Japan"]
    crash = "How many people were killed in the B-17 crash at Bradley airport?"
    assert asked_names(crash) and subject_names(crash, asked_names(crash)) == []
    pilot = "What was the name of the pilot flying the B-17 that crashed at Bradley Airport?"
    assert "Bradley Airport" in subject_names(pilot, asked_names(pilot))
