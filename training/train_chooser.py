"""Fit the extractive answerer's sentence chooser: which retrieved sentence to quote.

The assistant answers SQuAD 2.0 questions (over an index of their Wikipedia articles) and the
Wikinews dev split (over the Wikinews corpus). Each time the answerer ranks its candidate
sentences, the measures of every candidate (``Choice``) are recorded with whether the sentence
answers: for SQuAD, it holds an acceptable answer; for Wikinews, it is an evidence sentence of
the case. Questions with both kinds of candidate give pairs (one answering sentence, one not);
a logistic regression without intercept on the pairs' differences, each question weighing the
same, gives the weights of a linear score that ranks answering sentences first (the pairwise
form of learning to rank). SQuAD articles held out from training report top-1 accuracy beside
the support score the answerer ranked by before; the Wikinews test split is never read.

Seeded; a few minutes on two cores. Writes ``assistant/answer/extractive/chooser.json`` and
prints a JSON summary. Usage: ``python training/train_chooser.py [--squad-questions N]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_confidence import (  # noqa: E402
    SOURCES,
    TRAIN_SOURCES,
    WIKINEWS,
    arguments,
    data_record,
    record,
    share,
    write_result,
)

from assistant.answer.extractive.chooser import (  # noqa: E402
    CHOOSER_FILE,
    Choice,
    SentenceChooser,
)
from assistant.app import Assistant, run_ingest  # noqa: E402
from assistant.quality.golden import load_golden  # noqa: E402
from assistant.quality.metrics import contains_answer, normalize  # noqa: E402
from assistant.settings import Settings  # noqa: E402

# What the answerer ranked by before the chooser was fitted: the support score alone.
BY_SUPPORT = SentenceChooser(tuple(1.0 if n == "support" else 0.0 for n in Choice.names()))


@dataclass(frozen=True)
class Ranking:
    """One ranking the answerer made: each candidate's measures and whether it answers."""

    texts: tuple[str, ...]
    choices: tuple[tuple[float, ...], ...]
    right: tuple[bool, ...]
    source: str  # "squad-train", "squad-held-out" or "wikinews-dev"


class RecordingChooser:
    """Ranks as ``chooser`` does and keeps every ranking's candidates and measures."""

    def __init__(self, chooser: SentenceChooser) -> None:
        self.chooser = chooser
        self.calls: list[tuple[list[str], list[Choice]]] = []

    def rank(self, candidates, choices):
        self.calls.append(([c.text for c in candidates], list(choices)))
        return self.chooser.rank(candidates, choices)

    def take(self, answers: list[str], evidence: list[str], source: str) -> list[Ranking]:
        """The rankings since the last call, labelled: by ``evidence`` sentences when given,
        else by holding one of ``answers``."""
        calls, self.calls = self.calls, []
        wanted = [normalize(e) for e in evidence]
        rankings = []
        for texts, choices in calls:
            if wanted:
                right = tuple(any(w in normalize(t) or (len(t) > 20 and normalize(t) in w)
                                  for w in wanted) for t in texts)
            else:
                right = tuple(contains_answer(answers, [t]) for t in texts)
            rankings.append(Ranking(tuple(texts), tuple(c.values() for c in choices), right,
                                    source))
        return rankings


def recorded(settings: Settings, embedders) -> tuple[Assistant, RecordingChooser]:
    """The assistant over ``settings``' corpus (indexed first), ranking by support alone and
    recording; ``embedders``: the ingest one and the query one, as the product uses them."""
    run_ingest(settings, embedders[0])
    recorder = RecordingChooser(BY_SUPPORT)
    assistant = Assistant.open(settings=settings, embedder=embedders[1], chooser=recorder)
    return assistant, recorder


def squad_rankings(work: Path, embedders, per_source: dict[str, list[dict]]) -> list[Ranking]:
    settings = Settings(corpus_dir=work / "squad", index_dir=work / "squad-index")
    assistant, recorder = recorded(settings, embedders)
    rankings = []
    for source, questions in per_source.items():
        for q in questions:
            assistant.ask(q["question"])
            rankings += recorder.take([a["text"] for a in q["answers"]], [], source)
    return rankings


def wikinews_rankings(index_dir: Path, embedders) -> list[Ranking]:
    settings = Settings(corpus_dir=WIKINEWS / "articles", index_dir=index_dir)
    assistant, recorder = recorded(settings, embedders)
    rankings = []
    for case in load_golden(WIKINEWS / "golden-dev.jsonl"):
        if not case.answerable:
            recorder.take([], [], "wikinews-dev")
            continue
        assistant.ask(case.question, list(case.history))
        rankings += recorder.take(list(case.answers), list(case.evidence), "wikinews-dev")
    return rankings


def fit(rankings: list[Ranking], seed: int) -> SentenceChooser:
    return SentenceChooser(pairwise_weights(((r.choices, r.right) for r in rankings), seed))


def pairwise_weights(groups: Iterable[tuple[Sequence[Sequence[float]], Sequence[bool]]],
                     seed: int) -> tuple[float, ...]:
    """Pairwise logistic regression: each (answering, not answering) pair of one group (the
    candidates of one ranking, each a row of measures, and whether each answers) is one row of
    their difference, in both orders; a group's pairs share a weight of one."""
    from sklearn.linear_model import LogisticRegression

    rows, labels, weights = [], [], []
    for measures, right in groups:
        good = [m for m, r in zip(measures, right, strict=True) if r]
        bad = [m for m, r in zip(measures, right, strict=True) if not r]
        if not good or not bad:
            continue
        weight = 1.0 / (len(good) * len(bad))
        for g in good:
            for b in bad:
                difference = [x - y for x, y in zip(g, b, strict=True)]
                rows += [difference, [-d for d in difference]]
                labels += [1, 0]
                weights += [weight, weight]
    model = LogisticRegression(C=1.0, fit_intercept=False, max_iter=5000, random_state=seed)
    model.fit(rows, labels, sample_weight=weights)
    return tuple(round(float(c), 6) for c in model.coef_[0])


def top1(chooser: SentenceChooser, rankings: list[Ranking]) -> float | None:
    """The share of rankings (with an answering candidate) whose first candidate answers."""
    scored = [r for r in rankings if any(r.right)]
    hits = 0
    for r in scored:
        scores = [chooser.score(Choice(*c)) for c in r.choices]
        hits += r.right[max(range(len(scores)), key=scores.__getitem__)]
    return share(hits, len(scored))


def main() -> None:
    args = arguments(__doc__.splitlines()[0], CHOOSER_FILE)
    started = time.perf_counter()
    held, sampled, rankings = record(args, "train-chooser-", squad_rankings, wikinews_rankings)
    train = [r for r in rankings if r.source in TRAIN_SOURCES]
    chooser = fit(train, args.seed)
    write_result(args.out, {
        "what": "ranks candidate sentences: score = coefficients · features, fitted by "
                "pairwise logistic regression (answering minus non-answering sentence)",
        "features": list(Choice.names()),
        "coefficients": list(chooser.coefficients),
        "data": {**data_record(held, sampled), "rankings": len(train)},
        "seed": args.seed,
        "licence": "CC BY-SA 4.0 (derived from SQuAD 2.0)",
        "measured": {source: {"rankings": sum(r.source == source and any(r.right)
                                              for r in rankings),
                              "top1": top1(chooser, [r for r in rankings if r.source == source]),
                              "top1_by_support": top1(BY_SUPPORT, [r for r in rankings
                                                                   if r.source == source])}
                     for source in SOURCES},
        "seconds": round(time.perf_counter() - started, 1),
    }, ("coefficients", "measured", "seconds"))


if __name__ == "__main__":
    main()
