"""Reading corpus files into ``Article`` objects.

One function per format, one entry point (``load_file``) that never raises for bad input: it
returns the articles it could read and a ``Skipped`` reason for everything else, so one broken
file never costs the rest of the corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.models import Article, Skipped

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSON_SUFFIXES = frozenset({".json", ".jsonl"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
SIDECAR_SUFFIX = ".meta.yaml"
METADATA_FIELDS = ("title", "source", "author", "published", "url")
BODY_FIELDS = ("body", "text", "content")


class BadInput(Exception):
    """A file or record that cannot be ingested; the message is the one-line reason."""


@dataclass
class LoadResult:
    """Articles read from one file, and the parts of it that were skipped."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def corpus_files(corpus_dir: Path) -> Iterator[Path]:
    """Every file under ``corpus_dir`` in a stable order, hidden files and sidecars excluded."""
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.name.endswith(SIDECAR_SUFFIX):
            continue
        yield path


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name[: -len(path.suffix)] + SIDECAR_SUFFIX)


def load_file(path: Path, corpus_dir: Path, max_bytes: int) -> LoadResult:
    """Read one corpus file; bad input becomes a ``Skipped`` entry, never an exception."""
    relative = path.relative_to(corpus_dir).as_posix()
    result = LoadResult()
    try:
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise BadInput(f"unsupported file type {suffix or '(none)'}")
        size = path.stat().st_size
        if size > max_bytes:
            raise BadInput(f"file is {size} bytes, over the {max_bytes}-byte limit")
        raw = path.read_bytes()
        sidecar = _read_sidecar(path)
        file_hash = _hash(raw, json.dumps(sidecar, sort_keys=True, default=str).encode())
        text = decode_text(raw)
        if suffix in TEXT_SUFFIXES:
            result.articles.append(_text_article(relative, text, sidecar, file_hash))
        elif suffix in HTML_SUFFIXES:
            result.articles.append(_html_article(relative, text, sidecar, file_hash))
        else:
            _json_articles(relative, text, suffix, file_hash, result)
    except BadInput as error:
        result.skipped.append(Skipped(relative, str(error)))
    except OSError as error:
        result.skipped.append(Skipped(relative, f"cannot read file: {error.strerror or error}"))
    return result


def decode_text(raw: bytes) -> str:
    """UTF-8 first, then Windows-1252/Latin-1 for older scrapes; binary data is refused."""
    if not raw.strip():
        raise BadInput("empty file")
    if b"\x00" in raw[:8192]:
        raise BadInput("binary file (contains NUL bytes), not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(2, len(text) // 100):
        raise BadInput("binary file (control characters), not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _hash(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\x00")
    return digest.hexdigest()[:20]


def _read_sidecar(path: Path) -> dict[str, Any]:
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return {}
    try:
        data = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise BadInput(
            f"metadata file {sidecar.name} is not valid YAML: {_first_line(error)}"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput(f"metadata file {sidecar.name} must be a mapping of fields")
    return data


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _metadata(*sources: dict[str, Any]) -> dict[str, str]:
    """Merge metadata, earlier sources winning; missing fields stay empty, never invented."""
    merged: dict[str, str] = {}
    for name in METADATA_FIELDS:
        for source in sources:
            value = source.get(name)
            if value not in (None, ""):
                merged[name] = str(value).strip()
                break
        else:
            merged[name] = ""
    return merged


def _article(doc_id: str, text: str, meta: dict[str, str], content_hash: str) -> Article:
    if not text.strip():
        raise BadInput("no article text")
    return Article(doc_id=doc_id, path=doc_id.split("#")[0], text=text,
                   content_hash=content_hash, **meta)


def _text_article(relative: str, text: str, sidecar: dict[str, Any], file_hash: str) -> Article:
    front, body = split_front_matter(text)
    meta = _metadata(front, sidecar)
    if not meta["title"]:
        meta["title"] = Path(relative).stem
    return _article(relative, body, meta, file_hash)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Separate a leading ``---`` YAML block from the body; the body is returned unchanged."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end == -1:
        raise BadInput("front matter opened with --- but never closed")
    try:
        data = yaml.safe_load(text[4:end])
    except yaml.YAMLError as error:
        raise BadInput(f"front matter is not valid YAML: {_first_line(error)}") from None
    if data is not None and not isinstance(data, dict):
        raise BadInput("front matter must be a mapping of fields")
    body_start = text.find("\n", end + 4)
    return data or {}, text[body_start + 1 :] if body_start != -1 else ""


def _html_article(relative: str, html: str, sidecar: dict[str, Any], file_hash: str) -> Article:
    import trafilatura

    body = trafilatura.extract(html, include_comments=False, include_tables=False,
                               favor_precision=True)
    if not body or not body.strip():
        raise BadInput("no article text found in the HTML")
    # The extractor puts one paragraph per line; blank lines make them separate blocks.
    body = "\n\n".join(line.strip() for line in body.split("\n") if line.strip())
    found = trafilatura.extract_metadata(html)
    page = {}
    if found is not None:
        page = {"title": found.title, "source": found.sitename, "author": found.author,
                "published": found.date, "url": found.url}
    meta = _metadata(sidecar, page)
    if not meta["title"]:
        meta["title"] = Path(relative).stem
    return _article(relative, body, meta, file_hash)


def _json_articles(relative: str, text: str, suffix: str, file_hash: str,
                   result: LoadResult) -> None:
    if suffix == ".jsonl":
        records: Iterable[tuple[str, Any]] = _jsonl_records(relative, text, result)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise BadInput(f"invalid JSON at line {error.lineno} column {error.colno}: "
                           f"{error.msg}") from None
        items = data if isinstance(data, list) else [data]
        records = [(_record_id(relative, item, i) if isinstance(data, list) else relative, item)
                   for i, item in enumerate(items)]
    for doc_id, record in records:
        try:
            result.articles.append(_record_article(doc_id, record, file_hash))
        except BadInput as error:
            result.skipped.append(Skipped(doc_id, str(error)))
    if not result.articles and not result.skipped:
        raise BadInput("no records")


def _jsonl_records(relative: str, text: str, result: LoadResult) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            result.skipped.append(Skipped(f"{relative}#{number}", f"invalid JSON: {error.msg}"))
            continue
        yield _record_id(relative, record, number), record


def _record_id(relative: str, record: Any, position: int) -> str:
    """A record's own ``id`` keeps its identity when records are inserted above it."""
    own = record.get("id") if isinstance(record, dict) else None
    return f"{relative}#{own if own not in (None, '') else position}"


def _record_article(doc_id: str, record: Any, file_hash: str) -> Article:
    if not isinstance(record, dict):
        raise BadInput("record is not a JSON object")
    body = next((record[k] for k in BODY_FIELDS if isinstance(record.get(k), str)), None)
    if body is None:
        raise BadInput(f"record has no text field ({', '.join(BODY_FIELDS)})")
    meta = _metadata(record)
    if not meta["title"]:
        meta["title"] = doc_id
    record_hash = _hash(file_hash.encode(), json.dumps(record, sort_keys=True).encode())
    return _article(doc_id, body.replace("\r\n", "\n"), meta, record_hash)
