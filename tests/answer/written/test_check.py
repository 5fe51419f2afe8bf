"""The check of a written answer, sentence by sentence, on hand-made passages and a recording
fake embedder (fast; the real model and a real loopback server are in e2e/test_llm_e2e.py)."""

from __future__ import annotations

import pytest

from assistant.answer.written.check import Checker
from assistant.models import Sentence, Span
from assistant.text.synonyms import SynonymMatcher
from tests.support import PROMPTS, SOURCES


@pytest.fixture
def checker(fake_embedder):
    def sentence_vectors(sentences):
        texts = {e.sentence_id: e.text for e in SOURCES.evidence}
        known = [s.sentence_id for s in sentences if s.sentence_id in texts]
        return dict(zip(known, fake_embedder.embed([texts[i] for i in known]), strict=True))

    return Checker(fake_embedder.embed, sentence_vectors, SynonymMatcher(None), min_overlap=0.6,
                   min_similarity=0.3, refusal=PROMPTS.render("llm_no_answer"))


def test_a_supported_sentence_is_kept_with_the_exact_sentence_behind_it(checker):
    verdict = checker.check("North Korea officially denied sending troops to Russia [1].",
                            SOURCES)
    assert verdict.checked.kept and verdict.checked.reason == "supported"
    assert verdict.checked.shown == "North Korea officially denied sending troops to Russia."
    assert [e.text for e in verdict.evidence] == [
        "North Korea has officially denied sending troops to Russia."]
    evidence = verdict.evidence[0]
    chunk = evidence.passage.chunk
    assert chunk.text[evidence.start:evidence.end] == evidence.text
    assert evidence.sentence_id == Sentence.of(chunk.doc_id, evidence.text,
                                               Span(evidence.start, evidence.end)).sentence_id


def test_an_invented_number_or_name_is_dropped_with_the_reason(checker):
    number = checker.check("The agency said 20,000 special forces troops were sent [2].",
                           SOURCES)
    assert not number.checked.kept and "20,000" in number.checked.reason
    name = checker.check("Kim Jong Un officially denied sending troops to Russia [1].", SOURCES)
    assert not name.checked.kept and "Kim Jong Un" in name.checked.reason


def test_unsupported_and_uncited_sentences_are_dropped(checker):
    unsupported = checker.check("The war will end by winter [1].", SOURCES)
    assert not unsupported.checked.kept and unsupported.checked.overlap < 0.6
    uncited = checker.check("Everyone expects a ceasefire soon.", SOURCES)
    assert not uncited.checked.kept
    assert uncited.checked.reason == "cites no passage and no passage supports it"


def test_a_citation_that_names_no_passage_is_dropped_and_recorded(checker):
    invented = checker.check("The war will end by winter [7].", SOURCES)
    assert not invented.checked.kept and invented.checked.invalid_citations == (7,)
    assert invented.checked.reason.startswith("cites [7], but the prompt held 3 passages")
    # A true sentence under a wrong number is cited to the passage that supports it.
    moved = checker.check("Robert Wood spoke at the United Nations on Monday [7].", SOURCES)
    assert moved.checked.kept and moved.checked.invalid_citations == (7,)
    assert moved.checked.reason == "cited [7]; supported by passage [3]"


def test_a_misquote_is_dropped(checker):
    verdict = checker.check('North Korea called the claims "baseless lies" [1].', SOURCES)
    assert not verdict.checked.kept and "quotes words" in verdict.checked.reason
    verbatim = checker.check('North Korea called the claims "groundless rumors" [1].', SOURCES)
    assert verbatim.checked.kept


def test_an_instruction_inside_an_article_is_never_evidence(checker):
    assert not any("Ignore previous" in e.text for e in SOURCES.evidence)
    verdict = checker.check("The moon is made of cheese [2].", SOURCES)
    assert not verdict.checked.kept


def test_the_model_saying_the_coverage_does_not_answer_is_a_refusal(checker):
    verdict = checker.check("The coverage does not say.", SOURCES)
    assert verdict.checked.refusal and not verdict.checked.kept
    assert checker.check("[1]", SOURCES) is None  # a stray marker is nothing to report
    image = checker.check("![x](http://203.0.113.9/x.png)", SOURCES)
    assert not image.checked.kept and image.checked.removed_links == ("http://203.0.113.9/x.png",)


def test_a_name_opening_a_sentence_must_be_in_the_evidence_and_a_mere_opener_need_not(checker):
    invented = checker.check("China officially denied sending troops to Russia [1].", SOURCES)
    assert not invented.checked.kept and invented.checked.reason.startswith("names China")
    opener = checker.check("However, North Korea officially denied sending troops to Russia "
                           "[1].", SOURCES)
    assert opener.checked.kept


def test_a_claim_that_reverses_its_evidence_is_dropped(checker):
    reversed_ = checker.check("North Korea has officially sent troops to Russia [1].", SOURCES)
    assert not reversed_.checked.kept
    assert reversed_.checked.reason == "leaves out the cited sentence's “denied”"
    added = checker.check("Robert Wood did not speak at the United Nations on Monday [3].",
                          SOURCES)
    assert added.checked.reason == "adds “not”, which the cited sentence does not say"
