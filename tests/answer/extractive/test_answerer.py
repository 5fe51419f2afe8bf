"""The extractive answerer on made-up articles: what it quotes, how it cites, when it refuses
(fast: bag-of-words vectors from FakeEmbedder, no model, no index)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from assistant.answer.base import Draft, Question, Retrieval
from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.chooser import SentenceChooser
from assistant.answer.extractive.confidence import ConfidenceModel
from assistant.answer.extractive.kinds import NounKinds, QuestionKinds
from assistant.answer.extractive.picking import PhraseChooser
from assistant.answer.extractive.scoring import SupportScorer
from assistant.models import Chunk, Passage, Sentence, Turn
from assistant.prompts import Prompts
from assistant.retrieval.followup import ResolvedQuestion
from assistant.text.rarity import TermRarity
from assistant.text.sentences import split_sentences
from assistant.text.synonyms import SynonymMatcher
from tests.support import (
    MADE_UP_ARTICLES,
    PROJECT_ROOT,
    FakeEmbedder,
    parse_sentences,
    tagged,
    untyped_nouns,
)

PROMPTS = Prompts(PROJECT_ROOT / "prompts")
REFUSAL = PROMPTS.render("refusal")
MIN_SUPPORT = 0.44
ARTICLES = {
    **MADE_UP_ARTICLES,
    "obituary": ("Former Goa minister Francis D'Souza dies",
                 "Francis D'Souza, a former minister of the Indian state of Goa, died on "
                 "Thursday in Goa. He had advanced pancreatic cancer. His party praised his "
                 "work for the state."),
    "belgrade": ("Protest in Belgrade",
                 "Thousands rallied in Belgrade on Friday night against the government. "
                 "Police said at least 71 people were arrested at the protest."),
    "saturday": ("Unrest continues",
                 "Twenty people were arrested at the anti-government protest on Saturday, the "
                 "mayor's office said."),
    "un": ("North Korea at the UN",
           "North Korea's representative at the United Nations denied the reports on Monday."),
    "quake": ("Earthquake near Samos",
              "An earthquake struck near the Greek island of Samos on Friday. About twenty "
              "buildings collapsed. The US Geological Survey reported it was of 7.0 magnitude."),
    "sergeant": ("Police sergeant shot",
                 "Sergeant Matt Ratana, 54, was shot in Croydon on Friday. Two people were "
                 "arrested."),
    "hotel": ("Fire at a Delhi hotel",
              "A fire broke out at the Arpit Palace hotel in Karol Bagh yesterday morning. "
              "At least seventeen people died and 35 were rescued, according to officials. "
              "The cause is under investigation."),
    "tribute": ("Tributes paid to Francis D'Souza",
                "The former minister died on Thursday. He had advanced pancreatic cancer."),
}
DENIAL = "North Korea has officially denied sending troops to Russia."
COUNT = "South Korea's spy agency said 1,500 special forces troops were sent to Vladivostok."


def article(doc_id: str) -> Chunk:
    title, text = ARTICLES[doc_id]
    return tagged(Chunk(f"{doc_id}-0", doc_id, 0, text, tuple(split_sentences(text)),
                        title=title, source="Wire", published="2024-10-21",
                        url=f"https://news.example/{doc_id}"))


CHUNKS = {doc_id: article(doc_id) for doc_id in ARTICLES}


def passages(*doc_ids: str) -> tuple[Passage, ...]:
    return tuple(Passage(CHUNKS[d], 1.0 / n) for n, d in enumerate(doc_ids, start=1))


EMBEDDER = FakeEmbedder()
SENTENCES = [Sentence.of(c.doc_id, text, span) for c in CHUNKS.values()
             for span, text in zip(c.sentences, c.sentence_texts(), strict=True)]
SENTENCE_VECTORS = dict(zip([s.sentence_id for s in SENTENCES],
                            EMBEDDER.embed([s.text for s in SENTENCES]), strict=True))


def sentence_vectors(sentences: list[Sentence]) -> dict[str, np.ndarray]:
    return {s.sentence_id: SENTENCE_VECTORS[s.sentence_id] for s in sentences
            if s.sentence_id in SENTENCE_VECTORS}


def answerer(max_sentences: int = 3, kinds: QuestionKinds | None = None
             ) -> ExtractiveAnswerer:
    rarity = TermRarity.of_chunks(list(CHUNKS.values()))
    return ExtractiveAnswerer(PROMPTS, SupportScorer(rarity.idf, SynonymMatcher(None)),
                              sentence_vectors, parse_sentences, kinds or untyped_nouns(),
                              known_term=rarity.__contains__,
                              confidence=ConfidenceModel.load(),
                              chooser=SentenceChooser.load(), phrase_chooser=PhraseChooser.load(),
                              min_support=MIN_SUPPORT, max_sentences=max_sentences)


class RecordingRetrieve:
    """Hands back the given passages for whatever is asked; records each resolved question."""

    def __init__(self, found: tuple[Passage, ...]) -> None:
        self.found = found
        self.calls: list[ResolvedQuestion] = []

    def __call__(self, resolved: ResolvedQuestion) -> Retrieval:
        self.calls.append(resolved)
        return Retrieval(resolved, self.found, FakeEmbedder().embed([resolved.query])[0])


def ask(question: str, *doc_ids: str, turns: tuple[Turn, ...] = (),
        max_sentences: int = 3, kinds: QuestionKinds | None = None) -> Draft:
    retrieve = RecordingRetrieve(passages(*doc_ids))
    [draft] = answerer(max_sentences, kinds).stream(Question(question, question, turns),
                                                    retrieve)
    assert len(retrieve.calls) == 1
    return draft


def retrieval(question: str, *doc_ids: str) -> Retrieval:
    resolved = ResolvedQuestion(question)
    return Retrieval(resolved, passages(*doc_ids), FakeEmbedder().embed([question])[0])


def assert_citations_resolve(draft: Draft) -> None:
    """Every [n] of the answer has citation n, quoting the article exactly at its offsets."""
    numbers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", draft.answer)})
    assert numbers == [c.n for c in draft.citations] == list(range(1, len(numbers) + 1))
    for citation in draft.citations:
        assert citation.quote == ARTICLES[citation.doc_id][1][citation.start:citation.end]
        assert f"{citation.quote} [{citation.n}]" in draft.answer


def test_who_question_is_answered_by_the_sentence_that_says_so():
    draft = ask("Who denied sending troops to Russia?", "troops", "storm")
    assert draft.answer == f"{DENIAL} [1]"
    assert draft.short_answer == "North Korea"
    assert draft.answer.startswith(draft.short_answer)
    assert not draft.refused
    [citation] = draft.citations
    assert (citation.n, citation.doc_id, citation.chunk_id, citation.quote, citation.start,
            citation.end) == (1, "troops", "troops-0", DENIAL, 0, len(DENIAL))
    assert (citation.title, citation.url) == ("Troops in Russia", "https://news.example/troops")
    assert draft.support is not None and draft.support >= MIN_SUPPORT
    assert_citations_resolve(draft)


def test_a_short_answer_inside_the_sentence_leads_it_in_the_answer_lead_template():
    draft = ask("Who called the reports groundless?", "troops", "storm")
    quote = "The Kremlin called the reports groundless."
    assert draft.short_answer == "Kremlin"
    assert draft.answer == PROMPTS.render("answer_lead", short_answer="Kremlin",
                                          sentence=f"{quote} [1]")
    assert draft.answer == f"Kremlin — {quote} [1]"
    assert (draft.citations[0].start, draft.citations[0].end) == (217, 217 + len(quote))
    assert_citations_resolve(draft)


def test_a_second_article_stating_the_same_answer_is_cited_too():
    draft = ask("Who denied sending troops to Russia?", "troops", "envoy")
    again = "On Tuesday North Korea again denied sending its troops to Russia."
    assert draft.short_answer == "North Korea"  # not "Tuesday North Korea"
    assert {c.quote for c in draft.citations} == {DENIAL, again}
    assert sorted((c.doc_id, c.start) for c in draft.citations) == [("envoy", 24),
                                                                    ("troops", 0)]
    assert_citations_resolve(draft)


def test_max_sentences_caps_the_quoted_sentences():
    full = ask("Who denied sending troops to Russia?", "troops", "envoy")
    draft = ask("Who denied sending troops to Russia?", "troops", "envoy", max_sentences=1)
    assert len(full.citations) == 2
    assert [c.quote for c in draft.citations] == [full.citations[0].quote]
    assert draft.answer.endswith(f"{full.citations[0].quote} [1]")


def test_a_name_the_passages_never_mention_is_refused_by_name():
    draft = ask("What did Xi Jinping say about the troops?", "troops", "storm")
    assert draft.refused
    assert draft.answer == PROMPTS.render("refusal_missing", missing="Xi Jinping")
    assert "Xi Jinping" in draft.answer
    assert (draft.citations, draft.short_answer, draft.support) == ((), None, None)


def test_a_capitalised_common_noun_is_no_name_the_passage_must_mention():
    """The question's names are the entities the NLP pipeline finds in it: "TV" is none, so
    a passage that never says "TV" may still answer; a group it never names may not."""
    draft = ask("Which TV channel heard that North Korea denied sending troops to Russia?",
                "troops")
    assert draft.signals.names_outside == 0.0 and not draft.refused
    other = ask("Which Japanese channel heard that North Korea denied sending troops?",
                "troops", "storm")
    assert other.refused and other.answer == PROMPTS.render("refusal_missing",
                                                            missing="Japanese")


def test_every_missing_name_is_listed_in_the_refusal():
    draft = ask("Did Japan send troops to Russia in 2023?", "troops")
    assert draft.answer == PROMPTS.render("refusal_missing", missing="Japan or 2023")


def test_a_question_dated_like_the_article_is_answered_and_another_date_is_refused():
    # The article was published on 21 October 2024; its text never gives the date.
    dated = ask("Who denied sending troops to Russia in October 2024?", "troops")
    assert not dated.refused
    assert dated.short_answer == "North Korea"
    assert_citations_resolve(dated)
    other = ask("Who denied sending troops to Russia in March 2019?", "troops")
    assert other.refused
    assert other.answer == PROMPTS.render("refusal_missing", missing="March or 2019")


def test_the_sentence_giving_the_fact_is_quoted_though_only_the_title_names_its_subject():
    draft = ask("What cancer did Francis D'Souza of Goa have?", "obituary", "storm")
    assert draft.answer.startswith("He had advanced pancreatic cancer. [1]")
    assert_citations_resolve(draft)


def test_a_title_naming_the_subject_does_not_turn_a_refusal_into_an_answer():
    # Only the title names him; no sentence gives a degree.
    draft = ask("Tell me about Francis D'Souza's degree.", "tribute")
    assert draft.refused
    assert draft.answer == REFUSAL


def test_a_weakly_matching_question_is_refused_with_its_support():
    draft = ask("What happened to the weather?", "troops", "storm")
    assert draft.refused
    assert draft.answer == REFUSAL
    assert draft.citations == ()
    assert draft.support is not None and 0 < draft.support < MIN_SUPPORT


def test_how_many_is_answered_by_the_sentence_holding_a_count():
    draft = ask("How many troops were sent to Russia?", "troops", "storm")
    assert draft.short_answer == "1,500 special forces troops"
    assert draft.answer == f"1,500 special forces troops — {COUNT} [1]"
    assert (draft.citations[0].quote, draft.citations[0].start) == (COUNT, 60)
    assert_citations_resolve(draft)


def test_how_many_without_a_count_in_any_passage_is_refused():
    draft = ask("How many troops were sent to Russia?", "envoy", "storm")
    assert draft.refused
    assert draft.answer == REFUSAL
    assert draft.support is None  # no sentence was a candidate at all


def test_a_follow_up_searches_with_the_conversation_as_context():
    turns = (Turn("user", "How many troops were sent to Russia?"),
             Turn("assistant", f"1,500 special forces troops — {COUNT} [1]"))
    retrieve = RecordingRetrieve(passages("troops", "storm"))
    [draft] = answerer().stream(Question("Who denied it?", "Who denied it?", turns), retrieve)
    assert retrieve.calls == [ResolvedQuestion(
        "Who denied it?",
        f"How many troops were sent to Russia? 1,500 special forces troops — {COUNT}",
        ("1,500 special forces troops", COUNT))]
    assert draft.answer == f"{DENIAL} [1]"
    assert_citations_resolve(draft)


def follow_up(question: str, conversation: str, *doc_ids: str) -> Draft:
    """Answer ``question`` as a follow-up whose conversation quoted ``conversation``'s article
    while retrieval ranked ``doc_ids``."""
    resolved = ResolvedQuestion(question, "Which envoy arrived late?", ("The envoy arrived late.",))
    return answerer().answer(Retrieval(resolved, passages(*doc_ids),
                                       FakeEmbedder().embed([resolved.query])[0],
                                       passages(conversation)))


def test_a_follow_up_is_answered_from_the_article_the_conversation_quoted():
    alone = answerer().answer(retrieval("Who denied sending troops to Russia?", "troops",
                                        "envoy"))
    # Both articles answer; over everything retrieved one is quoted first. After a turn that
    # quoted the other, the follow-up is answered from that other alone.
    [conversation] = {"troops", "envoy"} - {alone.citations[0].doc_id}
    draft = follow_up("Who denied sending troops to Russia?", conversation, "troops", "envoy")
    assert [c.doc_id for c in draft.citations] == [conversation]
    assert draft.short_answer == "North Korea"
    assert_citations_resolve(draft)


def test_a_follow_up_its_article_does_not_answer_is_answered_from_everything_retrieved():
    draft = follow_up("How many troops were sent to Vladivostok?", "storm", "troops", "storm")
    assert not draft.refused
    assert [c.doc_id for c in draft.citations] == ["troops"]
    assert draft.short_answer == "1,500 special forces troops"


def test_a_question_that_stands_alone_ignores_the_conversation():
    turns = (Turn("user", "Where did it rain?"), Turn("assistant", "In Busan. [1]"))
    question = "Who denied sending troops to Russia?"
    retrieve = RecordingRetrieve(passages("troops"))
    list(answerer().stream(Question(question, question, turns), retrieve))
    assert retrieve.calls == [ResolvedQuestion(question)]


def test_the_corrected_question_is_what_is_searched():
    retrieve = RecordingRetrieve(passages("troops"))
    question = Question("Who deniedd sending troops?", "Who denied sending troops?")
    [draft] = answerer().stream(question, retrieve)
    assert retrieve.calls == [ResolvedQuestion("Who denied sending troops?")]
    assert draft.short_answer == "North Korea"


def test_no_passages_is_a_refusal():
    draft = answerer().answer(retrieval("Who denied sending troops to Russia?"))
    assert draft == Draft(REFUSAL, None, True)


def test_a_question_of_stop_words_only_asks_for_a_question():
    draft = answerer().answer(retrieval("What is it?", "troops"))
    assert draft == Draft(PROMPTS.render("empty_question"), None, True)


def test_answer_takes_a_retrieval_directly():
    draft = answerer().answer(retrieval("How many troops were sent?", "troops", "storm"))
    assert draft.short_answer == "1,500 special forces troops"
    assert draft.answer == f"1,500 special forces troops — {COUNT} [1]"
    assert_citations_resolve(draft)


def test_every_weighed_answer_carries_its_confidence_signals_and_sentence():
    answered = ask("Who denied sending troops to Russia?", "troops", "storm")
    refused = ask("What did Xi Jinping say about the troops?", "troops", "storm")
    for draft in (answered, refused):
        assert 0 < draft.confidence < 1
        assert draft.confidence == round(ConfidenceModel.load().confidence(draft.signals), 4)
    assert answered.best_sentence == DENIAL and answered.signals.missing_names == 0.0
    assert refused.refused and refused.signals.missing_names == 1.0


def test_a_question_of_two_parts_searches_and_answers_each():
    question = ("Who denied sending troops to Russia, and how many special forces troops were "
                "sent to Vladivostok?")
    retrieve = RecordingRetrieve(passages("troops", "storm"))
    [draft] = answerer().stream(Question(question, question), retrieve)
    assert retrieve.calls == [
        ResolvedQuestion("Who denied sending troops to Russia?"),
        ResolvedQuestion("how many special forces troops were sent to Vladivostok?")]
    assert draft.answer == f"{DENIAL} [1] 1,500 special forces troops — {COUNT} [2]"
    assert draft.short_answer == "North Korea; 1,500 special forces troops"
    assert_citations_resolve(draft)


def test_a_part_leaning_on_the_first_searches_with_it_as_context():
    question = "How many troops were sent to Vladivostok, and who denied it?"
    retrieve = RecordingRetrieve(passages("troops"))
    [draft] = answerer().stream(Question(question, question), retrieve)
    assert retrieve.calls[1] == ResolvedQuestion("who denied it?",
                                                 "How many troops were sent to Vladivostok?",
                                                 (COUNT,))  # the first part's quote
    assert draft.short_answer == "1,500 special forces troops; North Korea"
    assert_citations_resolve(draft)


def test_a_part_the_coverage_does_not_answer_is_named_beside_the_answered_one():
    question = "Who denied sending troops to Russia, and how many fishermen drowned in Busan?"
    [draft] = answerer().stream(Question(question, question),
                                RecordingRetrieve(passages("troops", "storm")))
    refused = PROMPTS.render("refusal_part", part="how many fishermen drowned in Busan?")
    assert draft.answer == f"{DENIAL} [1] {refused}" and not draft.refused
    assert_citations_resolve(draft)


def test_a_part_is_answered_by_the_sentence_quoted_for_another_part():
    first = "How many people died in the Karol Bagh hotel fire?"
    # On its own words the sentence matches the first part too weakly ("hotel fire" is said
    # only in the sentence before).
    assert answerer().answer(retrieval(first, "hotel")).refused
    question = "How many people died in the Karol Bagh hotel fire, and how many were rescued?"
    [draft] = answerer().stream(Question(question, question),
                                RecordingRetrieve(passages("hotel", "storm")))
    quoted = "At least seventeen people died and 35 were rescued, according to officials."
    assert draft.answer == f"{quoted} [1] 35 [1]"
    assert draft.short_answer == "At least seventeen people; 35"
    assert_citations_resolve(draft)


def test_a_quoted_sentence_answers_no_part_whose_verb_it_does_not_say():
    question = ("How many people were injured in the Karol Bagh hotel fire, and how many were "
                "rescued?")
    [draft] = answerer().stream(Question(question, question),
                                RecordingRetrieve(passages("hotel", "storm")))
    refused = PROMPTS.render(
        "refusal_part", part="How many people were injured in the Karol Bagh hotel fire?")
    assert draft.answer.startswith(refused)
    assert draft.short_answer == "35"


class PresetScorer(SupportScorer):
    """Gives each sentence a preset (support, alone); the word checks stay real."""

    def __init__(self, scores: dict[str, tuple[float, float]]) -> None:
        super().__init__(lambda term: 1.0, SynonymMatcher(None))
        self.scores = scores

    def score(self, candidates, *args, **kwargs):
        return [replace(c, support=s, alone=a, lexical=a)
                for c in candidates for s, a in [self.scores.get(c.text, (0.0, 0.0))]]


class PreferringChooser(SentenceChooser):
    """Ranks one sentence first, the rest as the shipped chooser does; records what it was
    given to rank."""

    def __init__(self, preferred: str) -> None:
        super().__init__(SentenceChooser.load().coefficients)
        self.preferred = preferred
        self.ranked: list[list[str]] = []

    def rank(self, candidates, choices):
        self.ranked.append([c.text for c in candidates])
        ranked = super().rank(candidates, choices)
        return sorted(ranked, key=lambda c: c.text != self.preferred)


def test_the_sentence_quoted_is_the_one_the_chooser_ranks_first():
    def quoted(preferred: str) -> tuple[str, PreferringChooser]:
        scorer = PresetScorer({DENIAL: (0.80, 0.80), COUNT: (0.70, 0.60)})
        rarity = TermRarity.of_chunks(list(CHUNKS.values()))
        chooser = PreferringChooser(preferred)
        draft = ExtractiveAnswerer(PROMPTS, scorer, sentence_vectors, parse_sentences,
                                   untyped_nouns(), rarity.__contains__,
                                   ConfidenceModel.load(), chooser, PhraseChooser.load(),
                                   MIN_SUPPORT, 1).answer(
            retrieval("What about the troops in Russia?", "troops"))
        return draft.citations[0].quote, chooser

    for preferred in (DENIAL, COUNT):
        quote, chooser = quoted(preferred)
        assert quote == preferred
        assert {DENIAL, COUNT} <= set(chooser.ranked[0])  # every candidate was ranked


def test_only_articles_naming_everything_the_question_names_compete():
    """The Saturday article matches the question's words best but never names Belgrade; the
    Belgrade article answers. Asked about a city neither names, the answerer refuses."""
    question = "How many people were arrested at the anti-government protest in Belgrade?"
    draft = ask(question, "saturday", "belgrade")
    assert not draft.refused
    assert draft.citations[0].quote == "Police said at least 71 people were arrested at the " \
        "protest."
    assert draft.short_answer == "at least 71 people"  # "at least" stays with its number
    assert ask(question.replace("Belgrade", "Zagreb"), "saturday", "belgrade").refused


def test_the_name_of_someone_is_answered_only_by_a_sentence_that_names_them():
    """The UN article never names North Korea's representative: asked for the name, the
    answerer refuses rather than quote the sentence about what the representative did."""
    question = "What is the name of North Korea's representative at the United Nations?"
    assert ask(question, "un").refused
    assert not ask("What did North Korea's representative at the United Nations deny?",
                   "un").refused
    named = ask("What is the name of the U.S. ambassador who spoke at the United Nations?",
                "troops")
    assert not named.refused and named.short_answer == "Robert Wood"


def test_a_number_that_measures_the_asked_noun_is_the_short_answer():
    draft = ask("What magnitude did the US Geological Survey give the earthquake near Samos?",
                "quake")
    assert draft.short_answer == "7.0 magnitude"
    assert draft.citations[0].quote == "The US Geological Survey reported it was of 7.0 magnitude."


class TableVectors:
    """Word vectors from a table."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def __call__(self, words: list[str]) -> np.ndarray:
        return np.array([self.table.get(w, [0.0, 0.0]) for w in words], dtype=np.float32)


# "year" asks for a date, "old" for a length of time.
TIMES = QuestionKinds(NounKinds(("date", "duration", "other"),
                                np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]]),
                                np.array([0.0, 0.0, 0.5])),
                      TableVectors({"year": [2.0, 0.0], "old": [0.0, 2.0]}))


def test_an_age_is_answered_only_by_a_sentence_that_gives_a_length_of_time():
    draft = ask("How old was Sergeant Matt Ratana?", "sergeant", kinds=TIMES)
    assert draft.short_answer == "54"
    assert draft.citations[0].quote.startswith("Sergeant Matt Ratana, 54,")
    # A count of people is no age: asked as a plain number it answers, as an age it does not.
    question = "How old were the people police arrested at the Belgrade protest?"
    assert ask(question, "belgrade").short_answer == "at least 71 people"
    assert ask(question, "belgrade", kinds=TIMES).refused


def test_a_year_is_answered_only_by_a_sentence_that_gives_a_date_with_a_number():
    question = "In what year were twenty people arrested at the anti-government protest?"
    assert not ask("When were twenty people arrested at the anti-government protest?",
                   "saturday", kinds=TIMES).refused
    assert ask(question, "saturday", kinds=TIMES).refused
