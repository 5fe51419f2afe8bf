"""Checking what a language model wrote against the passages it cites.

Nothing a model writes reaches the reader unchecked. Its output is cut into sentences as it
streams in (``llm_output``); the ``[n]`` markers of each must name a passage that was in the
prompt, and the
sentence must be supported by sentences of a cited passage: most of its content words (or close
synonyms) are there, its meaning is close by embedding, and every name, number and quotation in
it appears there too. Links and images that no source contains are removed. A sentence that
fails is dropped with its reason, so an answer's ``verification`` says what was left out.
An article sentence that instructs ("ignore previous instructions …") is never evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer.written.reply import strip_links
from assistant.evidence import EvidenceSentence, SentenceVectors, evidence_sentences
from assistant.models import Checked, CheckOutcome, Passage
from assistant.text.lexical import STOPWORDS, terms, words
from assistant.text.markers import without_markers
from assistant.text.names import names_outside
from assistant.text.synonyms import SynonymMatcher

_LEADING_NAME = re.compile(r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")
# Capitalised only because they open a sentence: never taken for a name.
_OPENERS = frozenset("""however meanwhile moreover furthermore additionally instead overall
    still yet thus therefore hence nevertheless nonetheless later earlier today yesterday
    recently currently previously initially finally first second third last separately
    similarly specifically notably in on at as after before while although though despite
    since because when during following amid given""".split())
_QUOTED = re.compile(r"[\"“]([^\"”]{3,})[\"”]")
# Words that describe the sources rather than the story; they need no support.
_META = frozenset("articl passag coverag mention sourc report".split())
_PAIRS = 5  # runner-up sentences tried beside the best one
# Words that turn a statement around: a claim and its evidence must agree on having one.
_NEGATIONS = frozenset("""not no never none nor neither without cannot didn doesn don wasn isn
    aren weren hasn haven hadn couldn wouldn shouldn deny denies denied denying
    reject rejects rejected rejecting refute refutes refuted refuting dismiss dismisses
    dismissed dismissing unverified unconfirmed groundless baseless""".split())
_CLAUSE_CACHE = 20_000  # sentences whose clause vectors are kept
_CLAUSE = re.compile(r"\s*(?:[,;:—–]|\s-\s)\s*")


@dataclass(frozen=True)
class Sources:
    """The passages of one prompt, numbered from 1 as the model saw them."""

    passages: tuple[Passage, ...]
    evidence: tuple[EvidenceSentence, ...]

    @classmethod
    def of(cls, passages: Sequence[Passage]) -> Sources:
        return cls(tuple(passages), tuple(evidence_sentences(passages)))

    def holds_url(self, url: str) -> bool:
        url = url.strip("<>").rstrip(".,;:")
        return bool(url) and any(url in p.chunk.text or url == p.chunk.url
                                 for p in self.passages)


@dataclass(frozen=True)
class Support:
    """How well a group of article sentences backs a written sentence."""

    supported: bool
    evidence: tuple[EvidenceSentence, ...] = ()
    overlap: float | None = None
    similarity: float | None = None
    why_not: str = ""


@dataclass(frozen=True)
class Verdict:
    """What the check decided about one written sentence, and the sentences behind it."""

    checked: Checked
    evidence: tuple[EvidenceSentence, ...] = ()


class Checker:
    """Decides, sentence by sentence, what of a model's answer may be shown."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray],
                 sentence_vectors: SentenceVectors,
                 synonyms: SynonymMatcher,
                 min_overlap: float, min_similarity: float, refusal: str) -> None:
        self.embed = embed
        self.sentence_vectors = sentence_vectors
        self.synonyms = synonyms
        self.min_overlap = min_overlap
        self.min_similarity = min_similarity
        self.refusal = _plain(refusal)
        self._clauses: dict[str, np.ndarray] = {}

    def check(self, written: str, sources: Sources) -> Verdict | None:
        """The verdict on one sentence; None for a stray fragment with no words at all."""
        text, removed = strip_links(written, sources.holds_url)
        claim, numbers = without_markers(text)
        count = len(sources.passages)
        cited = tuple(n for n in numbers if 1 <= n <= count)
        invalid = tuple(n for n in numbers if not 1 <= n <= count)
        base = Checked(written, CheckOutcome.UNSUPPORTED, "", claim, cited, invalid,
                       tuple(removed))
        if not re.search(r"[A-Za-z0-9]", claim):
            # Nothing but markup: say what was removed; a stray marker is not worth a line.
            return Verdict(replace(base, outcome=CheckOutcome.MARKUP_ONLY,
                                   reason="an image or link that no source contains")) \
                if removed else None
        if _plain(claim).startswith(self.refusal):
            return Verdict(replace(base, outcome=CheckOutcome.MODEL_REFUSAL,
                                   reason="the model said the coverage does not answer"))
        claim_terms = [t for t in dict.fromkeys(terms(claim)) if t not in _META]
        if not claim_terms:
            return Verdict(replace(base, outcome=CheckOutcome.UNCHECKABLE,
                                   reason="states nothing that can be checked"))
        vector = self.embed([claim])[0]
        own = [e for e in sources.evidence if e.n in cited]
        support = self._support(claim, claim_terms, vector, own)
        if support.supported:
            return Verdict(replace(base, outcome=CheckOutcome.SUPPORTED, reason="supported",
                                   overlap=support.overlap, similarity=support.similarity),
                           support.evidence)
        others = [e for e in sources.evidence if e.n not in cited]
        elsewhere = self._support(claim, claim_terms, vector, others)
        if elsewhere.supported:
            found = sorted({e.n for e in elsewhere.evidence})
            said = f"cited {_listed(numbers)}" if numbers else "cited nothing"
            return Verdict(replace(base, outcome=CheckOutcome.RECITED,
                                   reason=f"{said}; supported by passage "
                                   f"{_listed(found)}", overlap=elsewhere.overlap,
                                   similarity=elsewhere.similarity), elsewhere.evidence)
        if not numbers:
            reason = "cites no passage and no passage supports it"
        elif not cited:
            reason = f"cites {_listed(invalid)}, but the prompt held {count} passages, and no " \
                     "passage supports it"
        else:
            reason = support.why_not or "not supported by the cited passage"
        return Verdict(replace(base, reason=reason, overlap=support.overlap,
                               similarity=support.similarity))

    def _support(self, claim: str, claim_terms: list[str], vector: np.ndarray,
                 candidates: list[EvidenceSentence]) -> Support:
        """How well the best of ``candidates`` (alone or with a neighbour) backs the claim."""
        if not candidates:
            return Support(False)
        stored = self.sentence_vectors([e.sentence for e in candidates])
        missing = [e for e in candidates if e.sentence_id not in stored]
        if missing:
            stored = {**stored, **dict(zip([e.sentence_id for e in missing],
                                           self.embed([e.text for e in missing]), strict=True))}
        cosine = {e.sentence_id: float(np.dot(stored[e.sentence_id], vector))
                  for e in candidates}
        present = {e.sentence_id: set(terms(e.text)) for e in candidates}
        found = self.synonyms.matches(claim, set(claim_terms), [e.text for e in candidates])
        soft = {(e.sentence_id, t) for e, terms_found in zip(candidates, found, strict=True)
                for t in terms_found}

        def covered(group: Sequence[EvidenceSentence]) -> set[str]:
            return {t for t in claim_terms for e in group
                    if t in present[e.sentence_id] or (e.sentence_id, t) in soft}

        ranked = sorted(candidates, key=lambda e: -(len(covered([e])) / len(claim_terms)
                                                    + cosine[e.sentence_id]))

        def closeness(evidence: EvidenceSentence) -> float:
            """Cosine with the sentence, or with its closest clause when that is closer: a
            short written sentence often restates one clause of a long article sentence."""
            whole = cosine[evidence.sentence_id]
            if whole >= self.min_similarity:
                return whole
            clauses = self._clause_vectors(evidence)
            return max(whole, float((clauses @ vector).max())) if len(clauses) else whole

        def judge(group: list[EvidenceSentence]) -> tuple[float, float, str]:
            """The cheap checks first; the clause embeddings only for a group that passed."""
            overlap = round(len(covered(group)) / len(claim_terms), 3)
            similarity = round(max(cosine[e.sentence_id] for e in group), 3)
            joined = " ".join(e.text for e in group)
            why = ""
            if any(_plain(q) not in _plain(joined) for q in _QUOTED.findall(claim)):
                why = "quotes words the cited sentences do not contain"
            elif outside := _names_outside(claim, joined):
                why = f"names {', '.join(outside)}, which the cited sentences do not"
            elif flip := _polarity_flip(claim, group):
                why = flip
            elif overlap < self.min_overlap:
                why = f"only {overlap:.0%} of its words are in the cited sentences"
            else:
                similarity = round(max(closeness(e) for e in group), 3)
                if similarity < self.min_similarity:
                    why = f"its meaning is too far from the cited sentences ({similarity:.2f})"
            return overlap, similarity, why

        best = [ranked[0]]
        verdict = judge(best)
        # One written sentence often joins two neighbouring article sentences ("North Korea
        # called the claims groundless" from "North Korea … denied …" and "It called the
        # claims …"): a nearby sentence of the same passage may supply what the first lacks.
        # Sentences from elsewhere are never stitched together into a claim neither makes.
        near = [e for e in ranked[1:] if _neighbours(best[0], e)]
        for other in near[:_PAIRS]:
            if verdict[2] == "":
                break
            paired = judge(best + [other])
            if paired[2] == "":
                best, verdict = best + [other], paired
        overlap, similarity, why = verdict
        return Support(not why, tuple(best), overlap, similarity, why)

    def _clause_vectors(self, evidence: EvidenceSentence) -> np.ndarray:
        """Vectors of a sentence's clauses (of three words or more), embedded once."""
        found = self._clauses.get(evidence.sentence_id)
        if found is None:
            clauses = [c for c in _CLAUSE.split(evidence.text) if len(c.split()) >= 3]
            found = self.embed(clauses) if len(clauses) > 1 else np.zeros((0, 1))
            if len(self._clauses) >= _CLAUSE_CACHE:
                self._clauses.clear()
            self._clauses[evidence.sentence_id] = found
        return found


def _names_outside(claim: str, evidence: str) -> list[str]:
    """Names, numbers and quotations of a written sentence that its evidence never mentions.
    Unlike a question's, a statement's first words are often a name ("China has sent …",
    "Kim Jong Un said …"), so capitalised words at its start count too, unless they only open
    the sentence ("However", "The")."""
    names = names_outside(claim, evidence)
    lead = _LEADING_NAME.match(claim)
    first = lead.group(0).split()[0].lower() if lead else ""
    if lead and first not in STOPWORDS and first not in _OPENERS and \
            names_outside(f"x {lead.group(0)}", evidence):
        names = [lead.group(0)] + [n for n in names if n not in lead.group(0)]
    return names


def _neighbours(a: EvidenceSentence, b: EvidenceSentence) -> bool:
    """Whether two sentences sit within two sentences of each other in one passage."""
    if a.passage.chunk.chunk_id != b.passage.chunk.chunk_id:
        return False
    return abs(a.position() - b.position()) <= 2


def _polarity_flip(claim: str, group: Sequence[EvidenceSentence]) -> str:
    """Why the claim reverses its evidence, or "": "North Korea sent troops" is not what
    "North Korea has officially denied sending troops" says, however many words they share.
    The clause of the evidence closest to the claim decides, so a negation elsewhere in a
    long sentence does not count against a claim about another part of it."""
    claim_terms = set(terms(claim))
    clauses = [c for e in group for c in _CLAUSE.split(e.text) if c.strip()]
    closest = max(clauses, key=lambda c: len(claim_terms & set(terms(c))), default="")
    said = [w for w in words(closest) if w in _NEGATIONS]
    written = [w for w in words(claim) if w in _NEGATIONS]
    if said and not written:
        return f"leaves out the cited sentence's “{said[0]}”"
    if written and not said:
        return f"adds “{written[0]}”, which the cited sentence does not say"
    return ""


def _listed(numbers: Sequence[int]) -> str:
    return ", ".join(f"[{n}]" for n in numbers)


def _plain(text: str) -> str:
    """Lower-case words only, for comparing quotations and the refusal sentence."""
    return " ".join(words(text.replace("’", "'")))
