"""How rare a term is in the corpus, and spelling correction against the corpus's words."""

from __future__ import annotations

from assistant.text.rarity import TermRarity


def test_rarity_and_spelling_correction():
    rarity = TermRarity(["North Korea denied the deployment.", "The deployment was alleged.",
                         "Analysts were not surprised."])
    assert rarity.idf("deny") > rarity.idf("deploy")
    assert "deploy" in rarity and "zebra" not in rarity
    assert rarity.correct_spelling("who denied the deploymnet") == "who denied the deployment"
    assert rarity.correct_spelling("Xi Jinping") == "Xi Jinping"


def test_short_misspellings_and_other_forms_of_known_words():
    rarity = TermRarity(["Robert Wood spoke.", "Which agency provided the report?"])
    assert rarity.correct_spelling("Who is Robert Wod?") == "Who is Robert Wood?"
    assert rarity.correct_spelling("wich agency") == "which agency"
    assert rarity.correct_spelling("What did they provide?") == "What did they provide?"


def test_common_words_come_first():
    """The page embeds the corpus's words ahead of questions in this order: a word said in
    more sentences (any of its forms) before a rarer one."""
    rarity = TermRarity(["Troops were sent.", "The troop left.", "Troops and zebras.",
                         "An aardvark."])
    ordered = rarity.common_words()
    assert set(ordered) == rarity.words
    assert ordered.index("troops") < ordered.index("zebras")
    assert ordered.index("troop") < ordered.index("aardvark")
