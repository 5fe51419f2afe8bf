"""A generated corpus of any size, built from the seed article's own prose.

Each generated article is the seed's prose paragraphs in a different order, so every chunk is
new text (new ids, new vectors) while the vocabulary stays that of real news prose.
"""

from __future__ import annotations

import random
from pathlib import Path

from assistant.text.cleaning import prose_spans

SEED = Path(__file__).resolve().parent.parent / "corpus" / "000_1c8cb6e4e6d5a0ae.txt"


def write_corpus(target: Path, articles: int, seed_file: Path = SEED) -> list[Path]:
    """Write ``articles`` Markdown files into ``target`` and return their paths."""
    text = seed_file.read_text(encoding="utf-8")
    paragraphs = [text[s.start : s.end] for s in prose_spans(text)]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(articles):
        order = paragraphs[:]
        random.Random(number).shuffle(order)
        body = "\n\n".join(order)
        path = target / f"generated_{number:05d}.md"
        path.write_text(f"---\ntitle: Generated article {number}\n---\n{body}\n",
                        encoding="utf-8")
        written.append(path)
    return written
