"""Fit the noun-kind model: what kind of answer "what/which NOUN …" wants, from the noun.

Each answerable SQuAD 2.0 question, and each answerable Wikinews dev question, of the form
"what/which NOUN …" (a question word that does not name the kind itself, with the noun it
determines) is labelled by the NLP pipeline's type for its answer in the text: the entity
that covers the answer span (PERSON, ORG or NORP → who; DATE or TIME → duration when it counts
units of time such as "three years", else date when it holds a number such as "1981" or
"March 24", else when; GPE, LOC or FAC → where; CARDINAL or QUANTITY → how_many; MONEY or
PERCENT → amount), or other when no entity covers it. A question asking "how" of a degree
("how old", "how far") gives a row of its adjective, labelled the same way among the
measures (a time is a duration there: "27" for "how old"). A multinomial logistic regression
over the word's vector (the product's embedder, as the assistant embeds single words) learns
the label; its regularisation is chosen by cross-validation on the training rows. SQuAD
articles held out from training (the same ones ``train_confidence.py`` holds out for the same
seed) report accuracy beside always answering the most frequent label. The Wikinews test
split is never read.

Seeded; about two minutes on two cores. Writes ``assistant/answer/extractive/noun_kinds.json``
and prints a JSON summary. Usage: ``python training/train_noun_kinds.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from assistant.answer.extractive.kinds import (  # noqa: E402
    AMOUNT,
    KINDS_FILE,
    MEASURES,
    NounKinds,
    QuestionKind,
    asked_noun,
    degree,
    named_kind,
)
from assistant.app import build_embedder  # noqa: E402
from assistant.ingest.tagging import SpacyTagger  # noqa: E402
from assistant.models import Tagged  # noqa: E402
from assistant.quality.golden import load_golden  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store.embedding import WordVectors  # noqa: E402
from assistant.text.syntax import parse_question, tags_within  # noqa: E402

SQUAD = ROOT / "training" / "data" / "squad2" / "dev-v2.0-half.json"
DEV = ROOT / "evals" / "corpora" / "wikinews" / "golden-dev.jsonl"
_LABELS = {"PERSON": QuestionKind.WHO, "ORG": QuestionKind.WHO, "NORP": QuestionKind.WHO,
           "DATE": QuestionKind.WHEN, "TIME": QuestionKind.WHEN,
           "GPE": QuestionKind.WHERE, "LOC": QuestionKind.WHERE, "FAC": QuestionKind.WHERE,
           "CARDINAL": QuestionKind.HOW_MANY, "QUANTITY": QuestionKind.HOW_MANY,
           "MONEY": AMOUNT, "PERCENT": AMOUNT}
# A time that answers a degree is a length of time: "27" (typed a date: a number, no units)
# for "how old".
_AS_MEASURE = {QuestionKind.DATE.value: QuestionKind.DURATION.value,
               QuestionKind.WHEN.value: QuestionKind.DURATION.value}
_COVER = 0.5  # the entity must cover at least this share of the answer, and the answer of it


def label(tagged: Tagged, start: int, end: int) -> str:
    """The answer type of the span ``[start, end)``: its entity's, or other."""
    best, overlap = None, 0
    for entity in tagged.entities:
        shared = min(end, entity.end) - max(start, entity.start)
        if shared > overlap:
            best, overlap = entity, shared
    if best is None or overlap < _COVER * (end - start) or \
            overlap < _COVER * (best.end - best.start):
        return QuestionKind.OTHER.value
    if best.label in ("DATE", "TIME"):
        if best.counted:
            return QuestionKind.DURATION.value  # "three years": a count of units of time
        if "CD" in tags_within(tagged.tokens, best.start, best.end):
            return QuestionKind.DATE.value  # "1981", "March 24"
    return str(_LABELS.get(best.label, QuestionKind.OTHER))


def squad_rows(tagger: SpacyTagger, held_out: int, seed: int, limit: int | None = None
               ) -> tuple[list, list, list[str]]:
    """(question, label) rows of the training and the held-out SQuAD articles, and the
    held-out titles; ``limit``: label the questions of that many paragraphs only (sampled,
    for a quick run)."""
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    held = {data[i]["title"].replace("_", " ") for i in order[:held_out]}
    paragraphs = [(a["title"].replace("_", " "), p) for a in data for p in a["paragraphs"]
                  if any(not q["is_impossible"] for q in p["qas"])]
    if limit is not None:
        paragraphs = random.Random(seed).sample(paragraphs, min(limit, len(paragraphs)))
    tags = tagger.tag([p["context"] for _, p in paragraphs])
    train, test = [], []
    for (title, paragraph), tagged in zip(paragraphs, tags, strict=True):
        for q in paragraph["qas"]:
            if q["is_impossible"]:
                continue
            answer = q["answers"][0]
            start = answer["answer_start"]
            row = (q["question"], label(tagged, start, start + len(answer["text"])))
            (test if title in held else train).append(row)
    return train, test, sorted(held)


def dev_rows(tagger: SpacyTagger) -> list[tuple[str, str]]:
    """(question, label) of the Wikinews dev questions whose answer is in their evidence."""
    found = []
    for case in load_golden(DEV):
        if not case.answerable or case.parts or not case.evidence:
            continue
        sentence = case.evidence[0]
        lowered = sentence.lower()
        at = next(((lowered.index(a.lower()), a) for a in case.answers
                   if a.lower() in lowered), None)
        if at is not None:
            found.append((case.question, sentence, at[0], at[0] + len(at[1])))
    tags = tagger.tag([sentence for _, sentence, _, _ in found])
    return [(question, label(tagged, start, end))
            for (question, _, start, end), tagged in zip(found, tags, strict=True)]


def noun_rows(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(noun, label) of the questions that ask "what/which NOUN …" and whose question word
    does not name the kind; (adjective, label) of those asking a degree and answered by a
    measure."""
    found = []
    for question, kind in rows:
        parse = parse_question(question)
        if (adjective := degree(parse)) is not None:
            kind = _AS_MEASURE.get(kind, kind)
            if kind in MEASURES:
                found.append((adjective, kind))
        elif (noun := asked_noun(question)) and named_kind(parse) is None:
            found.append((noun, kind))
    return found


def fit(rows: list[tuple[str, str]], word_vectors: WordVectors, seed: int
        ) -> tuple[NounKinds, float]:
    from sklearn.linear_model import LogisticRegressionCV

    model = LogisticRegressionCV(Cs=8, cv=5, max_iter=3000, random_state=seed)
    model.fit(word_vectors([n for n, _ in rows]), [k for _, k in rows])
    return NounKinds(tuple(str(c) for c in model.classes_),
                     np.round(model.coef_, 5).astype(np.float32),
                     np.round(model.intercept_, 5).astype(np.float32)), float(model.C_[0])


def accuracy(model: NounKinds, rows: list[tuple[str, str]], word_vectors: WordVectors,
             majority: str) -> dict:
    vectors = word_vectors([n for n, _ in rows])
    predicted = [model.predict(v) for v in vectors]
    right = Counter(k for (_, k), p in zip(rows, predicted, strict=True) if k == p)
    total = Counter(k for _, k in rows)
    return {"questions": len(rows),
            "accuracy": round(sum(right.values()) / len(rows), 3) if rows else None,
            "most_frequent_label_accuracy": round(total[majority] / len(rows), 3)
            if rows else None,
            "recall_by_kind": {k: round(right[k] / n, 3) for k, n in sorted(total.items())}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out-articles", type=int, default=4)
    parser.add_argument("--paragraphs", type=int,
                        help="label the questions of this many SQuAD paragraphs only (a quick "
                             "run); default: all")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=KINDS_FILE)
    args = parser.parse_args()
    started = time.perf_counter()
    tagger = SpacyTagger(worker=False)
    squad_train, squad_held, held = squad_rows(tagger, args.held_out_articles, args.seed,
                                               args.paragraphs)
    train, held_out, dev = (noun_rows(rows) for rows in (squad_train, squad_held,
                                                          dev_rows(tagger)))
    embedder = build_embedder(Settings(), queries=True)  # as the assistant embeds words
    embedder.warm_up()
    word_vectors = WordVectors(embedder)
    model, c = fit(train + dev, word_vectors, args.seed)
    majority = Counter(k for _, k in train + dev).most_common(1)[0][0]
    result = {
        "what": "the answer type \"what/which NOUN\" wants: multinomial logistic regression "
                "over the noun's word vector",
        "classes": list(model.classes),
        "intercepts": [float(b) for b in model.intercepts],
        "coefficients": [[float(w) for w in row] for row in model.coefficients],
        "regularisation_c": c,
        "word_vectors": f"the assistant's query embedder ({Settings().embedding_backend})",
        "data": {
            "squad": {"file": str(SQUAD.relative_to(ROOT)),
                      "sha256": hashlib.sha256(SQUAD.read_bytes()).hexdigest(),
                      "licence": "CC BY-SA 4.0", "held_out_articles": held,
                      "train_questions": len(train), "held_out_questions": len(held_out)},
            "wikinews_dev": {"file": str(DEV.relative_to(ROOT)),
                             "sha256": hashlib.sha256(DEV.read_bytes()).hexdigest(),
                             "licence": "CC BY 2.5", "questions": len(dev)},
            "labels": dict(Counter(k for _, k in train + dev)),
        },
        "seed": args.seed,
        "licence": "CC BY-SA 4.0 (derived from SQuAD 2.0)",
        "measured": {"squad-train": accuracy(model, train, word_vectors, majority),
                     "squad-held-out": accuracy(model, held_out, word_vectors, majority),
                     "wikinews-dev": accuracy(model, dev, word_vectors, majority)},
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.out.write_text(json.dumps(result) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("regularisation_c", "measured", "seconds")}))


if __name__ == "__main__":
    main()
