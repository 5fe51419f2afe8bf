"""A corpus of any number of chunks, built from the Wikinews dev split's real paragraphs.

The dev articles' prose paragraphs are dealt out, shuffled with a fixed seed, into generated
articles of ``PARAGRAPHS_PER_ARTICLE`` paragraphs each, until chunking them (the ingest's own
sentence splitting and chunking, with the given settings) yields the number of chunks asked
for. Every chunk is new text (new ids, new vectors) in the vocabulary of real news prose.
Generated at benchmark time; never committed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.chunking import article_sentences, chunk_article
from assistant.ingest.loaders import load_file
from assistant.settings import Settings, bundled
from assistant.text.cleaning import prose_spans
from assistant.text.tokens import tiktoken_counter

WIKINEWS = bundled("evals") / "corpora" / "wikinews"
PARAGRAPHS_PER_ARTICLE = 30


@dataclass(frozen=True)
class GeneratedCorpus:
    articles: int
    chunks: int
    source_articles: int
    source_paragraphs: int
    seed: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def dev_paragraphs(wikinews: Path = WIKINEWS) -> tuple[int, list[str]]:
    """The prose paragraphs of the dev split's articles, in a fixed order."""
    names = json.loads((wikinews / "splits.json").read_text(encoding="utf-8"))["dev"]
    folder = wikinews / "articles"
    paragraphs = []
    for name in names:
        loaded = load_file(folder / f"{name}.md", folder, 5_000_000)
        for article in loaded.articles:
            paragraphs += [article.text[s.start:s.end] for s in prose_spans(article.text)]
    return len(names), paragraphs


def write_corpus(target: Path, chunks: int, settings: Settings, seed: int = 13
                 ) -> GeneratedCorpus:
    """Write generated articles into ``target`` until they make ``chunks`` chunks (the last
    article may go a few chunks over)."""
    articles, paragraphs = dev_paragraphs()
    count_tokens = tiktoken_counter()
    shuffler = random.Random(seed)
    deck: list[str] = []
    target.mkdir(parents=True, exist_ok=True)
    written = made = 0
    while made < chunks:
        picked = []
        while len(picked) < PARAGRAPHS_PER_ARTICLE:
            if not deck:
                deck = paragraphs[:]
                shuffler.shuffle(deck)
            picked.append(deck.pop())
        title = f"Generated article {written}"
        path = target / f"generated_{written:06d}.md"
        path.write_text(f"---\ntitle: {title}\nsource: Wikinews (shuffled)\n---\n"
                        + "\n\n".join(picked) + "\n", encoding="utf-8")
        article = load_file(path, target, settings.max_file_bytes).articles[0]
        spans = article_sentences(article, count_tokens, settings.chunk_size)
        made += len(chunk_article(article, spans, count_tokens, settings.chunk_size,
                                  settings.chunk_overlap))
        written += 1
    return GeneratedCorpus(written, made, articles, len(paragraphs), seed)
