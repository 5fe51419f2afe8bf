"""The ``llm`` answer mode: a language model writes, the checker decides what is shown.

The extractive answer is always computed first (it takes milliseconds), so whatever the model
does, there is a faithful answer to fall back on. The model's reply streams through the checker
one sentence at a time; each sentence that passes is shown at once with citations to the exact
article sentences behind it, renumbered in order of appearance. When the model fails, times out,
returns nothing or writes nothing that can be supported, the extractive answer is shown with a
note saying why.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from assistant.answer.base import Draft, Question, Retrieve
from assistant.answer.extractive.answerer import ExtractiveAnswerer
from assistant.answer.written.check import Checker, Sources, Verdict
from assistant.answer.written.model import ChatModel, LLMError
from assistant.answer.written.prompt import PromptBuilder, PromptTooLarge
from assistant.answer.written.reply import SentenceStream
from assistant.models import AnswerMode, CheckOutcome, Citation, Passage, Turn, Verification
from assistant.prompts import Prompts
from assistant.retrieval.followup import ResolvedQuestion, resolve_followup
from assistant.text.instructions import is_instruction
from assistant.text.markers import marker

_LONGEST_CONDENSED = 500


class WrittenAnswerer:
    """Asks the model, checks each sentence, and falls back to the extractive answer."""

    def __init__(self, model: ChatModel, prompts: Prompts, builder: PromptBuilder,
                 checker: Checker, extractive: ExtractiveAnswerer) -> None:
        self.model = model
        self.prompts = prompts
        self.builder = builder
        self.checker = checker
        self.extractive = extractive

    def stream(self, question: Question, retrieve: Retrieve) -> Iterator[Draft]:
        """A follow-up is first rewritten by the model to stand alone; retrieval searches
        that. The model is asked only when the coverage plausibly answers: a question the
        extractive answerer refuses (no sentence supports it well, or a name it hinges on is
        nowhere in the passages) is refused without a model call."""
        condensed, turns_left_out = None, 0
        if question.turns:
            condensed, turns_left_out = self.condense(question.asked, question.turns)
        resolved = ResolvedQuestion(condensed) if condensed else \
            resolve_followup(question.corrected, list(question.turns))
        found = retrieve(resolved)
        draft = self.extractive.answer(found)
        if draft.refused:
            yield draft
            return
        asked = condensed or question.asked
        if resolved.context:
            asked = self.prompts.render("llm_question_context", question=asked,
                                        context=resolved.context)
        yield from self.write(asked, found.passages, draft, condensed, turns_left_out)

    def condense(self, question: str, turns: Sequence[Turn]) -> tuple[str | None, int]:
        """The follow-up rewritten to stand alone, or None when the model could not; and how
        many turns did not fit the prompt."""
        prompt = self.builder.condense_prompt(question, turns)
        try:
            reply = self.model.complete(prompt.messages)
        except LLMError:
            return None, prompt.turns_left_out
        line = next((x.strip() for x in reply.splitlines() if x.strip()), "")
        line = line.removeprefix("Question:").removeprefix("Last question:").strip(' "“”')
        if not line or len(line) > _LONGEST_CONDENSED or is_instruction(line):
            return None, prompt.turns_left_out
        return line, prompt.turns_left_out

    def write(self, question: str, passages: Sequence[Passage], fallback: Draft,
              condensed: str | None = None, turns_left_out: int = 0) -> Iterator[Draft]:
        started = time.perf_counter()
        try:
            prompt = self.builder.answer_prompt(question, passages)
        except PromptTooLarge as error:
            verification = Verification(self.model.name, fallback=str(error),
                                        condensed_question=condensed)
            yield self._fallback(fallback, verification, str(error), {})
            return
        base = Verification(self.model.name, condensed_question=condensed,
                            prompt_tokens=prompt.tokens,
                            passages_in_prompt=len(prompt.passages),
                            passages_left_out=prompt.passages_left_out,
                            history_turns_left_out=turns_left_out)
        sources = Sources.of(prompt.passages)
        verdicts: list[Verdict] = []
        timings: dict[str, float] = {}
        failure = None
        stream = SentenceStream()
        try:
            for delta in self.model.stream(prompt.messages):
                for sentence in stream.feed(delta):
                    if self._take(sentence, sources, verdicts):
                        timings.setdefault("llm_first_sentence", _ms(started))
                        yield self._compose(verdicts, base, fallback, None, timings)
        except LLMError as error:
            failure = str(error)
        for sentence in stream.finish(cut_off=failure is not None):
            self._take(sentence, sources, verdicts)
        timings["llm_total"] = _ms(started)
        checked = tuple(v.checked for v in verdicts)
        verification = replace(base, sentences=checked)
        if any(v.checked.kept for v in verdicts):
            note = self.prompts.render("llm_cut_short", reason=failure) if failure else None
            yield self._compose(verdicts, verification, fallback, note, timings)
        elif failure:
            yield self._fallback(fallback, verification, failure, timings)
        elif any(v.checked.refusal for v in verdicts):
            yield Draft(self.prompts.render("refusal"), None, True, support=fallback.support,
                        confidence=fallback.confidence, mode=AnswerMode.LLM,
                        verification=replace(verification, model_refused=True),
                        timings_ms=timings)
        elif not verdicts:
            yield self._fallback(fallback, verification, "the model returned no answer",
                                 timings)
        else:
            yield self._fallback(fallback, verification, "none of its sentences is supported "
                                 "by the passages it cites", timings)

    def _take(self, sentence: str, sources: Sources, verdicts: list[Verdict]) -> bool:
        """Check one sentence; whether it is to be shown."""
        verdict = self.checker.check(sentence, sources)
        if verdict is None:
            return False
        shown = verdict.checked.shown.lower()
        if verdict.checked.kept and any(v.checked.kept and v.checked.shown.lower() == shown
                                        for v in verdicts):
            verdict = Verdict(replace(verdict.checked, outcome=CheckOutcome.REPEATED,
                                      reason="repeats an earlier sentence"))
        verdicts.append(verdict)
        return verdict.checked.kept

    def _fallback(self, fallback: Draft, verification: Verification, reason: str,
                  timings: dict[str, float]) -> Draft:
        return replace(fallback, mode=AnswerMode.EXTRACTIVE,
                       note=self.prompts.render("llm_fallback", reason=reason),
                       verification=replace(verification, fallback=reason), timings_ms=timings)

    @staticmethod
    def _compose(verdicts: list[Verdict], verification: Verification, fallback: Draft,
                 note: str | None, timings: dict[str, float]) -> Draft:
        """The kept sentences, each followed by markers for the article sentences behind it,
        numbered in order of first appearance."""
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for verdict in verdicts:
            if not verdict.checked.kept:
                continue
            marks = []
            for evidence in verdict.evidence:
                if evidence.sentence_id not in numbers:
                    numbers[evidence.sentence_id] = len(numbers) + 1
                    citations.append(evidence.citation(numbers[evidence.sentence_id]))
                marks.append(marker(numbers[evidence.sentence_id]))
            parts.append(f"{verdict.checked.shown} {' '.join(marks)}")
        text = " ".join(parts)
        verification = replace(verification, sentences=tuple(v.checked for v in verdicts))
        return Draft(text, _short_answer(fallback.short_answer, parts[0] if parts else ""),
                     False, tuple(citations), support=fallback.support,
                     confidence=fallback.confidence, mode=AnswerMode.LLM, note=note,
                     verification=verification, timings_ms=dict(timings))


def _short_answer(candidate: str | None, first: str) -> str | None:
    """The extractive short answer, as the model's first sentence spells it, when it has it."""
    if not candidate:
        return None
    at = first.lower().find(candidate.lower())
    return first[at:at + len(candidate)] if at >= 0 else None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)

