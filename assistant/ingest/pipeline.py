"""Incremental, idempotent, resumable ingestion of a corpus folder into Chroma.

Per article: read → find prose sentences → chunk → embed, find entities and parse → replace its
entries in Chroma → record it in the manifest. The manifest is written after each article,
atomically, so a killed run resumes where it stopped; an article whose entries were
half-written is simply replaced on the next run. A lock file keeps two ingests from running on
one index at once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
from filelock import FileLock, Timeout

from assistant.ingest.chunking import article_sentences, chunk_article, to_sentences
from assistant.ingest.loaders import corpus_files, load_file
from assistant.ingest.manifest import Manifest, ManifestEntry, fingerprint, manifest_path
from assistant.ingest.tagging import SentenceTagger, TagsUnderWay, with_entities
from assistant.models import Article, Chunk, Sentence, Skipped
from assistant.settings import Settings
from assistant.store.chroma import ChromaStore
from assistant.store.embedding import Embedder
from assistant.text.tokens import TokenCounter

GROUP_SENTENCES = 512
Prepared = tuple[Article, list[Chunk], list[Sentence]]


def chunk_vectors(chunks: list[Chunk], sentences: list[Sentence],
                  sentence_vectors: np.ndarray) -> np.ndarray:
    """A chunk's vector is the normalised mean of its sentences' vectors.

    One embedding pass over sentences serves both collections: the answerer needs sentence
    vectors anyway, and on this corpus the mean ranks the right chunk as well as embedding the
    chunk text does, at about half the model time.
    """
    row_of = {(s.start, s.end): i for i, s in enumerate(sentences)}
    vectors = np.stack([sentence_vectors[[row_of[(span.start, span.end)]
                                          for span in chunk.sentences]].mean(axis=0)
                        for chunk in chunks])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _texts(group: list[Prepared]) -> list[str]:
    return [s.text for _, _, sentences in group for s in sentences]


class IngestBusy(Exception):
    """Another ingest holds the index lock."""


@dataclass
class IngestReport:
    """What one ingest did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_total: int = 0
    rebuilt: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        data["skipped"] = [asdict(s) for s in self.skipped]
        return data

    def summary(self) -> str:
        line = (f"added {len(self.added)}, updated {len(self.updated)}, unchanged "
                f"{len(self.unchanged)}, removed {len(self.removed)}, skipped "
                f"{len(self.skipped)}; {self.chunks_embedded} chunks embedded, "
                f"{self.chunks_total} in the index")
        reasons = [f"  skipped {s.path}: {s.reason}" for s in self.skipped]
        return "\n".join([line, *reasons])


def read_corpus(settings: Settings) -> tuple[list[Article], list[Skipped]]:
    """Every readable article of the corpus folder, and the reasons for the rest."""
    if not settings.corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder {settings.corpus_dir} does not exist")
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for path in corpus_files(settings.corpus_dir):
        result = load_file(path, settings.corpus_dir, settings.max_file_bytes)
        articles.extend(result.articles)
        skipped.extend(result.skipped)
    return articles, skipped


def is_stale(settings: Settings, embedder_name: str) -> bool:
    """Whether the corpus differs from what the manifest says is stored (no model needed)."""
    manifest = Manifest(manifest_path(settings), fingerprint(settings, embedder_name))
    if not manifest.articles:
        return True
    articles, _ = read_corpus(settings)
    current = {a.doc_id: a.content_hash for a in articles}
    stored = {doc_id: entry.hash for doc_id, entry in manifest.articles.items()}
    return current != stored


class Ingestor:
    """Brings the Chroma collections in line with the corpus folder."""

    def __init__(self, settings: Settings, store: ChromaStore, embedder: Embedder,
                 tagger: SentenceTagger, count_tokens: TokenCounter,
                 progress: bool = False) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.tagger = tagger
        self.count_tokens = count_tokens
        self.progress = progress

    def run(self) -> IngestReport:
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.settings.index_dir / "ingest.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout as error:
            raise IngestBusy(
                f"another ingest is already running on {self.settings.index_dir}; "
                "wait for it to finish"
            ) from error
        try:
            return self._run_locked()
        finally:
            lock.release()

    def _run_locked(self) -> IngestReport:
        report = IngestReport()
        articles, report.skipped = read_corpus(self.settings)
        manifest = Manifest(manifest_path(self.settings), self.store.fingerprint)
        if self.store.stored_fingerprint() != self.store.fingerprint:
            self.store.reset()
            manifest.articles = {}
            report.rebuilt = True
        self._reconcile(manifest)
        current = {a.doc_id for a in articles}
        removed = sorted(set(manifest.articles) - current)
        if removed:
            self.store.delete_articles(removed)
            for doc_id in removed:
                del manifest.articles[doc_id]
            manifest.save()
            report.removed.extend(removed)
        todo = [a for a in articles if not manifest.holds(a.doc_id, a.content_hash)]
        report.unchanged = sorted(current - {a.doc_id for a in todo})
        for group, tagging in self._tagged_ahead(self._groups(self._progress(todo))):
            self._store_group(group, tagging, manifest, report)
            manifest.save()
        manifest.save()  # also records a rebuild or reconcile that left nothing to embed
        report.chunks_total = manifest.total_chunks()
        return report

    def _tagged_ahead(self, groups: Iterator[list[Prepared]]
                      ) -> Iterator[tuple[list[Prepared], TagsUnderWay]]:
        """Each group with its tagging under way, the next group's asked for too: tagging
        may run beside the embedding (see ``SpacyTagger``), and whichever of the two
        is slower then never waits for the other."""
        following = next(groups, None)
        tagging = self.tagger.submit(_texts(following)) if following is not None else None
        while following is not None:
            group, current = following, tagging
            following = next(groups, None)
            if following is not None:
                tagging = self.tagger.submit(_texts(following))
            yield group, current

    def _store_group(self, group: list[Prepared], tagging: TagsUnderWay,
                     manifest: Manifest, report: IngestReport) -> None:
        """Embed a group's sentences in one call, take their tags, and replace the
        group's articles in Chroma with one delete and one write: per-article writes cost more
        than the model on small articles. The manifest records the articles only once they
        are stored."""
        vectors = self.embedder.embed(_texts(group))
        found = tagging.result()
        self.store.delete_articles([article.doc_id for article, _, _ in group])
        stored: list[tuple[Article, list[Chunk]]] = []
        chunk_rows: list[np.ndarray] = []
        row = 0
        for article, chunks, sentences in group:
            own = vectors[row : row + len(sentences)]
            chunks = with_entities(chunks, sentences, found[row : row + len(sentences)])
            row += len(sentences)
            if not chunks:
                report.skipped.append(Skipped(article.doc_id, "no article prose found"))
                manifest.articles.pop(article.doc_id, None)
                continue
            chunk_rows.append(chunk_vectors(chunks, sentences, own))
            stored.append((article, chunks))
        if stored:
            self.store.put_articles([c for _, chunks in stored for c in chunks],
                                    np.concatenate(chunk_rows),
                                    [s for _, _, sentences in group for s in sentences],
                                    vectors, [tagged.tokens for tagged in found])
        for article, chunks in stored:
            known = article.doc_id in manifest.articles
            manifest.articles[article.doc_id] = ManifestEntry(article.content_hash, len(chunks))
            report.chunks_embedded += len(chunks)
            (report.updated if known else report.added).append(article.doc_id)

    def _reconcile(self, manifest: Manifest) -> None:
        """After an interrupted run, forget articles whose stored entries don't match: chunks
        miscounted or sentence vectors missing; drop what no recorded article owns."""
        unvectored = self.store.articles_without_vectors(sorted(manifest.articles))
        if self.store.count() != manifest.total_chunks() or unvectored:
            counts = self.store.chunk_counts_by_article()
            broken = {doc_id for doc_id, entry in manifest.articles.items()
                      if counts.get(doc_id) != entry.chunks} | set(unvectored)
            for doc_id in broken:
                del manifest.articles[doc_id]
            stray = set(counts) - set(manifest.articles)
            if stray or broken:
                self.store.delete_articles(sorted(stray | broken))
        self.store.keep_vectors_of(sorted(manifest.articles))

    def _prepare(self, article: Article) -> tuple[Article, list[Chunk], list[Sentence]]:
        spans = article_sentences(article, self.count_tokens, self.settings.chunk_size)
        if not spans:
            return article, [], []
        chunks = chunk_article(article, spans, self.count_tokens, self.settings.chunk_size,
                               self.settings.chunk_overlap)
        return article, chunks, to_sentences(article, spans)

    def _groups(self, articles: Iterable[Article]) -> Iterator[list[Prepared]]:
        """Articles in groups of about ``GROUP_SENTENCES`` sentences, embedded in one call so
        the model sees full, length-sorted batches instead of one short tail per article."""
        group: list[Prepared] = []
        size = 0
        for article in articles:
            prepared = self._prepare(article)
            group.append(prepared)
            size += len(prepared[2])
            if size >= GROUP_SENTENCES:
                yield group
                group, size = [], 0
        if group:
            yield group

    def _progress(self, items: list[Article]):
        if not self.progress or len(items) < 20:
            return items
        from tqdm import tqdm

        return tqdm(items, desc="ingesting", unit="article", file=sys.stderr)
