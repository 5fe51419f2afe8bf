"""Every corpus format, and every kind of bad input, on real messy files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.ingest.loaders import corpus_files, load_file
from assistant.models import Skipped
from tests.support import FIXTURES, SEED


def load(name: str, max_bytes: int = 1_000_000):
    return load_file(FIXTURES / name, FIXTURES, max_bytes)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.txt", "empty file"),
        ("whitespace.md", "empty file"),
        ("image_renamed.txt", "binary file (contains NUL bytes), not text"),
        ("broken.json", "invalid JSON at line 1 column 36: Unterminated string starting at"),
        ("bad_front_matter.md", "front matter is not valid YAML: while parsing a flow sequence"),
    ],
)
def test_bad_files_are_skipped_with_a_one_line_reason(name, reason):
    result = load(name)
    assert result.articles == []
    assert result.skipped == [Skipped(name, reason)]
    assert "\n" not in result.skipped[0].reason


def test_oversized_file_is_skipped():
    result = load("front_matter.md", max_bytes=100)
    assert result.skipped[0].reason.startswith("file is 436 bytes, over the 100-byte limit")


def test_latin1_text_is_decoded():
    [article] = load("latin1_article.txt").articles
    assert article.text.startswith("Café owners in Montréal")
    assert "crème brûlée" in article.text


def test_html_keeps_the_article_and_drops_the_page_furniture():
    [article] = load("boilerplate.html").articles
    assert article.title == "Harbour Bridge Reopens After Repairs"
    assert article.source == "The Coastal Times"
    assert article.published == "2024-05-14"
    assert article.url == "https://coastal.example/news/harbour-bridge-reopens"
    assert "340 corroded plates" in article.text
    for furniture in ("tracking", "Subscribe now", "cookies", "Ferry timetable", "Copyright"):
        assert furniture not in article.text


def test_front_matter_metadata_and_unchanged_body():
    [article] = load("front_matter.md").articles
    assert (article.title, article.source, article.author, article.published, article.url) == (
        "Library Extends Opening Hours", "Valley Gazette", "Sam Lee", "2024-01-09",
        "https://valley.example/library-hours")
    raw = (FIXTURES / "front_matter.md").read_text(encoding="utf-8")
    assert raw.endswith(article.text)
    assert article.text.startswith("# Library Extends Opening Hours")


def test_jsonl_keeps_good_records_and_names_the_bad_lines():
    result = load("records.jsonl")
    assert [a.doc_id for a in result.articles] == ["records.jsonl#a1", "records.jsonl#a2"]
    assert result.articles[0].source == "Harbour Daily"
    assert result.articles[0].url == ""
    assert result.skipped == [
        Skipped("records.jsonl#2", "record has no text field (body, text, content)"),
        Skipped("records.jsonl#3", "invalid JSON: Expecting value"),
    ]


def test_seed_sidecar_gives_the_title_and_leaves_the_rest_empty(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    shutil.copy(SEED.with_name("000_1c8cb6e4e6d5a0ae.meta.yaml"), corpus)
    assert [p.name for p in corpus_files(corpus)] == [SEED.name]
    [article] = load_file(corpus / SEED.name, corpus, 1_000_000).articles
    assert article.title.startswith("North Korea Denies Sending Troops to Russia")
    assert (article.source, article.author, article.published, article.url) == ("", "", "", "")
    assert article.text == SEED.read_text(encoding="utf-8")


def test_unsupported_and_hidden_files(tmp_path):
    (tmp_path / ".hidden.txt").write_text("A hidden file is never read by the loader at all.")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    assert [p.name for p in corpus_files(tmp_path)] == ["notes.pdf"]
    assert load_file(tmp_path / "notes.pdf", tmp_path, 100).skipped == [
        Skipped("notes.pdf", "unsupported file type .pdf")]


def test_seed_text_in_corpus_is_the_unchanged_scrape():
    import hashlib

    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == Path(
        __file__).with_name("seed.sha256").read_text().split()[0]
