"""Fixed texts and templates, loaded by name from the prompts folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


class Prompts:
    """Reads ``<name>.txt`` from one folder and fills ``{placeholders}``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.txt"))

    def render(self, name: str, **values: str) -> str:
        return _read(self.folder / f"{name}.txt").format(**values)


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(f"prompt {path.stem!r} is missing: expected {path}")
    return path.read_text(encoding="utf-8").strip()
