"""`assistant eval` on the Wikinews development corpus: 239 real articles from many stories,
with a test split (only ever reported) and a dev split, each held to its thresholds file. The
index is built once and shared by both runs."""

from __future__ import annotations

import json

import pytest

from tests.support import PROJECT_ROOT
from tests.test_cli import run

WIKINEWS = PROJECT_ROOT / "evals" / "corpora" / "wikinews"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("wikinews") / "index"


@pytest.fixture(scope="module")
def squad_dir(tmp_path_factory):
    """The SQuAD articles and their index, made by the first training script that runs and
    reused by the next."""
    return tmp_path_factory.mktemp("squad")


def train(script: str, out, index_dir, squad_dir) -> dict:
    """Run a training script on a small sample (the full runs take minutes); its printed
    summary."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "training" / script),
         "--squad-questions", "120", "--held-out-questions", "40", "--out", str(out),
         "--squad-dir", str(squad_dir), "--wikinews-index", str(index_dir)],
        capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("split", ["test", "dev"])
def test_each_split_meets_its_thresholds(split, index_dir, tmp_path):
    golden = WIKINEWS / f"golden-{split}.jsonl"
    done = run("eval", "--corpus", str(WIKINEWS / "articles"), "--index", str(index_dir),
               "--golden", str(golden), "--thresholds", str(WIKINEWS / f"thresholds-{split}.json"),
               "--reports", str(tmp_path / "reports"))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "reports" / "eval.json").read_text())
    assert report["threshold_failures"] == []
    assert report["metrics"]["cases"] == len(golden.read_text().splitlines())
    assert report["metrics"]["citation_validity"] == 1.0


def test_the_splits_are_disjoint_and_each_case_quotes_its_own_split():
    splits = json.loads((WIKINEWS / "splits.json").read_text())
    texts = {p.stem: p.read_text(encoding="utf-8") for p in (WIKINEWS / "articles").glob("*.md")}
    assert set(splits["test"]) | set(splits["dev"]) == set(texts)
    assert not set(splits["test"]) & set(splits["dev"])
    for split in ("test", "dev"):
        own = set(splits[split])
        for line in (WIKINEWS / f"golden-{split}.jsonl").read_text().splitlines():
            case = json.loads(line)
            for sentence in case.get("evidence", []):
                found = {name for name, text in texts.items() if sentence in text}
                assert found & own, (case["id"], sentence[:60])


def test_the_confidence_model_trains_from_the_repository_data(index_dir, squad_dir, tmp_path):
    """It writes a model that loads, with its data recorded and its reliability measured."""
    from assistant.answer.extractive.confidence import ConfidenceModel

    out = tmp_path / "confidence.json"
    printed = train("train_confidence.py", out, index_dir, squad_dir)
    data = json.loads(out.read_text())
    assert data["data"]["squad"]["train_questions"] == 120
    assert data["measured"]["wikinews-dev"]["questions"] >= 150
    assert data["measured"]["squad-held-out"]["reliability"]
    model = ConfidenceModel.load(out)
    assert model.coefficients == tuple(printed["coefficients"])


def test_the_sentence_chooser_trains_from_the_repository_data(index_dir, squad_dir, tmp_path):
    """It writes a chooser that loads, with its data recorded and its top-1 accuracy measured
    beside ranking by support alone, on the SQuAD articles the confidence model used."""
    from assistant.answer.extractive.chooser import SentenceChooser

    out = tmp_path / "chooser.json"
    printed = train("train_chooser.py", out, index_dir, squad_dir)
    data = json.loads(out.read_text())
    assert data["data"]["squad"]["train_questions"] == 120
    dev = data["measured"]["wikinews-dev"]
    assert dev["rankings"] >= 100 and 0 < dev["top1"] <= 1 and 0 < dev["top1_by_support"] <= 1
    assert SentenceChooser.load(out).coefficients == tuple(printed["coefficients"])


def test_the_phrase_chooser_trains_from_the_repository_data(tmp_path):
    """The phrase-chooser training script on a sample of SQuAD questions (the full run takes
    under two minutes): it writes a chooser that loads, with its data, its answer types and
    its top-1 accuracy beside taking the first phrase recorded."""
    import subprocess
    import sys

    from assistant.answer.extractive.picking import PhraseChooser

    out = tmp_path / "phrase_chooser.json"
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "training" / "train_phrases.py"),
         "--squad-questions", "300", "--held-out-questions", "100", "--out", str(out)],
        capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = json.loads(done.stdout)
    data = json.loads(out.read_text())
    assert data["data"]["squad"]["train_questions"] == 300
    assert data["data"]["squad"]["held_out_questions"] == 100
    dev = data["measured"]["wikinews-dev"]
    assert dev["sentences"] > 10 and 0 < dev["top1"] <= 1 and 0 <= dev["top1_first_phrase"] <= 1
    chooser = PhraseChooser.load(out)
    assert chooser.coefficients == tuple(printed["coefficients"])
    assert set(chooser.typical) >= {"who", "where"}


def test_the_noun_kind_model_trains_from_the_repository_data(tmp_path):
    """The noun-kind training script on a sample of SQuAD paragraphs (the full run takes
    two minutes): it writes a model that loads, with its data and its accuracy recorded."""
    import subprocess
    import sys

    from assistant.answer.extractive.kinds import NounKinds

    out = tmp_path / "noun_kinds.json"
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "training" / "train_noun_kinds.py"),
         "--paragraphs", "60", "--out", str(out)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(out.read_text())
    assert 0 < data["data"]["squad"]["train_questions"] < 200
    assert data["data"]["wikinews_dev"]["questions"] > 20
    assert data["measured"]["wikinews-dev"]["accuracy"] is not None
    model = NounKinds.load(out)
    assert model.coefficients.shape == (len(data["classes"]), 384)


def test_a_follow_up_is_answered_from_the_article_the_conversation_is_about(
        index_dir, real_query_embedder):
    """Over 239 articles, "How old is she?" after an answer about Greta Thunberg gives her
    age from that article, not another article's age of someone else."""
    from assistant.app import Assistant
    from assistant.settings import Settings
    from tests.support import MODEL_CACHE

    done = run("ingest", "--corpus", str(WIKINEWS / "articles"), "--index", str(index_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    assistant = Assistant.open(settings=Settings(
        corpus_dir=WIKINEWS / "articles", index_dir=index_dir, model_cache_dir=MODEL_CACHE),
        embedder=real_query_embedder)
    history = [{"role": "user", "content": "Who did Time name as its 2019 Person of the Year?"},
               {"role": "assistant", "content": "On Wednesday, Time magazine announced its "
                "selection of climate change activist Greta Thunberg as their 2019 \"Person "
                "of the Year\". [1]"}]
    answer = assistant.ask("How old is she?", history)
    assert not answer.refused
    assert "sixteen" in answer.answer.split("[1]")[0]
    assert answer.citations[0].doc_id.startswith(
        "2019-12-14-greta-thunberg-named-2019-time-person-of-the-year")
    article = (WIKINEWS / "articles" / answer.citations[0].doc_id).read_text(encoding="utf-8")
    assert answer.citations[0].quote in article
