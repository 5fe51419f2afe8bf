"""The llm answer mode on a made-up article with a scripted model: what is kept, dropped,
refused or replaced by the extractive answer, and what the model was asked (fast: a real
checker and prompt builder on FakeEmbedder vectors, no model, no index)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from assistant.answer.base import Draft, Question, Retrieval
from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.extractive.chooser import SentenceChooser
from assistant.answer.extractive.confidence import ConfidenceModel
from assistant.answer.extractive.picking import PhraseChooser
from assistant.answer.extractive.scoring import SupportScorer
from assistant.answer.written.check import Checker
from assistant.answer.written.model import LLMError, Message
from assistant.answer.written.prompt import PromptBuilder
from assistant.answer.written.writer import WrittenAnswerer
from assistant.models import AnswerMode, CheckOutcome, Chunk, Passage, Sentence, Turn
from assistant.prompts import Prompts
from assistant.retrieval.followup import ResolvedQuestion
from assistant.text.rarity import TermRarity
from assistant.text.sentences import split_sentences
from assistant.text.synonyms import SynonymMatcher
from assistant.text.tokens import tiktoken_counter
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
NO_ANSWER = PROMPTS.render("llm_no_answer")
ARTICLES = {d: MADE_UP_ARTICLES[d] for d in ("troops", "storm")}
DENIAL = "North Korea has officially denied sending troops to Russia."
KREMLIN = "The Kremlin called the reports groundless."
WOOD = "Robert Wood, the U.S. ambassador, spoke at the United Nations on Monday."
QUESTION = "Who denied sending troops to Russia?"
FAITHFUL = "North Korea has denied sending troops to Russia [1]."
HISTORY = (Turn("user", "How many troops were sent to Russia?"),
           Turn("assistant", "South Korea's spy agency said 1,500 special forces troops were "
                             "sent to Vladivostok. [1]"))


def article(doc_id: str) -> Chunk:
    title, text = ARTICLES[doc_id]
    return tagged(Chunk(f"{doc_id}-0", doc_id, 0, text, tuple(split_sentences(text)),
                        title=title, source="Wire", published="2024-10-21"))


CHUNKS = [article(doc_id) for doc_id in ARTICLES]
PASSAGES = tuple(Passage(c, 1.0) for c in CHUNKS)
EMBEDDER = FakeEmbedder()
SENTENCES = [Sentence.of(c.doc_id, text, span) for c in CHUNKS
             for span, text in zip(c.sentences, c.sentence_texts(), strict=True)]
SENTENCE_VECTORS = dict(zip([s.sentence_id for s in SENTENCES],
                            EMBEDDER.embed([s.text for s in SENTENCES]), strict=True))


def sentence_vectors(sentences: list[Sentence]) -> dict[str, np.ndarray]:
    return {s.sentence_id: SENTENCE_VECTORS[s.sentence_id] for s in sentences
            if s.sentence_id in SENTENCE_VECTORS}


class FakeChat:
    """Replies from a queue: a text (streamed in pieces of 7 characters), an LLMError to
    raise, or a list of pieces that may end in an LLMError. Records every message list."""

    name = "fake-chat"

    def __init__(self, *replies: str | LLMError | list[str | LLMError]) -> None:
        self.replies = list(replies)
        self.calls: list[list[Message]] = []

    def _next(self, messages: Sequence[Message]) -> str | list[str | LLMError]:
        self.calls.append(list(messages))
        reply = self.replies.pop(0)
        if isinstance(reply, LLMError):
            raise reply
        return reply

    def complete(self, messages: Sequence[Message]) -> str:
        reply = self._next(messages)
        assert isinstance(reply, str)
        return reply

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        reply = self._next(messages)
        pieces = [reply[at:at + 7] for at in range(0, len(reply), 7)] \
            if isinstance(reply, str) else reply
        for piece in pieces:
            if isinstance(piece, LLMError):
                raise piece
            yield piece


class RecordingRetrieve:
    """Hands back the made-up passages for whatever is asked; records each resolved question."""

    def __init__(self) -> None:
        self.calls: list[ResolvedQuestion] = []

    def __call__(self, resolved: ResolvedQuestion) -> Retrieval:
        self.calls.append(resolved)
        return Retrieval(resolved, PASSAGES, FakeEmbedder().embed([resolved.query])[0])


def writer(chat: FakeChat) -> WrittenAnswerer:
    rarity = TermRarity.of_chunks(CHUNKS)
    extractive = ExtractiveAnswerer(PROMPTS, SupportScorer(rarity.idf, SynonymMatcher(None)),
                                    sentence_vectors, parse_sentences, untyped_nouns(),
                                    known_term=rarity.__contains__,
                                    confidence=ConfidenceModel.load(),
                                    chooser=SentenceChooser.load(),
                                    phrase_chooser=PhraseChooser.load(), min_support=0.44,
                                    max_sentences=3)
    builder = PromptBuilder(PROMPTS, tiktoken_counter(), 8192, 512)
    checker = Checker(FakeEmbedder().embed, sentence_vectors, SynonymMatcher(None),
                      min_overlap=0.6, min_similarity=0.55, refusal=builder.no_answer())
    return WrittenAnswerer(chat, PROMPTS, builder, checker, extractive)


def ask(chat: FakeChat, question: str = QUESTION, turns: tuple[Turn, ...] = ()
        ) -> tuple[list[Draft], RecordingRetrieve]:
    retrieve = RecordingRetrieve()
    drafts = list(writer(chat).stream(Question(question, question, turns), retrieve))
    assert len(retrieve.calls) == 1
    return drafts, retrieve


def quotes(draft: Draft) -> list[tuple[int, str, int, int]]:
    return [(c.n, c.quote, c.start, c.end) for c in draft.citations]


def test_a_faithful_sentence_is_kept_and_cited_to_the_article_sentence():
    chat = FakeChat(FAITHFUL)
    final = ask(chat)[0][-1]
    assert final.answer == "North Korea has denied sending troops to Russia. [1]"
    assert (final.mode, final.refused, final.note) == (AnswerMode.LLM, False, None)
    assert final.short_answer == "North Korea"
    assert quotes(final) == [(1, DENIAL, 0, len(DENIAL))]
    assert final.citations[0].doc_id == "troops"
    verification = final.verification
    assert verification.model == "fake-chat"
    [checked] = verification.sentences
    assert (checked.text, checked.outcome, checked.cited) == (FAITHFUL, CheckOutcome.SUPPORTED,
                                                              (1,))
    assert verification.dropped == ()
    assert (verification.passages_in_prompt, verification.fallback) == (2, None)


def test_the_model_is_asked_with_the_system_rules_and_the_numbered_passages():
    chat = FakeChat(FAITHFUL)
    ask(chat)
    [[(system_role, system), (user_role, user)]] = chat.calls
    assert (system_role, user_role) == ("system", "user")
    assert system == PROMPTS.render("llm_system", no_answer=NO_ANSWER)
    assert user.startswith('Passages:\n\n<passage n="1" title="Troops in Russia"')
    assert '<passage n="2" title="Storm in Busan"' in user
    assert user.endswith(f"Question: {QUESTION}")


def test_an_invented_sentence_is_dropped_with_its_reason():
    invented = "Kim Jong Un ordered 20,000 soldiers to Ukraine [1]."
    final = ask(FakeChat(f"{FAITHFUL} {invented}"))[0][-1]
    assert final.answer == "North Korea has denied sending troops to Russia. [1]"
    assert "Kim Jong Un" not in final.answer
    assert quotes(final) == [(1, DENIAL, 0, len(DENIAL))]
    [dropped] = final.verification.dropped
    assert (dropped.text, dropped.outcome, dropped.reason) == (
        invented, CheckOutcome.UNSUPPORTED,
        "names Kim Jong Un, Ukraine, 20,000, which the cited sentences do not")
    assert [c.kept for c in final.verification.sentences] == [True, False]


def test_a_model_failure_shows_the_extractive_answer_with_a_note():
    reason = "the model's server could not be reached"
    [draft] = ask(FakeChat(LLMError(reason)))[0]
    assert draft.answer == f"{DENIAL} [1]"
    assert (draft.mode, draft.refused) == (AnswerMode.EXTRACTIVE, False)
    assert quotes(draft) == [(1, DENIAL, 0, len(DENIAL))]
    assert draft.note == PROMPTS.render("llm_fallback", reason=reason)
    assert draft.verification.fallback == reason
    assert draft.verification.sentences == ()


def test_a_reply_cut_off_after_a_kept_sentence_keeps_it_with_a_note():
    reason = "the model did not answer within 60 s"
    chat = FakeChat([FAITHFUL, " The Kremlin called", LLMError(reason)])
    final = ask(chat)[0][-1]
    assert final.answer == "North Korea has denied sending troops to Russia. [1]"
    assert final.mode == AnswerMode.LLM
    assert final.note == PROMPTS.render("llm_cut_short", reason=reason)
    assert final.verification.fallback is None


def test_a_reply_with_nothing_supported_falls_back_to_the_extractive_answer():
    [draft] = ask(FakeChat("Kim Jong Un ordered 20,000 soldiers to Ukraine [1]."))[0]
    reason = "none of its sentences is supported by the passages it cites"
    assert (draft.answer, draft.mode) == (f"{DENIAL} [1]", AnswerMode.EXTRACTIVE)
    assert draft.note == PROMPTS.render("llm_fallback", reason=reason)
    assert draft.verification.fallback == reason
    assert len(draft.verification.dropped) == 1


def test_the_models_own_no_answer_reply_is_a_refusal():
    [draft] = ask(FakeChat(NO_ANSWER))[0]
    assert draft.refused
    assert (draft.answer, draft.citations, draft.mode) == (REFUSAL, (), AnswerMode.LLM)
    assert draft.verification.model_refused
    [checked] = draft.verification.sentences
    assert checked.outcome == CheckOutcome.MODEL_REFUSAL
    assert draft.verification.dropped == ()


def test_a_question_the_extractive_answerer_refuses_is_refused_without_a_model_call():
    chat = FakeChat()
    [draft] = ask(chat, "What did Xi Jinping say about the troops?")[0]
    assert draft.refused
    assert draft.answer == PROMPTS.render("refusal_missing", missing="Xi Jinping")
    assert (draft.mode, draft.verification) == (AnswerMode.EXTRACTIVE, None)
    assert chat.calls == []


def test_a_follow_up_is_condensed_by_the_model_and_the_rewrite_is_searched():
    chat = FakeChat(f'Question: "{QUESTION}"\n', FAITHFUL)
    drafts, retrieve = ask(chat, "Who denied it?", HISTORY)
    assert retrieve.calls == [ResolvedQuestion(QUESTION)]
    history = ("Reader: How many troops were sent to Russia?\nAssistant: South Korea's spy "
               "agency said 1,500 special forces troops were sent to Vladivostok.")
    assert chat.calls[0] == [
        ("system", PROMPTS.render("llm_condense")),
        ("user", PROMPTS.render("llm_condense_request", history=history,
                                question="Who denied it?"))]
    assert chat.calls[1][1][1].endswith(f"Question: {QUESTION}")
    assert len(chat.calls) == 2
    final = drafts[-1]
    assert final.verification.condensed_question == QUESTION
    assert final.answer == "North Korea has denied sending troops to Russia. [1]"


def test_a_failed_condensing_falls_back_to_the_follow_up_rule():
    chat = FakeChat(LLMError("the model's server could not be reached"), FAITHFUL)
    drafts, retrieve = ask(chat, "Who denied it?", HISTORY)
    context = ("How many troops were sent to Russia? South Korea's spy agency said 1,500 "
               "special forces troops were sent to Vladivostok.")
    said = ("South Korea's spy agency said 1,500 special forces troops were sent to "
            "Vladivostok.",)
    assert retrieve.calls == [ResolvedQuestion("Who denied it?", context, said)]
    asked = PROMPTS.render("llm_question_context", question="Who denied it?", context=context)
    assert chat.calls[1][1][1].endswith(f"Question: {asked}")
    final = drafts[-1]
    assert final.verification.condensed_question is None
    assert (final.mode, final.answer) == (AnswerMode.LLM,
                                          "North Korea has denied sending troops to Russia. [1]")


def test_streaming_yields_a_growing_draft_per_kept_sentence_and_the_final_one_last():
    reply = (f"{DENIAL[:-1]} [1]. {KREMLIN[:-1]} [1]. "
             "Robert Wood spoke at the United Nations on Monday [1].")
    drafts = ask(FakeChat(reply))[0]
    assert [d.answer for d in drafts] == [
        f"{DENIAL} [1]",
        f"{DENIAL} [1] {KREMLIN} [2]",
        f"{DENIAL} [1] {KREMLIN} [2] Robert Wood spoke at the United Nations on Monday. [3]",
    ]
    assert ["llm_total" in d.timings_ms for d in drafts] == [False, False, True]
    assert all(d.mode == AnswerMode.LLM and not d.refused for d in drafts)
    assert quotes(drafts[-1]) == [(1, DENIAL, 0, 59), (2, KREMLIN, 217, 259),
                                  (3, WOOD, 144, 216)]
    assert [len(d.verification.sentences) for d in drafts] == [1, 2, 3]
