"""Fit the extractive answerer's phrase chooser: which typed phrase of a sentence answers.

For answerable SQuAD 2.0 questions sampled from the training articles, the sentence of the
article that holds the answer is parsed by the product's NLP pipeline, and the question is
typed as the answerer types it; likewise the Wikinews dev split's single-part cases with their
evidence sentence. A sentence with several phrases of the wanted kind, some holding the answer
and some not, gives pairs (one answering phrase, one not); a logistic regression without
intercept on the pairs' differences, each sentence weighing the same, gives the weights of a
linear score (the pairwise form of learning to rank). How often answers to each kind of
question are of each entity type is counted on the same training data. SQuAD articles held
out from training (the same ones the other training scripts hold out) report top-1 accuracy
beside taking the first phrase; the Wikinews test split is never read.

Seeded; under two minutes on two cores. Writes
``assistant/answer/extractive/phrase_chooser.json`` and prints a JSON summary. Usage:
``python training/train_phrases.py [--squad-questions N]``.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_chooser import pairwise_weights  # noqa: E402
from train_confidence import (  # noqa: E402
    SOURCES,
    SQUAD,
    TRAIN_SOURCES,
    WIKINEWS,
    arguments,
    data_record,
    share,
    split_squad,
    write_result,
)

from assistant.answer.extractive.kinds import (  # noqa: E402
    NounKinds,
    QuestionKind,
    QuestionKinds,
    asked_noun,
)
from assistant.answer.extractive.phrases import Found, noun_kind  # noqa: E402
from assistant.answer.extractive.picking import (  # noqa: E402
    FEATURES,
    PHRASE_CHOOSER_FILE,
    PhraseChooser,
    Wanted,
    features,
)
from assistant.answer.extractive.scoring import SupportScorer  # noqa: E402
from assistant.app import build_embedder  # noqa: E402
from assistant.ingest.tagging import SpacyTagger  # noqa: E402
from assistant.quality.golden import load_golden  # noqa: E402
from assistant.quality.metrics import normalize  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store.embedding import WordVectors  # noqa: E402
from assistant.text.lexical import terms  # noqa: E402
from assistant.text.sentences import split_sentences  # noqa: E402
from assistant.text.synonyms import SynonymMatcher  # noqa: E402
from assistant.text.syntax import Parse  # noqa: E402

FIRST = PhraseChooser(tuple(1.0 if n == "first" else 0.0 for n in FEATURES), {})


@dataclass(frozen=True)
class Sentence:
    """One question's answering sentence: each typed phrase's measures and whether it
    holds the answer."""

    rows: tuple[tuple[float, ...], ...]
    right: tuple[bool, ...]
    source: str


@dataclass(frozen=True)
class Asked:
    question: str
    sentence: str
    answers: tuple[str, ...]
    source: str


def squad_asked(held: set[str]) -> list[Asked]:
    """Each answerable SQuAD question with the sentence of its paragraph that holds its
    answer; by article, training or held out."""
    asked = []
    for article in json.loads(SQUAD.read_text(encoding="utf-8"))["data"]:
        source = "squad-held-out" if article["title"].replace("_", " ") in held \
            else "squad-train"
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = split_sentences(context)
            for q in paragraph["qas"]:
                if q["is_impossible"] or not q["answers"]:
                    continue
                at = q["answers"][0]["answer_start"]
                span = next((s for s in spans if s.start <= at < s.end), None)
                if span is not None:
                    asked.append(Asked(q["question"], context[span.start:span.end],
                                       tuple(a["text"] for a in q["answers"]), source))
    return asked


def wikinews_asked() -> list[Asked]:
    """The Wikinews dev split's single-part answerable cases with their first evidence
    sentence."""
    return [Asked(c.question, c.evidence[0], c.answers, "wikinews-dev")
            for c in load_golden(WIKINEWS / "golden-dev.jsonl")
            if c.answerable and c.evidence and not c.parts and not c.history]


def holds(phrase: str, answers: tuple[str, ...]) -> bool:
    """Whether the phrase holds an answer, or is part of one, as whole words."""
    text = f" {normalize(phrase)} "
    return text.strip() != "" and any(
        (a := f" {normalize(x)} ").strip() and (a in text or text in a) for x in answers)


@dataclass(frozen=True)
class Typed:
    """One question's answering sentence as the answerer reads it: the kind asked, the
    sentence's phrases of that kind, and which of them hold the answer."""

    asked: Asked
    kind: str
    parse: Parse
    phrases: tuple[Found, ...]
    right: tuple[bool, ...]


def typed(asked: list[Asked], kinds: QuestionKinds, scorer: SupportScorer) -> list[Typed]:
    """Each question's answering sentence with the phrases the answerer would choose among:
    those of the asked kind, counts only of the thing counted (``SupportScorer.answering``).
    A question the noun does not type is typed by the answering sentence's use of it (the
    answerer reads all the retrieved sentences)."""
    with SpacyTagger(worker=False) as tagger:
        texts = list(dict.fromkeys(a.sentence for a in asked))
        parses = {t: Parse(t, tagged.tokens, tagged.entities)
                  for t, tagged in zip(texts, tagger.tag(texts), strict=True)}
    found = []
    for a in asked:
        parse = parses[a.sentence]
        kind = kinds.kind(a.question)
        noun = asked_noun(a.question)
        if kind == QuestionKind.OTHER and noun:
            kind = noun_kind(noun, [parse])
        if kind == QuestionKind.OTHER:
            continue  # no typed phrase is chosen for an open question
        phrases = tuple(scorer.answering(kind, parse, a.question, set(terms(a.question)),
                                         kinds.wants_amount(a.question)))
        right = tuple(holds(p.text, a.answers) for p in phrases)
        if any(right):
            found.append(Typed(a, kind.value, parse, phrases, right))
    return found


def typical_types(found: list[Typed]) -> dict[str, dict[str, float]]:
    """For each kind of question, the share of its answering phrases of each entity type."""
    counts: dict[str, Counter[str]] = {}
    for t in found:
        counts.setdefault(t.kind, Counter()).update(
            p.label for p, ok in zip(t.phrases, t.right, strict=True) if ok)
    return {kind: {label: round(n / sum(c.values()), 4) for label, n in c.most_common()}
            for kind, c in sorted(counts.items())}


def sentences(found: list[Typed], typical: dict[str, dict[str, float]]) -> list[Sentence]:
    """The sentences with a choice to make: several phrases, not all of them answering."""
    return [Sentence(tuple(features(t.parse, t.phrases, Wanted.of(t.asked.question), t.kind,
                                    typical)), t.right, t.asked.source)
            for t in found if len(t.phrases) > 1 and not all(t.right)]


def fit(found: list[Sentence], typical: dict[str, dict[str, float]], seed: int
        ) -> PhraseChooser:
    """Pairwise logistic regression, as the sentence chooser's (``train_chooser``)."""
    return PhraseChooser(pairwise_weights(((s.rows, s.right) for s in found), seed), typical)


def top1(chooser: PhraseChooser, found: list[Sentence]) -> float | None:
    """The share of sentences whose best-scoring phrase holds the answer."""
    hits = 0
    for s in found:
        scores = [sum(c * v for c, v in zip(chooser.coefficients, row, strict=True))
                  for row in s.rows]
        hits += s.right[max(range(len(scores)), key=lambda i: (scores[i], -i))]
    return share(hits, len(found))


def main() -> None:
    args = arguments(__doc__.splitlines()[0], PHRASE_CHOOSER_FILE)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="train-phrases-") as tmp:
        # The same held-out articles as the other training scripts.
        held, sampled = split_squad(args.squad_dir or Path(tmp), random.Random(args.seed),
                                    args.held_out_articles, args.squad_questions,
                                    args.held_out_questions)
    embedder = build_embedder(Settings(), queries=True)
    embedder.warm_up()
    word_vectors = WordVectors(embedder)
    kinds = QuestionKinds(NounKinds.load(), word_vectors)
    scorer = SupportScorer(lambda term: 1.0, SynonymMatcher(word_vectors))
    rng = random.Random(args.seed)
    squad = squad_asked(held)
    sizes = {"squad-train": args.squad_questions, "squad-held-out": args.held_out_questions}
    chosen = {source: rng.sample(pool, min(size, len(pool))) for source, size in sizes.items()
              if (pool := [a for a in squad if a.source == source])}
    read = typed([a for source in sizes for a in chosen.get(source, [])] + wikinews_asked(),
                 kinds, scorer)
    typical = typical_types([t for t in read if t.asked.source in TRAIN_SOURCES])
    found = sentences(read, typical)
    train = [s for s in found if s.source in TRAIN_SOURCES]
    chooser = fit(train, typical, args.seed)
    record = data_record(held, sampled)
    record["squad"].update({f"{k.split('-', 1)[1].replace('-', '_')}_questions": len(v)
                            for k, v in chosen.items()})
    write_result(args.out, {
        "what": "ranks the typed phrases of a sentence: score = coefficients · features, "
                "fitted by pairwise logistic regression (answering minus other phrase)",
        "features": list(FEATURES),
        "coefficients": list(chooser.coefficients),
        "typical": typical,
        "data": {**record, "sentences": len(train)},
        "seed": args.seed,
        "licence": "CC BY-SA 4.0 (derived from SQuAD 2.0)",
        "measured": {source: {"fitted_on": source in TRAIN_SOURCES,
                              "sentences": sum(s.source == source for s in found),
                              "top1": top1(chooser, [s for s in found if s.source == source]),
                              "top1_first_phrase": top1(FIRST, [s for s in found
                                                                if s.source == source])}
                     for source in SOURCES},
        "seconds": round(time.perf_counter() - started, 1),
    }, ("coefficients", "measured", "seconds"))


if __name__ == "__main__":
    main()
