"""`assistant serve` as a user runs it, for the end-to-end tests of the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks import processes
from benchmarks.processes import Served
from tests.support import PROJECT_ROOT
from tests.test_cli import environment

__all__ = ["Served", "serving"]


@contextmanager
def serving(root: Path, corpus: Path, **env: str) -> Iterator[Served]:
    """`assistant serve` over ``corpus`` (index in ``root``) on a free port, until the block
    ends; settings from ``env`` only, never from the environment the tests run in."""
    with processes.serving(environment(ASSISTANT_CORPUS=str(corpus),
                                       ASSISTANT_INDEX=str(root / "index"), **env),
                           root / "serve.log", cwd=PROJECT_ROOT) as served:
        yield served
