"""The prompts of the ``llm`` answer mode, sized to the model's context window.

Templates live in ``prompts/`` (``llm_*.txt``). Retrieved passages are numbered in rank order
and wrapped in ``<passage>`` tags as quoted data; history for condensing a follow-up is the most
recent turns. Both are counted with tiktoken (cl100k_base, bundled offline) and trimmed to fit
the window minus the tokens kept free for the answer: whole passages from the lowest rank, then
the tail sentences of the last one that partly fits; whole turns from the oldest. What was left
out is counted, never silently overflowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant.answer.written.model import Message
from assistant.models import Passage, Turn
from assistant.prompts import Prompts
from assistant.text.markers import strip_markers

_MESSAGE_OVERHEAD = 4  # tokens a chat format adds around each message
_REPLY_OVERHEAD = 3
_TURN_CHARS = 600  # an earlier answer is long quoted text; its start says what it was about


class PromptTooLarge(ValueError):
    """Even the question with one sentence of one passage does not fit the context window."""


@dataclass(frozen=True)
class BuiltPrompt:
    messages: tuple[Message, ...]
    tokens: int
    passages: tuple[Passage, ...] = ()  # the passages in the prompt, numbered from 1
    passages_left_out: int = 0
    turns_left_out: int = 0


class PromptBuilder:
    """Fills the templates and keeps each prompt within the context window."""

    def __init__(self, prompts: Prompts, count_tokens: Callable[[str], int],
                 context_window: int, answer_tokens: int) -> None:
        self.prompts = prompts
        self.count_tokens = count_tokens
        self.budget = context_window - answer_tokens

    def no_answer(self) -> str:
        return self.prompts.render("llm_no_answer")

    def answer_prompt(self, question: str, passages: Sequence[Passage]) -> BuiltPrompt:
        system = self.prompts.render("llm_system", no_answer=self.no_answer())
        fixed = self._size([system, self.prompts.render("llm_question", passages="",
                                                        question=question)])
        room = self.budget - fixed
        kept: list[Passage] = []
        for passage in passages:
            cost = self.count_tokens(self._passage(len(kept) + 1, passage)) + 2
            if cost <= room:
                kept.append(passage)
                room -= cost
                continue
            shortened = self._shorten(len(kept) + 1, passage, room)
            if shortened is not None:
                kept.append(shortened)
            break
        if not kept:
            raise PromptTooLarge(f"the question and a passage need more than the "
                                 f"{self.budget} tokens the context window leaves")
        body = "\n\n".join(self._passage(n, p) for n, p in enumerate(kept, start=1))
        user = self.prompts.render("llm_question", passages=body, question=question)
        return BuiltPrompt((("system", system), ("user", user)), self._size([system, user]),
                           tuple(kept), len(passages) - len(kept))

    def condense_prompt(self, question: str, turns: Sequence[Turn]) -> BuiltPrompt:
        system = self.prompts.render("llm_condense")
        room = self.budget - self._size([system, self.prompts.render(
            "llm_condense_request", history="", question=question)])
        lines: list[str] = []
        for turn in reversed(turns):
            line = _turn_line(turn)
            cost = self.count_tokens(line) + 1
            if cost > room:
                break
            lines.insert(0, line)
            room -= cost
        user = self.prompts.render("llm_condense_request", history="\n".join(lines),
                                   question=question)
        return BuiltPrompt((("system", system), ("user", user)), self._size([system, user]),
                           turns_left_out=len(turns) - len(lines))

    def _passage(self, n: int, passage: Passage) -> str:
        chunk = passage.chunk
        # A passage cannot close its own tag and speak outside it.
        text = re.sub(r"</?\s*passage", lambda m: m.group(0).replace("<", "‹"), chunk.text,
                      flags=re.IGNORECASE)
        return self.prompts.render("llm_passage", n=str(n), title=_attribute(chunk.title),
                                   source=_attribute(chunk.source),
                                   published=_attribute(chunk.published), text=text)

    def _shorten(self, n: int, passage: Passage, room: int) -> Passage | None:
        """The passage's leading sentences that fit in ``room`` tokens, or None."""
        for count in range(len(passage.chunk.sentences) - 1, 0, -1):
            candidate = replace(passage, chunk=passage.chunk.leading(count))
            if self.count_tokens(self._passage(n, candidate)) + 2 <= room:
                return candidate
        return None

    def _size(self, contents: Sequence[str]) -> int:
        return sum(self.count_tokens(c) + _MESSAGE_OVERHEAD for c in contents) + _REPLY_OVERHEAD


def _attribute(value: str) -> str:
    return value.replace('"', "'").replace("<", "‹").replace("\n", " ")


def _turn_line(turn: Turn) -> str:
    content = " ".join(strip_markers(turn.content).split())
    if len(content) > _TURN_CHARS:
        content = content[:_TURN_CHARS].rsplit(" ", 1)[0] + " …"
    return f"{'Reader' if turn.role == 'user' else 'Assistant'}: {content}"
