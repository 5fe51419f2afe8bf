"""The extractive answerer: quote the sentences that answer, cite each, or refuse.

No language model writes anything here, so nothing can be said that the article does not say:
every sentence of an answer is an article sentence, verbatim, with its offsets. The work is in
choosing: each sentence of the retrieved passages gets a support score (``scoring``); a learned
ranking over that and other measures (``chooser``) picks the one that leads, with the phrase
that answers in bold (``phrases`` finds the phrases of the asked kind, ``picking`` chooses
among them). When the best support is too low, or a name the question
hinges on appears nowhere in the evidence, the answer is a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np

from assistant.answer.base import Draft, Question, Retrieval, Retrieve
from assistant.answer.extractive.chooser import Asked, SentenceChooser, choice
from assistant.answer.extractive.confidence import ConfidenceModel, Signals
from assistant.answer.extractive.kinds import (
    STRICT_KINDS,
    QuestionKind,
    QuestionKinds,
    asked_noun,
    asked_verb,
    described_name,
    named_noun,
    predicate_term,
)
from assistant.answer.extractive.phrases import (
    actor_phrase,
    appositive,
    headed_phrase,
    measured_phrase,
    noun_kind,
    noun_name,
    object_phrase,
    opening_entity,
    unnamed,
)
from assistant.answer.extractive.picking import PhraseChooser, Wanted
from assistant.answer.extractive.scoring import Candidate, SupportScorer
from assistant.answer.parts import join_answers, question_parts
from assistant.evidence import SentenceTokens, SentenceVectors, evidence_sentences, with_parses
from assistant.models import Passage
from assistant.prompts import Prompts
from assistant.retrieval.followup import ResolvedQuestion, needs_context, resolve_followup
from assistant.text.lexical import STOPWORDS, stem, terms, words
from assistant.text.markers import marker
from assistant.text.names import (
    asked_groups,
    asked_names,
    mentions,
    names_outside,
    says_place,
    subject_names,
)
from assistant.text.syntax import Parse

_REDUNDANT = 0.92
_REFERS_BACK = re.compile(r"(?:The|This|These|That|Those|Such)\s+[a-z]|(?:He|She|It|They)\b")


class ExtractiveAnswerer:
    """Chooses, orders and cites article sentences; refuses when they don't answer."""

    def __init__(self, prompts: Prompts, scorer: SupportScorer,
                 sentence_vectors: SentenceVectors, sentence_tokens: SentenceTokens,
                 kinds: QuestionKinds, known_term: Callable[[str], bool],
                 confidence: ConfidenceModel, chooser: SentenceChooser,
                 phrase_chooser: PhraseChooser, min_support: float, max_sentences: int,
                 group_places: Callable[[str, str], Sequence[str]] =
                 lambda group, text: ()) -> None:
        self.prompts = prompts
        self.kinds = kinds
        self.scorer = scorer
        self.sentence_vectors = sentence_vectors
        self.sentence_tokens = sentence_tokens
        self.known_term = known_term  # whether the corpus uses a (stemmed) word anywhere
        self.confidence = confidence
        self.chooser = chooser
        self.phrase_chooser = phrase_chooser  # which typed phrase of a sentence answers
        self.min_support = min_support
        self.max_sentences = max_sentences
        # Of the places a text says, those a nationality's word names ("Polish": Poland), see
        # ``groups``.
        self.group_places = group_places

    def refusal(self, name: str = "refusal", **values: str) -> Draft:
        return Draft(self.prompts.render(name, **values), None, True)

    def stream(self, question: Question, retrieve: Retrieve) -> Iterator[Draft]:
        """A follow-up leaning on the conversation searches with its last exchange too. A
        question of several parts is answered part by part (see ``parts``): a later part that
        leans on the first searches with it as context, and is answered from the article
        that answered the first when that article answers it too ("… and how many were
        injured?" is about the same crash). A part left unanswered may still be answered by a
        sentence quoted for another part (see ``_answer_by_quoted``)."""
        parts = question_parts(question.corrected)
        first = resolve_followup(parts[0], list(question.turns))
        if len(parts) == 1:
            yield self.answer(retrieve(first))
            return
        retrievals = [retrieve(first)]
        drafts = [self.answer(retrievals[0])]
        said = tuple(dict.fromkeys(c.quote for c in drafts[0].citations))
        for part in parts[1:]:
            resolved = ResolvedQuestion(part, f"{parts[0]} {first.context}".strip(), said) \
                if needs_context(part) else ResolvedQuestion(part)
            retrievals.append(retrieve(resolved))
            drafts.append(self.answer(retrievals[-1]))
        for i, draft in enumerate(drafts):
            others = [(r, d) for j, (r, d) in enumerate(zip(retrievals, drafts, strict=True))
                      if j != i and not d.refused]
            if draft.refused and others:
                drafts[i] = self._answer_by_quoted(parts[i], others) or draft
        yield join_answers(parts, drafts, self.prompts)

    def _answer_by_quoted(self, part: str, others: list[tuple[Retrieval, Draft]]
                          ) -> Draft | None:
        """A count, date or length of time that one part asks for, given by a sentence quoted
        for another part of the same question, or None.

        "How many people died in the hotel fire, and how many were rescued?": "At least
        seventeen people died and 35 were rescued" answers both parts, but matches the first
        too weakly to be chosen on its own words (it never says "hotel fire"). A quoted
        sentence is about the question's story; it answers the part when it says the part's
        verb ("died") and gives the part's kind of phrase (of the thing counted), one that no
        other part's answer is, and its article names everything the part names.
        """
        kind = self.kinds.kind(part)
        own = set(terms(part))
        verb = asked_verb(part)
        if kind not in STRICT_KINDS or not own or verb is None:
            return None
        quoted = {(c.doc_id, c.start) for _, draft in others for c in draft.citations}
        taken = {d.short_answer for _, d in others if d.short_answer}
        passages = list({p.chunk.chunk_id: p for r, _ in others for p in r.passages}.values())
        naming = _naming_articles(part, passages, asked_names(part),
                                  self._group_places(part, passages))
        amount = self.kinds.wants_amount(part)
        for evidence in with_parses([e for e in evidence_sentences(passages)
                                     if (e.passage.chunk.doc_id, e.start) in quoted
                                     and e.passage.chunk.doc_id in naming],
                                    self.sentence_tokens):
            candidate = Candidate(evidence)
            parse = candidate.parse
            if not any(parse.lemma(i).lower() == verb for i in range(len(parse))) and \
                    not self.scorer.says(candidate.text, stem(verb), part):
                continue
            if not self.scorer.gives(kind, candidate, part, own, amount):
                continue
            short = self._short_answer(part, kind, candidate, own)
            if short and short not in taken:
                return self._compose([candidate], short)
        return None

    def answer(self, retrieval: Retrieval) -> Draft:
        """The cited answer to what was retrieved for a question, or a refusal.

        A follow-up is answered from the articles the conversation quoted when they answer it
        ("How old is she?" after an answer about Greta Thunberg is about her, not about
        someone another article gives an age for); otherwise from everything retrieved.
        """
        if retrieval.conversation:
            draft = self._answer(replace(retrieval, passages=retrieval.conversation,
                                         conversation=()))
            if not draft.refused:
                return draft
        return self._answer(retrieval)

    def _answer(self, retrieval: Retrieval) -> Draft:
        resolved, query_vector = retrieval.resolved, retrieval.query_vector
        own_terms = set(terms(resolved.question))
        if not own_terms and resolved.context:
            # "What did he say?": every content word is in the conversation, not the question
            # (whose form still decides what kind of answer is wanted).
            own_terms = set(terms(resolved.context))
            resolved = ResolvedQuestion(resolved.question)
        if not own_terms:
            return self.refusal("empty_question")
        candidates = [Candidate(e) for e in with_parses(
            list(evidence_sentences(retrieval.passages)), self.sentence_tokens)]
        if not candidates:
            return self.refusal()
        places = self._group_places(resolved.question, retrieval.passages)
        missing = self._missing_names(resolved.question, candidates, places)
        kind = self.kinds.kind(resolved.question)
        noun = asked_noun(resolved.question)
        if kind == QuestionKind.OTHER and noun:
            kind = noun_kind(noun, (c.parse for c in candidates))
        context_terms = set(terms(resolved.context)) - own_terms
        vectors = self.sentence_vectors([c.evidence.sentence for c in candidates])
        scored = self.scorer.score(candidates, resolved.question, kind, own_terms,
                                   context_terms, query_vector, vectors)
        # Of the articles retrieved, only those that name everything the question names
        # compete, when any does.
        names = asked_names(resolved.question)
        naming = _naming_articles(resolved.question, retrieval.passages, names, places)
        scored = [c for c in scored if c.passage.chunk.doc_id in naming] or scored
        giving = scored
        if kind in STRICT_KINDS:
            # A count or a date is only answered by a sentence that gives one (of the thing
            # counted: "two countries" is no answer to "how many troops").
            amount = self.kinds.wants_amount(resolved.question)
            giving = [c for c in scored
                      if self.scorer.gives(kind, c, resolved.question, own_terms, amount)]
        named = named_noun(resolved.question)
        if named is not None:
            # "What was the name of the pilot …?" is answered only by a sentence that names
            # a pilot; "the pilot was injured" says there was one.
            giving = [c for c in giving if noun_name(c.parse, named)]
        # The sentence quoted: the candidate the learned chooser ranks first.
        predicate = predicate_term(resolved.question)
        pool = giving or scored
        asked = Asked.of(resolved.question)
        ranked = self.chooser.rank(pool, [choice(c, own_terms, asked) for c in pool])
        best = ranked[0]
        # Whether the coverage answers at all is judged on the sentence that matches best on
        # its own words: a title naming the question's subject says nothing about the asked
        # fact, so it may choose among sentences but never turn a refusal into an answer.
        by_itself = sorted(pool, key=lambda c: -c.alone)
        standing = by_itself[0]
        chunk = standing.passage.chunk
        short = self._short_answer(resolved.question, kind, best, own_terms)
        # The passage quoted names whom the asked fact is about; the article that holds it
        # may set the scene elsewhere ("… in the B-17 crash at Bradley airport").
        outside = names_outside(resolved.question,
                                f"{chunk.title} {chunk.dateline} {chunk.text}",
                                subject_names(resolved.question, names)
                                if chunk.doc_id in naming else names, places)
        unsaid = bool(predicate) and not self.scorer.says(standing.text, predicate,
                                                          resolved.question)
        signals = Signals(
            support=standing.alone, dense=standing.dense, lexical=standing.lexical,
            margin=standing.alone - (by_itself[1].alone if len(by_itself) > 1 else 0.0),
            missing_names=float(bool(missing)), names_outside=float(bool(outside)),
            predicate_unsaid=float(unsaid), kind_unmet=float(not giving),
            no_short_answer=float(short is None))
        weighed = {"confidence": round(self.confidence.confidence(signals), 4),
                   "signals": signals, "best_sentence": best.text}
        support = round(standing.alone, 4)
        if missing:
            return replace(self.refusal("refusal_missing", missing=" or ".join(missing)),
                           **weighed)
        if not giving:
            return replace(self.refusal(), **weighed)
        if standing.alone < self.min_support or outside:
            # Too weak a match; or "What did Japan's prime minister say …?" asked of a passage
            # that never mentions Japan, however well the rest of the question matches it. (A
            # sentence that says the question's verb in other words may answer: "Which judge
            # threw out …" is answered by "… dismissed …"; whether it is said is a signal of
            # the confidence model, not a refusal.)
            return replace(self.refusal(), support=support, **weighed)
        lead = best
        if short is None and kind != QuestionKind.OTHER:
            amount = self.kinds.wants_amount(resolved.question)
            neighbour = _neighbour_with_answer(
                best, scored, lambda c: bool(self.scorer.answering(
                    kind, c.parse, resolved.question, own_terms, amount)))
            if neighbour is not None:
                # Lead with the sentence that holds the short answer, so [1] supports it.
                lead = neighbour
                referent = opening_entity(neighbour.parse) \
                    if kind == QuestionKind.WHO and neighbour.start < best.start and \
                    _REFERS_BACK.match(best.text) else None
                # "… South Korea's NIS shared intelligence …" / "The spy agency reported …":
                # the agency is the earlier sentence's subject, not just any name in it.
                short = referent.text if referent else self._short_answer(
                    resolved.question, kind, neighbour, own_terms)
        chosen = self._choose(ranked, vectors, lead, best, short,
                              lambda c: self._states(c, short, predicate, resolved.question))
        return replace(self._compose(chosen, short), support=support, **weighed)

    def _short_answer(self, question: str, kind: QuestionKind, best: Candidate,
                      own: set[str]) -> str | None:
        """The phrase that answers: an object, a description, a named head noun, or a typed
        phrase, tried from the most specific question form to the most general."""
        name = described_name(question)
        noun = asked_noun(question)
        named = named_noun(question)
        otherwise = self._said_otherwise(question, own, best.parse)
        verbs = sorted({best.parse.lemma(i).lower() for i in range(len(best.parse))
                        if best.parse.is_verb(i) and best.parse.word(i).lower() in otherwise})
        found = ((noun_name(best.parse, named) if named else None)
                 or object_phrase(question, best.parse, verbs)
                 or (appositive(best.parse, name) if name else None)
                 or (actor_phrase(question, best.parse, verbs)
                     if kind == QuestionKind.WHO else None)
                 or (headed_phrase(best.parse, noun) if noun else None)
                 or (measured_phrase(best.parse, noun)
                     if noun and kind in (QuestionKind.OTHER, QuestionKind.HOW_MANY) else None))
        if found is None and noun and unnamed(best.parse, noun):
            return None  # "The spy agency reported …": which agency, an earlier sentence says
        if found is None and kind != QuestionKind.OTHER:
            answering = self.scorer.answering(kind, best.parse, question, own,
                                              self.kinds.wants_amount(question))
            # The question's own words, or the conversation's when it has none ("What did
            # he say?"), and the sentence's words for them, are what a phrase is measured
            # against.
            wanted = Wanted.of(question)
            wanted = replace(wanted, terms=frozenset(own | {stem(w) for w in otherwise}),
                             verbs=wanted.verbs | set(verbs))
            found = self.phrase_chooser.best(best.parse, answering, wanted, kind.value) \
                if answering else None
        if found is None:
            return None
        text = re.sub(r"[’']s?$", "", found.text)  # "Kim Jong-un’s meeting" names Kim Jong-un
        if set(terms(text)) <= own:
            return None  # "spy agency" for "Which spy agency …?" repeats the question
        return text

    def _group_places(self, question: str,
                      passages: Sequence[Passage]) -> dict[str, Sequence[str]]:
        """For each nationality or group the question names ("the *Polish* president"), the
        places of the retrieved passages it names (Poland): where it may be said by them."""
        groups = asked_groups(question)
        if not groups:
            return {}
        text = " ".join(dict.fromkeys(part for p in passages for part in (
            p.chunk.title, p.chunk.dateline, p.chunk.text)))
        return {group: self.group_places(group, text) for group in groups}

    def _said_otherwise(self, question: str, own: set[str], sentence: Parse) -> set[str]:
        """The sentence's words that say one of the question's words (``own``) in other words:
        "injured" for "How many were hurt?", "selected" for "Who did he pick?"."""
        return set(self.scorer.synonyms.said_for(
            [w for w in words(question) if stem(w) in own], sentence.text))

    def _missing_names(self, question: str, candidates: list[Candidate],
                       places: dict[str, Sequence[str]]) -> list[str]:
        """Names and numbers the question hinges on that no evidence sentence contains (a
        group's word, nor any of its ``places``) and the corpus does not know either."""
        datelines = dict.fromkeys(c.passage.chunk.dateline for c in candidates)
        text = " ".join([*(c.text for c in candidates), *datelines])
        evidence = {stem(w.replace(",", "")) for w in words(text)}
        missing = []
        for name in asked_names(question):
            if not mentions(name, evidence, text) and \
                    not any(says_place(p, evidence, text) for p in places.get(name, ())):
                name_terms = [stem(w.replace(",", "")) for w in words(name)
                              if w not in STOPWORDS]
                if not all(self.known_term(t) for t in name_terms):
                    missing.append(name)
        return missing

    def _choose(self, ranked: list[Candidate], vectors: dict[str, np.ndarray],
                lead: Candidate, best: Candidate, short: str | None,
                states: Callable[[Candidate], bool]) -> list[Candidate]:
        """The lead sentence, then close runners-up that state the same answer again.

        A second sentence earns its place only by stating the short answer again (another
        source for the same fact); without a short answer there is nothing to corroborate,
        so the answer is the one best sentence and its neighbour when that holds the answer.
        """
        chosen = [lead] if lead is best else [lead, best]
        if not short:
            return chosen[: self.max_sentences]
        floor = max(self.min_support, best.support * 0.85)
        for candidate in ranked[:8]:
            if len(chosen) >= self.max_sentences:
                break
            if candidate in chosen or candidate.support < floor or candidate.lexical == 0:
                continue
            if not states(candidate) or any(_similar(vectors, candidate, other)
                                             for other in chosen):
                continue
            chosen.append(candidate)
        return chosen

    def _states(self, candidate: Candidate, short: str | None, predicate: str | None,
                question: str) -> bool:
        """Whether a sentence repeats the short answer in the role the question asks about:
        for "Who denied …?", "North Korea has … denied" does, "Russia denied that North
        Korea …" does not (there the answer comes after the verb)."""
        at = candidate.text.lower().find(short.lower()) if short else -1
        if at < 0:
            return False
        if not predicate:
            return True
        return self.scorer.says(candidate.text[at + len(short):], predicate, question)

    def _compose(self, chosen: list[Candidate], short_answer: str | None) -> Draft:
        citations = []
        parts = []
        for n, candidate in enumerate(chosen, start=1):
            citations.append(candidate.evidence.citation(n))
            parts.append(f"{candidate.text} {marker(n)}")
        if short_answer and not chosen[0].text.startswith(short_answer):
            parts[0] = self.prompts.render("answer_lead", short_answer=short_answer,
                                           sentence=parts[0])
        return Draft(" ".join(parts), short_answer, False, tuple(citations))


def _naming_articles(question: str, passages: Sequence[Passage], names: list[str],
                     places: dict[str, Sequence[str]]) -> set[str]:
    """The articles (doc ids) whose title and retrieved passages hold every one of the
    question's ``names`` ("… in Belgrade", "… the Air India Express plane …"), a group's
    word or one of its ``places``."""
    articles: dict[str, list[str]] = {}
    for passage in passages:
        chunk = passage.chunk
        articles.setdefault(chunk.doc_id, [chunk.title, chunk.dateline]).append(chunk.text)
    return {doc for doc, texts in articles.items()
            if not names_outside(question, " ".join(texts), names, places)}


def _neighbour_with_answer(best: Candidate, scored: list[Candidate],
                           answers: Callable[[Candidate], bool]) -> Candidate | None:
    """The sentence right before or after ``best`` when it holds the wanted kind of phrase
    (``answers``).

    News prose often splits a fact over two sentences ("… denied sending troops." / "The
    statement, made … on Monday, …"), so the neighbour is the first place to look.
    """
    chunk = best.passage.chunk
    by_start = {c.start: c for c in scored if c.passage.chunk.doc_id == chunk.doc_id}
    spans = list(chunk.sentences)
    position = next(i for i, span in enumerate(spans) if span.start == best.start)
    # "The spy agency reported …" / "He also …" point back to an earlier mention: look there
    # first. Otherwise the fact usually continues in the next sentence.
    order = (position - 1, position + 1) if _REFERS_BACK.match(best.text) else \
        (position + 1, position - 1)
    for index in order:
        if 0 <= index < len(spans):
            neighbour = by_start.get(spans[index].start)
            if neighbour is not None and answers(neighbour):
                return neighbour
    return None


def _similar(vectors: dict[str, np.ndarray], a: Candidate, b: Candidate) -> bool:
    va, vb = vectors.get(a.sentence_id), vectors.get(b.sentence_id)
    return va is not None and vb is not None and float(np.dot(va, vb)) > _REDUNDANT
