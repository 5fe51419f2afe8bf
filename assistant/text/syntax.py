"""Reading a parsed sentence: its words, their heads and dependents, and the phrases they head.

The parse is the NLP pipeline's (see ``assistant.ingest.tagging``): stored for every article
sentence at ingest, made for a question when it is asked. Relations are spaCy's English labels
("nsubj" subject, "nsubjpass" passive subject, "dobj" object, "agent" the "by" of a passive,
"pobj" object of a preposition, "appos" appositive, "relcl" relative clause, "ccomp" a clause
a verb takes, "conj" a conjunct).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from functools import cached_property

from assistant.models import Entity, Token

OBJECTS = frozenset({"dobj", "obj", "dative", "attr", "oprd"})
# Dependents that are not part of the phrase a word names: a clause about it, an aside.
_ASIDES = frozenset({"relcl", "acl", "advcl", "appos", "punct", "cc", "conj", "parataxis"})


def tags_within(tokens: Sequence[Token], start: int, end: int) -> set[str]:
    """The parts of speech of the words inside the character range ``[start, end)``."""
    return {t.tag for t in tokens if start <= t.start and t.end <= end}


class Parse:
    """One sentence's text with its parsed words and its entities (offsets into ``text``)."""

    def __init__(self, text: str, tokens: Sequence[Token],
                 entities: Sequence[Entity] = ()) -> None:
        self.text = text
        self.tokens = tuple(tokens)
        self.entities = tuple(entities)

    def __len__(self) -> int:
        return len(self.tokens)

    def word(self, i: int) -> str:
        token = self.tokens[i]
        return self.text[token.start:token.end]

    def lemma(self, i: int) -> str:
        return self.tokens[i].lemma or self.word(i).lower()

    def tag(self, i: int) -> str:
        return self.tokens[i].tag

    def dep(self, i: int) -> str:
        return self.tokens[i].dep

    def head(self, i: int) -> int:
        """Where ``i``'s head is; ``i`` itself for a root (or a head outside the sentence,
        which only a damaged parse file could hold)."""
        head = i + self.tokens[i].head
        return head if 0 <= head < len(self.tokens) else i

    def tags_within(self, start: int, end: int) -> set[str]:
        return tags_within(self.tokens, start, end)

    def is_verb(self, i: int) -> bool:
        return self.tokens[i].tag.startswith("VB")

    def is_pronoun(self, i: int) -> bool:
        return self.tokens[i].tag in ("PRP", "PRP$", "WP", "WDT", "DT", "EX")

    @cached_property
    def _children(self) -> list[list[int]]:
        children: list[list[int]] = [[] for _ in self.tokens]
        for i in range(len(self.tokens)):
            if (head := self.head(i)) != i:
                children[head].append(i)
        return children

    def children(self, i: int, *deps: str) -> list[int]:
        """``i``'s dependents, only those of the relations ``deps`` when given."""
        return [c for c in self._children[i] if not deps or self.tokens[c].dep in deps]

    def child(self, i: int, *deps: str) -> int | None:
        found = self.children(i, *deps)
        return found[0] if found else None

    def subtree(self, i: int, leave_out: frozenset[str] = frozenset()) -> Iterator[int]:
        """``i`` and everything under it, skipping dependents (and theirs) of ``leave_out``."""
        yield i
        for child in self._children[i]:
            if self.tokens[child].dep not in leave_out:
                yield from self.subtree(child, leave_out)

    def phrase(self, i: int) -> tuple[int, int] | None:
        """The character range of the phrase ``i`` heads, without asides (a relative clause,
        an appositive, a conjunct) and without a leading determiner: "South Korea’s National
        Intelligence Service (NIS)" for "Service". None for a pronoun."""
        if self.is_pronoun(i):
            return None
        inside = sorted(self.subtree(i, _ASIDES))
        # Keep it contiguous around the head: an aside skipped in the middle cuts it there.
        at = inside.index(i)
        first = last = at
        while first > 0 and inside[first - 1] == inside[first] - 1:
            first -= 1
        while last + 1 < len(inside) and inside[last + 1] == inside[last] + 1:
            last += 1
        run = inside[first:last + 1]
        while run and (self.dep(run[0]) in ("det", "punct", "cc", "case", "prep")
                       or self.tag(run[0]) in ("DT", "PDT")) and run[0] != i:
            run = run[1:]
        while run and self.dep(run[-1]) in ("punct", "cc", "case") and run[-1] != i:
            run = run[:-1]
        # A date run into a name by the parse ("On Tuesday North Korea denied") is no part
        # of it.
        while run and run[0] != i and self._in_time(run[0]) and not self._in_time(i):
            run = run[1:]
        if not run:
            return None
        # "Service (NIS)": an appositive in brackets right after the name is part of it.
        after = run[-1] + 1
        if after + 2 < len(self.tokens) and self.tag(after) == "-LRB-" and \
                self.dep(after + 1) == "appos" and self.tag(after + 2) == "-RRB-":
            run.extend((after, after + 1, after + 2))
        return self.tokens[run[0]].start, self.tokens[run[-1]].end

    def _in_time(self, i: int) -> bool:
        token = self.tokens[i]
        return any(e.label in ("DATE", "TIME") and e.start <= token.start and token.end <= e.end
                   for e in self.entities)

    def label(self, start: int, end: int) -> str:
        """The type of the entity spanning exactly ``[start, end)``, or ""."""
        return next((e.label for e in self.entities if (e.start, e.end) == (start, end)), "")

    def find(self, lemma: str) -> list[int]:
        """The words whose lemma is ``lemma``."""
        return [i for i in range(len(self.tokens)) if self.lemma(i) == lemma]


_PARSED: dict[str, Parse] = {}
_LOCK = threading.RLock()
_PIPELINE: list = []


def parse_question(text: str) -> Parse:
    """A question's parse, by the pipeline that parsed the articles (loaded on first use;
    ``warm_up`` loads it ahead). Parses are kept, up to 512 questions and then all dropped at
    once: one question is read by several stages."""
    found = _PARSED.get(text)
    if found is not None:
        return found
    with _LOCK:  # one pipeline, used by one thread at a time
        warm_up()
        [tagged] = _PIPELINE[0].tag([text])
    found = Parse(text, tagged.tokens, tagged.entities)
    if len(_PARSED) >= 512:
        _PARSED.clear()
    _PARSED[text] = found
    return found


def warm_up() -> None:
    """Load the NLP pipeline now, not inside the first question's timing."""
    from assistant.ingest.tagging import SpacyTagger  # the text layer needs it only here

    with _LOCK:
        if not _PIPELINE:
            tagger = SpacyTagger(worker=False)
            tagger.warm_up()
            _PIPELINE.append(tagger)
