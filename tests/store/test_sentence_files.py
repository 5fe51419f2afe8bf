"""Sentence vectors and parses in files per article: written, read back, replaced and
removed."""

from __future__ import annotations

import json

import numpy as np

from assistant.models import Sentence, Span, Token
from assistant.store.sentence_files import SentenceFiles, file_stem
from tests.support import unparsed


def sentences_of(doc_id: str, texts: list[str]) -> list[Sentence]:
    sentences, start = [], 0
    for text in texts:
        sentences.append(Sentence.of(doc_id, text, Span(start, start + len(text))))
        start += len(text) + 1
    return sentences


def vectors(count: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, 384)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_vectors_of_many_articles_round_trip_in_float16(tmp_path):
    files = SentenceFiles(tmp_path / "sentences")
    first = sentences_of("world/2024/korea.txt", ["North Korea denied it.", "Seoul said so."])
    second = sentences_of("records.jsonl#a2", ["A second article."])
    written = vectors(3, seed=1)
    files.write(first + second, written, unparsed(first + second))
    found = files.read([second[0], first[1]])
    assert list(found) == [second[0].sentence_id, first[1].sentence_id]
    assert found[first[1].sentence_id].dtype == np.float32
    assert np.abs(found[first[1].sentence_id] - written[1]).max() < 1e-3
    assert np.abs(found[second[0].sentence_id] - written[2]).max() < 1e-3
    assert files.stems() == {file_stem("world/2024/korea.txt"), file_stem("records.jsonl#a2")}


def test_rewriting_an_article_replaces_all_it_had(tmp_path):
    files = SentenceFiles(tmp_path)
    old = sentences_of("a.txt", ["One.", "Two.", "Three."])
    files.write(old, vectors(3, seed=2), unparsed(old))
    new = sentences_of("a.txt", ["One.", "Two, changed."])
    files.write(new, vectors(2, seed=3), unparsed(new))
    assert set(files.read(old + new)) == {s.sentence_id for s in new}


def test_absent_articles_are_left_out_and_deletes_are_quiet(tmp_path):
    files = SentenceFiles(tmp_path / "not-yet")
    kept, gone = sentences_of("kept.txt", ["Kept."]), sentences_of("gone.txt", ["Gone."])
    assert files.read(kept) == {} and files.stems() == set()
    files.write(kept + gone, vectors(2, seed=4), unparsed(kept + gone))
    files.delete(["gone.txt", "never-stored.txt"])
    assert set(files.read(kept + gone)) == {kept[0].sentence_id}


def test_keep_only_sweeps_other_articles_and_unfinished_writes(tmp_path):
    files = SentenceFiles(tmp_path)
    both = sentences_of("a.txt", ["A."]) + sentences_of("b.txt", ["B."])
    files.write(both, vectors(2, 5), unparsed(both))
    (tmp_path / ".tmp-killed.npy").write_bytes(b"\x93NUMPY")
    (tmp_path / "notes.txt").write_text("not ours")
    files.write(sentences_of("c.txt", ["C."]), vectors(1, 5), [(Token(0, 1, "NNP", "ROOT", 0),)])
    (tmp_path / ".tmp-killed.parse.json").write_text("{")
    files.keep_only({file_stem("b.txt")})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{file_stem('b.txt')}.npy", f"{file_stem('b.txt')}.parse.json", "notes.txt"]
    files.clear()
    assert not tmp_path.exists()


def test_a_damaged_file_is_passed_over_with_one_warning(tmp_path, caplog):
    files = SentenceFiles(tmp_path)
    damaged, kept = sentences_of("damaged.txt", ["Damaged."]), sentences_of("kept.txt", ["K."])
    files.write(damaged + kept, vectors(2, seed=6), unparsed(damaged + kept))
    (tmp_path / f"{file_stem('damaged.txt')}.npy").write_bytes(b"\x93NUMPY cut short")
    assert set(files.read(damaged + kept)) == {kept[0].sentence_id}
    [record] = [r for r in caplog.records if r.name == "assistant.store.sentence_files"]
    assert "unreadable sentence vectors" in record.message and "\n" not in record.message


def test_a_file_of_another_layout_is_passed_over_like_a_damaged_one(tmp_path, caplog):
    files = SentenceFiles(tmp_path)
    other, kept = sentences_of("other.txt", ["Other."]), sentences_of("kept.txt", ["K."])
    files.write(other + kept, vectors(2, seed=7), unparsed(other + kept))
    np.save(tmp_path / f"{file_stem('other.txt')}.npy", np.zeros((1, 384), dtype=np.float32))
    assert set(files.read(other + kept)) == {kept[0].sentence_id}
    [record] = [r for r in caplog.records if r.name == "assistant.store.sentence_files"]
    assert "not sentence ids and vectors" in record.message and "\n" not in record.message


def test_parses_are_kept_per_sentence_beside_the_vectors(tmp_path, caplog):
    files = SentenceFiles(tmp_path)
    korea = sentences_of("korea.txt", ["Seoul said so.", "It left."])
    other = sentences_of("other.txt", ["Other."])
    parses = [(Token(0, 5, "NNP", "nsubj", 1), Token(6, 10, "VBD", "ROOT", 0, "say")),
              (Token(0, 2, "PRP", "nsubj", 1), Token(3, 7, "VBD", "ROOT", 0, "leave")),
              (Token(0, 5, "JJ", "ROOT", 0),)]
    files.write(korea + other, vectors(3, seed=8), parses)
    found = files.read_tokens([korea[1], other[0]])
    assert found == {korea[1].sentence_id: parses[1], other[0].sentence_id: parses[2]}
    for damage in ('{"cut', '["a list"]', json.dumps({other[0].sentence_id: [[1, 2]]})):
        (tmp_path / f"{file_stem('other.txt')}.parse.json").write_text(damage)
        assert files.read_tokens(other + korea[:1]) == {korea[0].sentence_id: parses[0]}
    records = [r for r in caplog.records if r.name == "assistant.store.sentence_files"]
    assert len(records) == 3
    assert all("unreadable sentence parses" in r.message and "\n" not in r.message
               for r in records)
    (tmp_path / f"{file_stem('other.txt')}.parse.json").unlink()
    assert files.stems() == {file_stem("korea.txt")}  # vectors without parses: not stored
    files.delete(["other.txt", "korea.txt"])
    assert list(tmp_path.iterdir()) == []
