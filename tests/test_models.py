"""The plain data passed between stages: answer modes, check outcomes, sentence ids."""

from __future__ import annotations

import re

import pytest

from assistant.models import AnswerMode, Checked, CheckOutcome, Sentence, Span


def test_an_answer_mode_is_read_from_its_name():
    assert AnswerMode.from_str("llm") is AnswerMode.LLM
    assert AnswerMode.from_str("extractive") is AnswerMode.EXTRACTIVE


def test_an_unknown_answer_mode_is_a_one_line_error_naming_the_choices():
    with pytest.raises(ValueError) as raised:
        AnswerMode.from_str("poetry")
    assert str(raised.value) == "unknown answer mode 'poetry': use one of extractive, llm"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_only_a_supported_or_re_cited_sentence_is_kept():
    assert {o for o in CheckOutcome if o.kept} == {CheckOutcome.SUPPORTED, CheckOutcome.RECITED}
    assert Checked("It did [2].", CheckOutcome.RECITED, "cited [1]; supported by passage [2]"
                   ).kept
    assert not Checked("It did.", CheckOutcome.REPEATED, "said already").kept


def test_a_checked_sentence_as_a_dict_holds_kept_and_refusal():
    refusal = Checked("The coverage does not say.", CheckOutcome.MODEL_REFUSAL,
                      "the model said the passages do not answer")
    assert refusal.to_dict() == {
        "text": "The coverage does not say.", "outcome": "model_refusal",
        "reason": "the model said the passages do not answer", "shown": "", "cited": (),
        "invalid_citations": (), "removed_links": (), "overlap": None, "similarity": None,
        "kept": False, "refusal": True}
    supported = Checked("It did [1].", CheckOutcome.SUPPORTED, "supported", "It did.", (1,),
                        overlap=1.0, similarity=0.9).to_dict()
    assert (supported["kept"], supported["refusal"], supported["cited"]) == (True, False, (1,))


def test_a_sentence_id_is_the_same_for_the_same_text_at_the_same_place():
    one = Sentence.of("a.txt", "It did.", Span(10, 17))
    assert one == Sentence.of("a.txt", "It did.", Span(10, 17))
    assert (one.doc_id, one.text, one.start, one.end) == ("a.txt", "It did.", 10, 17)
    assert re.fullmatch(r"s-[0-9a-f]{24}", one.sentence_id)
    others = {Sentence.of("a.txt", "It did.", Span(20, 27)).sentence_id,
              Sentence.of("b.txt", "It did.", Span(10, 17)).sentence_id,
              Sentence.of("a.txt", "It did!", Span(10, 17)).sentence_id}
    assert len(others) == 3 and one.sentence_id not in others


def test_a_chunk_cut_to_its_leading_sentences_keeps_their_text_and_spacing():
    from assistant.models import Chunk, Span

    text = "One two three. Four five.\n\nSix seven eight."
    chunk = Chunk("c", "d", 0, text, (Span(10, 24), Span(25, 35), Span(40, 56)))
    assert chunk.sentence_texts() == ["One two three.", "Four five.", "Six seven eight."]
    assert chunk.leading(2).text == "One two three. Four five."
    assert chunk.leading(2).sentences == (Span(10, 24), Span(25, 35))
    assert chunk.leading(3) == chunk
    assert chunk.leading(1).sentence_texts() == ["One two three."]


@pytest.mark.parametrize(("published", "words"), [
    ("2019-01-04", "4 January 2019"),
    ("2020-02-18T14:05:00Z", "18 February 2020"),
    ("", ""),
    ("last Tuesday", ""),
    ("2019-13-40", ""),
])
def test_a_chunk_gives_its_publication_date_in_words_or_nothing(published, words):
    from assistant.models import Chunk, Span

    chunk = Chunk("c", "d", 0, "Text.", (Span(0, 5),), published=published)
    assert chunk.dateline == words
