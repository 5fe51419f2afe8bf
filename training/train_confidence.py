"""Fit the extractive answerer's confidence: the probability that its best sentence answers.

The assistant answers SQuAD 2.0 questions (over an index of their Wikipedia articles) and the
Wikinews dev split (over the Wikinews corpus); for each question the answerer's signals about
its best sentence, and whether that sentence holds an acceptable answer, make one training row
(an unanswerable question's row is never right). A logistic regression on those rows gives the
probability. SQuAD articles held out from training report sentence accuracy and reliability;
the dev split also reports how refusing below each confidence would trade false refusals
against refused unanswerable questions. The Wikinews test split is never read.

Seeded; a few minutes on two cores. Writes ``assistant/answer/extractive/confidence.json`` and
prints a JSON summary. Usage: ``python training/train_confidence.py [--squad-questions N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.extractive.confidence import (  # noqa: E402
    CONFIDENCE_FILE,
    ConfidenceModel,
    Signals,
)
from assistant.app import Assistant, build_embedder, run_ingest  # noqa: E402
from assistant.models import AnswerMode  # noqa: E402
from assistant.quality.golden import load_golden  # noqa: E402
from assistant.quality.metrics import contains_answer  # noqa: E402
from assistant.settings import Settings  # noqa: E402

SQUAD = ROOT / "training" / "data" / "squad2" / "dev-v2.0-half.json"
WIKINEWS = ROOT / "evals" / "corpora" / "wikinews"
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
SOURCES = ("squad-train", "squad-held-out", "wikinews-dev")  # what is recorded and measured
TRAIN_SOURCES = ("squad-train", "wikinews-dev")  # what is fitted on
UNFITTED = ConfidenceModel(tuple(0.0 for _ in Signals.names()), 0.0)  # the signals are the same


@dataclass(frozen=True)
class Row:
    """One answered question: the signals of its best sentence and whether it was right."""

    signals: tuple[float, ...]
    right: bool
    answerable: bool
    source: str  # "squad-train", "squad-held-out" or "wikinews-dev"


class Recorder:
    """Passes the extractive answerer's drafts on and keeps the last one."""

    def __init__(self, answerer) -> None:
        self.answerer = answerer
        self.draft = None

    def stream(self, question, retrieve):
        for draft in self.answerer.stream(question, retrieve):
            self.draft = draft
            yield draft

    def row(self, answers: list[str], answerable: bool, source: str) -> Row | None:
        """The last question's row; None when no sentence was weighed (no words, no
        passages)."""
        draft, self.draft = self.draft, None
        if draft is None or draft.signals is None:
            return None
        right = answerable and contains_answer(answers, [draft.best_sentence])
        return Row(draft.signals.values(), right, answerable, source)


def squad_articles(folder: Path) -> list[tuple[str, list[dict]]]:
    """Write each SQuAD article as one Markdown file; its questions, by article."""
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    folder.mkdir(parents=True, exist_ok=True)
    articles = []
    for article in data:
        title = article["title"].replace("_", " ")
        body = "\n\n".join(p["context"].strip() for p in article["paragraphs"])
        name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        (folder / f"{name}.md").write_text(f'---\ntitle: "{title}"\n---\n\n{body}\n',
                                           encoding="utf-8")
        questions = [q for p in article["paragraphs"] for q in p["qas"]]
        articles.append((title, questions))
    return articles


def split_squad(work: Path, rng: random.Random, held_out_articles: int, train_questions: int,
                held_out_questions: int) -> tuple[set[str], dict[str, list[dict]]]:
    """Write the SQuAD articles into ``work/squad``; hold some articles out; sample questions
    of the others for training and of the held-out ones for measuring."""
    articles = squad_articles(work / "squad")
    order = list(range(len(articles)))
    rng.shuffle(order)
    held = {articles[i][0] for i in order[:held_out_articles]}
    pool = {"squad-train": [q for t, qs in articles if t not in held for q in qs],
            "squad-held-out": [q for t, qs in articles if t in held for q in qs]}
    sizes = {"squad-train": train_questions, "squad-held-out": held_out_questions}
    return held, {source: rng.sample(questions, min(sizes[source], len(questions)))
                  for source, questions in pool.items()}


def open_recording(settings: Settings, embedders) -> tuple[Assistant, Recorder]:
    """``embedders``: the ingest one and the query one, as the product uses them."""
    run_ingest(settings, embedders[0])
    assistant = Assistant.open(settings=settings, embedder=embedders[1], confidence=UNFITTED)
    recorder = Recorder(assistant.answerers[AnswerMode.EXTRACTIVE])
    assistant.answerers[AnswerMode.EXTRACTIVE] = recorder
    return assistant, recorder


def squad_rows(work: Path, embedders, per_source: dict[str, list[dict]]) -> list[Row]:
    settings = Settings(corpus_dir=work / "squad", index_dir=work / "squad-index")
    assistant, recorder = open_recording(settings, embedders)
    rows = []
    for source, questions in per_source.items():
        for q in questions:
            assistant.ask(q["question"])
            row = recorder.row([a["text"] for a in q["answers"]], not q["is_impossible"],
                               source)
            rows.extend([row] if row else [])
    return rows


def wikinews_rows(index_dir: Path, embedders) -> list[Row]:
    settings = Settings(corpus_dir=WIKINEWS / "articles", index_dir=index_dir)
    assistant, recorder = open_recording(settings, embedders)
    rows = []
    for case in load_golden(WIKINEWS / "golden-dev.jsonl"):
        assistant.ask(case.question, list(case.history))
        answers = [a for part in case.parts for a in part] or list(case.answers)
        row = recorder.row(answers, case.answerable, "wikinews-dev")
        rows.extend([row] if row else [])
    return rows


def fit(rows: list[Row], seed: int) -> ConfidenceModel:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    model.fit([r.signals for r in rows], [r.right for r in rows])
    return ConfidenceModel(tuple(round(float(c), 6) for c in model.coef_[0]),
                           round(float(model.intercept_[0]), 6))


def measures(model: ConfidenceModel, rows: list[Row]) -> dict:
    """Sentence accuracy, a reliability table (predicted confidence against the share right)
    and, for refusing below each of THRESHOLDS, the false refusals and refused unanswerables."""
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    scored = [(model.confidence(Signals(*r.signals)), r) for r in rows]
    bins = []
    for low in (i / 10 for i in range(10)):
        inside = [(p, r) for p, r in scored if low <= p < low + 0.1 or (low >= 0.9 and p == 1.0)]
        if inside:
            bins.append({"from": round(low, 1), "to": round(low + 0.1, 1), "n": len(inside),
                         "mean_confidence": round(sum(p for p, _ in inside) / len(inside), 3),
                         "observed_right": round(sum(r.right for _, r in inside) / len(inside),
                                                 3)})
    below = {t: [r for p, r in scored if p < t] for t in THRESHOLDS}
    return {
        "questions": len(rows),
        "sentence_accuracy": share(sum(r.right for r in answerable), len(answerable)),
        "reliability": bins,
        "refusing_below": [{"confidence": t,
                            "false_refusal_rate": share(sum(r.answerable for r in below[t]),
                                                        len(answerable)),
                            "no_answer_accuracy": share(sum(not r.answerable for r in below[t]),
                                                        len(unanswerable))}
                           for t in THRESHOLDS],
    }


def share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def arguments(description: str, out: Path) -> argparse.Namespace:
    """The command line the training scripts share; ``out``: the default model file."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--squad-questions", type=int, default=2500,
                        help="SQuAD questions sampled from the training articles")
    parser.add_argument("--held-out-questions", type=int, default=800,
                        help="SQuAD questions sampled from the held-out articles")
    parser.add_argument("--held-out-articles", type=int, default=4)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--squad-dir", type=Path,
                        help="folder for the SQuAD articles and their index, reused when it "
                             "holds them (scripts share it); default: a temporary one")
    parser.add_argument("--wikinews-index", type=Path,
                        help="index folder of the Wikinews corpus to use (or build); default: "
                             "a temporary one")
    return parser.parse_args()


def warm_embedders() -> tuple:
    """The ingest embedder and the query one, as the product uses them, loaded."""
    embedders = (build_embedder(Settings()), build_embedder(Settings(), queries=True))
    for embedder in embedders:
        embedder.warm_up()
    return embedders


def record(args: argparse.Namespace, prefix: str, from_squad, from_wikinews
           ) -> tuple[set[str], dict[str, list[dict]], list]:
    """What each training script starts with: the embedders warmed, the SQuAD articles
    written and split (seeded), then ``from_squad(work, embedders, sampled)`` over them and
    ``from_wikinews(index_dir, embedders)`` over the Wikinews corpus, recorded in that order.
    Returns the held-out articles, the sampled questions and the records."""
    rng = random.Random(args.seed)
    embedders = warm_embedders()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        work = args.squad_dir or Path(tmp)
        held, sampled = split_squad(work, rng, args.held_out_articles, args.squad_questions,
                                    args.held_out_questions)
        records = from_squad(work, embedders, sampled) + from_wikinews(
            args.wikinews_index or work / "wikinews-index", embedders)
    return held, sampled, records


def write_result(out: Path, result: dict, printed: tuple[str, ...]) -> None:
    """Write a fitted model's file and print the summary keys ``printed`` as JSON."""
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in printed}))


def data_record(held: set[str], sampled: dict[str, list[dict]]) -> dict:
    """What a fitted model records of the data it came from."""
    return {
        "squad": {"file": str(SQUAD.relative_to(ROOT)), "sha256": _sha256(SQUAD),
                  "licence": "CC BY-SA 4.0", "held_out_articles": sorted(held),
                  "train_questions": len(sampled["squad-train"]),
                  "held_out_questions": len(sampled["squad-held-out"])},
        "wikinews_dev": {"file": "evals/corpora/wikinews/golden-dev.jsonl",
                         "sha256": _sha256(WIKINEWS / "golden-dev.jsonl"),
                         "licence": "CC BY 2.5"},
    }


def main() -> None:
    args = arguments(__doc__.splitlines()[0], CONFIDENCE_FILE)
    started = time.perf_counter()
    held, sampled, rows = record(args, "train-confidence-", squad_rows, wikinews_rows)
    train = [r for r in rows if r.source in TRAIN_SOURCES]
    model = fit(train, args.seed)
    write_result(args.out, {
        "what": "P(the best sentence answers the question): logistic regression over the "
                "answerer's signals",
        "features": list(Signals.names()),
        "coefficients": list(model.coefficients),
        "intercept": model.intercept,
        "data": {**data_record(held, sampled), "rows": len(train)},
        "seed": args.seed,
        "licence": "CC BY-SA 4.0 (derived from SQuAD 2.0)",
        "measured": {source: measures(model, [r for r in rows if r.source == source])
                     for source in SOURCES},
        "seconds": round(time.perf_counter() - started, 1),
    }, ("coefficients", "intercept", "measured", "seconds"))


if __name__ == "__main__":
    main()
