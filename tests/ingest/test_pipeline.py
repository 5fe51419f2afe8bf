"""Ingestion against real Chroma, embedded and `chroma run` server alike (one suite, both
backends). The fake embedder records what was embedded, so "nothing re-embedded" is checked."""

from __future__ import annotations

import re
import shutil

import pytest
from filelock import FileLock

from assistant.app import build_store, embedder_name_for
from assistant.ingest.manifest import Manifest, manifest_path
from assistant.ingest.pipeline import IngestBusy, Ingestor, is_stale
from assistant.models import Sentence, Skipped
from assistant.text.tokens import tiktoken_counter
from tests.support import FIXTURES, FakeEmbedder, FakeTagger

MESSY = ["empty.txt", "image_renamed.txt", "latin1_article.txt", "boilerplate.html",
         "broken.json", "records.jsonl", "front_matter.md", "bad_front_matter.md"]


@pytest.fixture(scope="module")
def counter():
    return tiktoken_counter()


@pytest.fixture
def corpus(seed_corpus):
    for name in MESSY:
        shutil.copy(FIXTURES / name, seed_corpus / name)
    return seed_corpus


def ingest(settings, embedder, counter, tagger=None):
    store = build_store(settings, embedder)
    return Ingestor(settings, store, embedder, tagger or FakeTagger(), counter).run(), store


def stored_ids(store) -> set[str]:
    return set(store.chunks.get(include=[])["ids"])


def test_first_ingest_reads_everything_and_skips_bad_input(backend, corpus, fake_embedder,
                                                           counter):
    settings = backend(corpus)
    report, store = ingest(settings, fake_embedder, counter)
    assert report.added == ["000_1c8cb6e4e6d5a0ae.txt", "boilerplate.html", "front_matter.md",
                            "latin1_article.txt", "records.jsonl#a1", "records.jsonl#a2"]
    assert sorted(report.skipped, key=lambda s: s.path) == [
        Skipped("bad_front_matter.md", "front matter is not valid YAML: while parsing a flow "
                                       "sequence"),
        Skipped("broken.json", "invalid JSON at line 1 column 36: Unterminated string starting "
                               "at"),
        Skipped("empty.txt", "empty file"),
        Skipped("image_renamed.txt", "binary file (contains NUL bytes), not text"),
        Skipped("records.jsonl#2", "record has no text field (body, text, content)"),
        Skipped("records.jsonl#3", "invalid JSON: Expecting value"),
    ]
    assert report.chunks_total == store.count() == report.chunks_embedded
    documents = store.chunks.get(include=["documents", "metadatas"])
    seed_text = (corpus / "000_1c8cb6e4e6d5a0ae.txt").read_text(encoding="utf-8")
    for document, metadata in zip(documents["documents"], documents["metadatas"], strict=True):
        assert "Related Posts" not in document and "Mobilizes Citizens" not in document
        assert {"doc_id", "title", "source", "published", "url", "start", "end"} <= set(metadata)
        if metadata["doc_id"] == "000_1c8cb6e4e6d5a0ae.txt":
            assert seed_text[metadata["start"] : metadata["end"]].startswith(document[:40])
            assert metadata["title"].startswith("North Korea Denies")
            assert metadata["url"] == "" and metadata["published"] == ""
    assert store.articles_without_vectors(report.added) == []
    for chunk in store.all_chunks():
        sentences = [Sentence.of(chunk.doc_id, text, span)
                     for span, text in zip(chunk.sentences, chunk.sentence_texts(), strict=True)]
        assert set(store.sentence_vectors(sentences)) == {s.sentence_id for s in sentences}


def test_tags_are_found_once_per_sentence_and_stored_with_each_chunk(backend, corpus,
                                                                     fake_embedder, counter):
    settings = backend(corpus)
    tagger = FakeTagger()
    report, store = ingest(settings, fake_embedder, counter, tagger)
    tagged = [text for batch in tagger.batches for text in batch]
    embedded = [text for batch in fake_embedder.calls for text in batch]
    assert tagged == embedded  # each sentence, in the one pass that embeds it
    seed = [c for c in store.all_chunks() if c.doc_id == "000_1c8cb6e4e6d5a0ae.txt"]
    seed_text = (corpus / "000_1c8cb6e4e6d5a0ae.txt").read_text(encoding="utf-8")
    found = {seed_text[e.start:e.end] for chunk in seed for e in chunk.entities}
    assert "1,500" in found  # in article offsets, read back from the store
    for chunk in seed:
        assert all(e.label == "CARDINAL" and any(e.within(s) for s in chunk.sentences)
                   for e in chunk.entities)
        sentences = [Sentence.of(chunk.doc_id, text, span) for span, text
                     in zip(chunk.sentences, chunk.sentence_texts(), strict=True)]
        parses = store.sentence_tokens(sentences)  # each sentence's words, parsed
        for sentence in sentences:
            assert [sentence.text[t.start:t.end] for t in parses[sentence.sentence_id]] == \
                re.findall(r"\w+", sentence.text)
    tagger.batches.clear()
    ingest(settings, fake_embedder, counter, tagger)
    assert tagger.batches == []  # an unchanged article is not tagged again


def test_unchanged_corpus_embeds_nothing(backend, corpus, fake_embedder, counter):
    settings = backend(corpus)
    first, store = ingest(settings, fake_embedder, counter)
    ids = stored_ids(store)
    fake_embedder.calls.clear()
    again, store = ingest(settings, fake_embedder, counter)
    assert fake_embedder.calls == []
    assert again.added == again.updated == again.removed == []
    assert again.unchanged == sorted(first.added)
    assert stored_ids(store) == ids


def test_edit_replaces_and_delete_removes(backend, corpus, fake_embedder, counter):
    settings = backend(corpus)
    _, store = ingest(settings, fake_embedder, counter)
    before = store.chunks.get(include=[], where={"doc_id": "front_matter.md"})["ids"]
    page = corpus / "front_matter.md"
    page.write_text(page.read_text().replace("nine in the evening", "ten at night"))
    (corpus / "latin1_article.txt").unlink()
    fake_embedder.calls.clear()
    report, store = ingest(settings, fake_embedder, counter)
    assert report.updated == ["front_matter.md"] and report.removed == ["latin1_article.txt"]
    assert all("Library" in text or "library" in text or "petition" in text
               for batch in fake_embedder.calls for text in batch)
    after = store.chunks.get(include=["documents"], where={"doc_id": "front_matter.md"})
    assert not set(before) & set(after["ids"])
    assert any("ten at night" in d for d in after["documents"])
    assert store.chunks.get(include=[], where={"doc_id": "latin1_article.txt"})["ids"] == []
    assert store.articles_without_vectors(["latin1_article.txt", "front_matter.md"]) == [
        "latin1_article.txt"]
    assert report.chunks_total == store.count()


def test_half_written_article_is_redone_without_duplicates(backend, corpus, fake_embedder,
                                                           counter):
    settings = backend(corpus)
    _, store = ingest(settings, fake_embedder, counter)
    clean_ids, clean_count = stored_ids(store), store.count()
    manifest = Manifest(manifest_path(settings), store.fingerprint)
    del manifest.articles["000_1c8cb6e4e6d5a0ae.txt"]  # as if killed before recording it
    manifest.save()
    stray = store.chunks.get(include=["documents", "metadatas", "embeddings"], limit=1)
    store.chunks.upsert(ids=["stray-chunk"], documents=stray["documents"],
                        metadatas=stray["metadatas"], embeddings=stray["embeddings"])
    report, store = ingest(settings, fake_embedder, counter)
    assert report.added == ["000_1c8cb6e4e6d5a0ae.txt"]
    assert stored_ids(store) == clean_ids and store.count() == clean_count


def test_an_article_whose_sentence_vectors_are_lost_is_embedded_again(backend, corpus,
                                                                     fake_embedder, counter):
    settings = backend(corpus)
    _, store = ingest(settings, fake_embedder, counter)
    clean_ids = stored_ids(store)
    store.vectors.delete(["front_matter.md"])
    report, store = ingest(settings, fake_embedder, counter)
    assert report.added == ["front_matter.md"] and stored_ids(store) == clean_ids
    assert store.articles_without_vectors(sorted(report.unchanged + report.added)) == []


def test_changed_chunking_rebuilds(backend, corpus, fake_embedder, counter):
    settings = backend(corpus)
    first, _ = ingest(settings, fake_embedder, counter)
    smaller = settings.model_copy(update={"chunk_size": 64, "chunk_overlap": 8})
    report, store = ingest(smaller, fake_embedder, counter)
    assert report.rebuilt and sorted(report.added) == sorted(first.added)
    assert store.count() == report.chunks_total > first.chunks_total


def test_another_embedding_backend_rebuilds_and_re_embeds_everything(backend, corpus,
                                                                    counter):
    settings = backend(corpus, embedding_backend="torch")
    torch = FakeEmbedder(name=embedder_name_for(settings))
    first, _ = ingest(settings, torch, counter)
    switched = backend(corpus, embedding_backend="onnx-int8")
    int8 = FakeEmbedder(name=embedder_name_for(switched))
    assert is_stale(switched, int8.name) and not is_stale(settings, torch.name)
    report, store = ingest(switched, int8, counter)
    assert report.rebuilt and sorted(report.added) == sorted(first.added)
    assert report.chunks_embedded == report.chunks_total == first.chunks_total
    assert int8.texts_embedded == torch.texts_embedded > 0
    assert store.count() == first.chunks_total and not is_stale(switched, int8.name)


def test_second_ingest_while_one_runs_stops_at_once(backend, corpus, fake_embedder, counter):
    settings = backend(corpus)
    settings.index_dir.mkdir(parents=True)
    with FileLock(str(settings.index_dir / "ingest.lock")):
        with pytest.raises(IngestBusy, match="another ingest is already running"):
            ingest(settings, fake_embedder, counter)
    assert fake_embedder.calls == []


def test_staleness_is_known_without_the_model(make_settings, seed_corpus, fake_embedder,
                                              counter):
    settings = make_settings(seed_corpus)
    assert is_stale(settings, fake_embedder.name)  # no index yet
    ingest(settings, fake_embedder, counter)
    assert not is_stale(settings, fake_embedder.name)
    article = seed_corpus / "000_1c8cb6e4e6d5a0ae.txt"
    article.write_text(article.read_text(encoding="utf-8") + "\n\nA new closing sentence "
                       "was added to the article today.", encoding="utf-8")
    assert is_stale(settings, fake_embedder.name)
    assert is_stale(settings, "another-model")  # a different model means a rebuild


def test_long_runs_show_progress(make_settings, tmp_path, fake_embedder, counter, capsys):
    from benchmarks.synthetic_corpus import write_corpus

    write_corpus(tmp_path / "many", 25)
    settings = make_settings(tmp_path / "many")
    store = build_store(settings, fake_embedder)
    report = Ingestor(settings, store, fake_embedder, FakeTagger(), counter, progress=True).run()
    assert len(report.added) == 25
    assert "ingesting: 100%" in capsys.readouterr().err
