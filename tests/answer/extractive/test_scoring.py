"""Support scores on made-up sentences: meaning plus rarity-weighted word coverage, a lower
score without the wanted kind of phrase, and the verb and count checks (fast, no model)."""

from __future__ import annotations

import numpy as np

from assistant.answer.extractive.kinds import QuestionKind
from assistant.answer.extractive.scoring import Candidate, SupportScorer
from assistant.models import Chunk, Passage
from assistant.text.lexical import terms
from assistant.text.sentences import split_sentences
from assistant.text.synonyms import SynonymMatcher
from tests.support import parsed_evidence, tagged

TEXT = ("North Korea has denied sending troops to Russia. The weather in Seoul was mild. "
        "Officials said 1,500 soldiers were sent in October.")
CHUNK = tagged(Chunk("c", "a.txt", 0, TEXT, tuple(split_sentences(TEXT))))
CANDIDATES = [Candidate(e) for e in parsed_evidence([Passage(CHUNK, 1.0)])]
DENIAL, WEATHER, COUNT = CANDIDATES


def flat_idf(term: str) -> float:
    return 1.0


def scorer(word_vectors=None) -> SupportScorer:
    return SupportScorer(flat_idf, SynonymMatcher(word_vectors))


def test_the_sentence_holding_the_question_words_scores_highest_and_keeps_its_parts():
    question = "Who denied sending troops to Russia?"
    zero = np.zeros(4, dtype=np.float32)
    scored = scorer().score(CANDIDATES, question, QuestionKind.OTHER, set(terms(question)),
                            set(), zero, {})
    assert [c.sentence_id for c in scored] == [c.sentence_id for c in CANDIDATES]
    denial, weather, _ = scored
    assert denial.lexical == 1.0 and weather.lexical == 0.0
    assert denial.support > weather.support and denial.dense == 0.0


def test_dense_similarity_counts_and_a_missing_wanted_phrase_lowers_support():
    question = "How many soldiers were sent?"
    own = set(terms(question))
    query = np.array([1.0, 0.0], dtype=np.float32)
    vectors = {c.sentence_id: np.array([1.0, 0.0], dtype=np.float32) for c in CANDIDATES}
    other = scorer().score(CANDIDATES, question, QuestionKind.OTHER, own, set(), query, vectors)
    counted = scorer().score(CANDIDATES, question, QuestionKind.HOW_MANY, own, set(), query,
                             vectors)
    assert [c.dense for c in other] == [1.0, 1.0, 1.0]
    assert counted[2].support == other[2].support  # it holds "1,500 soldiers"
    assert counted[1].support < other[1].support  # the weather sentence gives no count


def test_a_close_synonym_counts_toward_coverage_and_the_verb_check():
    vectors = {"troops": [1.0, 0.0], "soldiers": [0.96, 0.28], "weather": [0.0, 1.0]}
    calls: list[list[str]] = []

    def word_vectors(words: list[str]) -> np.ndarray:
        calls.append(list(words))
        return np.array([vectors.get(w, [0.0, 0.0]) for w in words], dtype=np.float32)

    question = "How many troops were sent?"
    zero = np.zeros(2, dtype=np.float32)
    plain = scorer().score(CANDIDATES, question, QuestionKind.OTHER, set(terms(question)),
                           set(), zero, {})
    soft = scorer(word_vectors).score(CANDIDATES, question, QuestionKind.OTHER,
                                      set(terms(question)), set(), zero, {})
    assert soft[2].lexical > plain[2].lexical  # "soldiers" stands for "troops"
    assert calls and "soldiers" in calls[-1]
    assert scorer(word_vectors).says(COUNT.text, "troop", "Were troops sent?")
    assert not scorer().says(WEATHER.text, "deny", "Who denied it?")


def test_the_asked_noun_weighs_as_much_as_the_verb_where_a_sentence_says_it():
    """"Which hospital …": of two sentences holding as many of the question's words, the one
    saying "hospital" comes first; a noun no sentence says ("What kind …") changes nothing."""
    text = "Trump was flown to a hospital. Trump was flown there after testing."
    chunk = tagged(Chunk("h", "h.txt", 0, text, tuple(split_sentences(text))))
    candidates = [Candidate(e) for e in parsed_evidence([Passage(chunk, 1.0)])]
    zero = np.zeros(2, dtype=np.float32)

    def supports(question: str) -> list[float]:
        return [c.support for c in scorer().score(candidates, question, QuestionKind.OTHER,
                                                  set(terms(question)), set(), zero, {})]

    hospital, testing = supports("Which hospital was Trump flown to after testing?")
    assert hospital > testing
    # The same words, the noun not asked for: level.
    hospital, testing = supports("Where was Trump flown after testing, to a hospital?")
    assert hospital == testing
    # The asked noun is "kind", which no sentence says: nothing weighs double, level again.
    hospital, testing = supports("What kind of hospital was Trump flown to after testing?")
    assert hospital == testing


def test_a_count_must_count_the_asked_thing():
    vectors = {"troops": [1.0, 0.0], "soldiers": [0.96, 0.28], "countries": [0.0, 1.0]}

    def word_vectors(words: list[str]) -> np.ndarray:
        return np.array([vectors.get(w, [0.0, 0.0]) for w in words], dtype=np.float32)

    own = set(terms("How many troops were sent?"))
    assert scorer(word_vectors).gives(QuestionKind.HOW_MANY, COUNT, "How many troops were sent?",
                                      own)
    assert not scorer(word_vectors).gives(QuestionKind.HOW_MANY, COUNT,
                                          "How many countries were sent?", own)
    assert not scorer().gives(QuestionKind.HOW_MANY, WEATHER, "How many troops were sent?", own)


def test_of_several_counts_only_those_of_the_asked_thing_answer():
    text = "Two countries sent 1,500 troops."
    chunk = tagged(Chunk("c", "c.txt", 0, text, tuple(split_sentences(text))))
    [both] = [Candidate(e) for e in parsed_evidence([Passage(chunk, 1.0)])]
    vectors = {"troops": [1.0, 0.0], "countries": [0.0, 1.0]}

    def word_vectors(words: list[str]) -> np.ndarray:
        return np.array([vectors.get(w, [0.0, 0.0]) for w in words], dtype=np.float32)

    many = "How many troops were sent?"
    found = scorer(word_vectors).answering(QuestionKind.HOW_MANY, both.parse, many,
                                           set(terms(many)))
    assert [f.text for f in found] == ["1,500 troops"]
    nations = "How many countries sent troops?"
    found = scorer(word_vectors).answering(QuestionKind.HOW_MANY, both.parse, nations,
                                           set(terms(nations)))
    assert [f.text for f in found] == ["Two countries"]
    # Without word vectors every count may answer.
    assert len(scorer().answering(QuestionKind.HOW_MANY, both.parse, many, set(terms(many)))) == 2


def test_an_amount_of_money_answers_how_much_whatever_noun_is_asked():
    text = "Bail of $2 million was posted on Friday. The court heard 2 witnesses."
    chunk = tagged(Chunk("m", "m.txt", 0, text, tuple(split_sentences(text))))
    bail, witnesses = [Candidate(e) for e in parsed_evidence([Passage(chunk, 1.0)])]
    vectors = {"bond": [1.0, 0.0], "witnesses": [0.0, 1.0], "million": [0.0, 1.0]}

    def word_vectors(words: list[str]) -> np.ndarray:
        return np.array([vectors.get(w, [0.0, 0.0]) for w in words], dtype=np.float32)

    much = "How much bond was posted?"
    assert scorer(word_vectors).gives(QuestionKind.HOW_MANY, bail, much, set(terms(much)),
                                      amount=True)
    # A count still has to count the asked thing: 2 witnesses are no bond.
    assert not scorer(word_vectors).gives(QuestionKind.HOW_MANY, witnesses, much,
                                          set(terms(much)), amount=True)
    many = "How many bonds were posted?"
    assert not scorer(word_vectors).gives(QuestionKind.HOW_MANY, bail, many, set(terms(many)))


def unit(cosine: float) -> np.ndarray:
    """A vector at ``cosine`` to the query [1, 0]."""
    return np.array([cosine, np.sqrt(1 - cosine**2)], dtype=np.float32)


def test_on_int8_vectors_the_best_and_the_sentences_tied_with_it_are_scored_exactly():
    """Stored (int8) vectors put the count sentence first by a hair; full-precision vectors,
    embedded for the near tie only, decide for the denial. The weather sentence, far behind,
    is not embedded again."""
    question = "What happened?"  # no sentence holds its words: meaning alone decides
    own = set(terms(question))
    query = unit(1.0)
    stored = {DENIAL.sentence_id: unit(0.70), WEATHER.sentence_id: unit(0.10),
              COUNT.sentence_id: unit(0.72)}
    exact = {DENIAL.text: unit(0.75), COUNT.text: unit(0.69)}
    embedded: list[list[str]] = []

    def embed_exact(texts: list[str]) -> np.ndarray:
        embedded.append(list(texts))
        return np.stack([exact[t] for t in texts])

    def ranked(scorer: SupportScorer) -> list[str]:
        scored = scorer.score(CANDIDATES, question, QuestionKind.OTHER, own, set(), query,
                              stored)
        return [c.sentence_id for c in sorted(scored, key=lambda c: -c.support)]

    plain = SupportScorer(flat_idf, SynonymMatcher(None))
    assert ranked(plain) == [COUNT.sentence_id, DENIAL.sentence_id, WEATHER.sentence_id]
    rescoring = SupportScorer(flat_idf, SynonymMatcher(None), embed_exact)
    assert ranked(rescoring) == [DENIAL.sentence_id, COUNT.sentence_id, WEATHER.sentence_id]
    assert embedded == [[COUNT.text, DENIAL.text]]


def test_a_clear_best_sentence_is_embedded_again_only_near_the_refusal_threshold():
    question = "Who denied sending troops to Russia?"
    own = set(terms(question))
    stored = {c.sentence_id: unit(0.5) for c in CANDIDATES}
    embedded: list[list[str]] = []

    def embed_exact(texts: list[str]) -> np.ndarray:
        embedded.append(list(texts))
        return np.stack([unit(0.5)] * len(texts))

    def best(threshold: float) -> Candidate:
        scored = SupportScorer(flat_idf, SynonymMatcher(None), embed_exact, threshold).score(
            CANDIDATES, question, QuestionKind.OTHER, own, set(), unit(1.0), stored)
        return max(scored, key=lambda c: c.support)

    lead = best(0.2)
    assert lead.sentence_id == DENIAL.sentence_id and embedded == []  # nothing to decide
    best(lead.support - 0.01)  # int8 could have put it under the threshold
    assert embedded == [[DENIAL.text]]


def test_a_sentence_repeated_in_the_coverage_is_embedded_again_once():
    text = "North Korea denied it. North Korea denied it."  # as wire copy reprinted
    chunk = Chunk("d", "b.txt", 0, text, tuple(split_sentences(text)))
    twins = [Candidate(e) for e in parsed_evidence([Passage(chunk, 1.0)])]
    assert len({c.sentence_id for c in twins}) == 2 and len({c.text for c in twins}) == 1
    question = "What happened?"
    embedded: list[list[str]] = []

    def embed_exact(texts: list[str]) -> np.ndarray:
        embedded.append(list(texts))
        return np.stack([unit(0.6)] * len(texts))

    scored = SupportScorer(flat_idf, SynonymMatcher(None), embed_exact).score(
        twins, question, QuestionKind.OTHER, set(terms(question)), set(), unit(1.0),
        {twins[0].sentence_id: unit(0.50), twins[1].sentence_id: unit(0.51)})
    assert embedded == [["North Korea denied it."]]
    assert scored[0].dense == scored[1].dense == np.float32(0.6)


def test_names_the_title_gives_count_for_choosing_a_sentence_but_not_for_its_own_support():
    text = "The former minister died on Thursday. He had advanced pancreatic cancer."
    titled = Chunk("t", "b.txt", 0, text, tuple(split_sentences(text)),
                   title="Goa's Francis D'Souza dies")
    untitled = Chunk("u", "c.txt", 0, text, tuple(split_sentences(text)), title="Obituary")
    question = "What cancer did Francis D'Souza have?"
    zero = np.zeros(4, dtype=np.float32)

    def scored(chunk: Chunk) -> list[Candidate]:
        candidates = [Candidate(e) for e in parsed_evidence([Passage(chunk, 1.0)])]
        return scorer().score(candidates, question, QuestionKind.OTHER,
                              set(terms(question)), set(), zero, {})

    died, cancer = scored(titled)
    assert cancer.support > died.support  # it holds "cancer"; both are about D'Souza
    assert cancer.alone < cancer.support and died.alone < died.support
    plain_died, plain_cancer = scored(untitled)
    assert (plain_cancer.alone, plain_died.alone) == (cancer.alone, died.alone)
    assert (plain_cancer.support, plain_died.support) == (cancer.alone, died.alone)


def test_a_title_counts_only_the_question_names_not_its_other_words():
    text = "Officials met on Monday."
    chunk = Chunk("t", "b.txt", 0, text, tuple(split_sentences(text)),
                  title="Officials deny troop deployment")
    [candidate] = [Candidate(e) for e in parsed_evidence([Passage(chunk, 1.0)])]
    question = "Who denied the deployment?"  # no name: "deny" must be said by the sentence
    [scored] = scorer().score([candidate], question, QuestionKind.OTHER,
                              set(terms(question)), set(), np.zeros(4, dtype=np.float32), {})
    assert scored.support == scored.alone


def test_on_int8_vectors_the_sentence_refusing_is_judged_on_is_scored_exactly_near_the_threshold():
    # Chosen in its article's context, "He had …" leads by far; whether to answer at all is
    # judged on the sentence that matches best by its own words, the first one.
    text = "Francis D'Souza, the former minister, died on Thursday. He had pancreatic cancer."
    chunk = Chunk("t", "b.txt", 0, text, tuple(split_sentences(text)),
                  title="Francis D'Souza dies")
    died, cancer = [Candidate(e) for e in parsed_evidence([Passage(chunk, 1.0)])]
    question = "What cancer did Francis D'Souza have?"
    stored = {died.sentence_id: unit(0.5), cancer.sentence_id: unit(0.5)}
    embedded: list[list[str]] = []

    def embed_exact(texts: list[str]) -> np.ndarray:
        embedded.append(list(texts))
        return np.stack([unit(0.5)] * len(texts))

    def scored(threshold: float) -> list[Candidate]:
        return SupportScorer(flat_idf, SynonymMatcher(None), embed_exact, threshold).score(
            [died, cancer], question, QuestionKind.OTHER, set(terms(question)), set(),
            unit(1.0), stored)

    far = scored(0.0)
    assert embedded == []
    assert far[1].support > far[0].support and far[0].alone > far[1].alone
    assert far[1].support - far[0].support > 2 * 0.45 * 0.025  # no tie to decide
    scored(far[0].alone - 0.01)
    assert embedded == [[cancer.text, died.text]]


def test_names_an_earlier_sentence_gives_count_for_a_later_one_unless_only_names_are_asked():
    text = "Francis D'Souza, the former minister, died on Thursday. He had pancreatic cancer."
    chunk = Chunk("e", "b.txt", 0, text, tuple(split_sentences(text)), title="Obituary")
    zero = np.zeros(4, dtype=np.float32)

    def scored(question: str) -> list[Candidate]:
        candidates = [Candidate(e) for e in parsed_evidence([Passage(chunk, 1.0)])]
        return scorer().score(candidates, question, QuestionKind.OTHER, set(terms(question)),
                              set(), zero, {})

    died, cancer = scored("What cancer did Francis D'Souza have?")
    assert died.support == died.alone  # nothing before the first sentence
    assert cancer.support > cancer.alone and cancer.support > died.support
    died, cancer = scored("Who is Francis D'Souza?")  # only names: nothing to choose by
    assert (died.support, cancer.support) == (died.alone, cancer.alone)
    assert died.support > cancer.support


def test_on_int8_vectors_a_tie_made_by_a_synonym_is_scored_exactly():
    """Before synonyms the count sentence leads by far; "troops" standing for "soldiers"
    brings the denial level with it, so both are embedded again to decide."""
    vectors = {"troops": [1.0, 0.0], "soldiers": [0.96, 0.28]}

    def word_vectors(words: list[str]) -> np.ndarray:
        return np.array([vectors.get(w, [0.0, 0.0]) for w in words], dtype=np.float32)

    question = "Were soldiers sent to Russia?"
    stored = {DENIAL.sentence_id: unit(0.5), WEATHER.sentence_id: unit(0.5),
              COUNT.sentence_id: unit(0.07)}
    embedded: list[list[str]] = []

    def embed_exact(texts: list[str]) -> np.ndarray:
        embedded.append(list(texts))
        return np.stack([stored[c.sentence_id] for t in texts for c in CANDIDATES
                         if c.text == t])

    def scored(synonyms: SynonymMatcher) -> list[Candidate]:
        return SupportScorer(flat_idf, synonyms, embed_exact).score(
            CANDIDATES, question, QuestionKind.OTHER, set(terms(question)), set(), unit(1.0),
            stored)

    denial, _, count = scored(SynonymMatcher(None))
    assert count.support - denial.support > 0.1 and embedded == []
    denial, _, count = scored(SynonymMatcher(word_vectors))
    assert abs(count.support - denial.support) < 2 * 0.45 * 0.025
    assert [sorted(e) for e in embedded] == [sorted([DENIAL.text, COUNT.text])]
