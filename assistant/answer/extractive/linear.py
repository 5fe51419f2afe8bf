"""Reading a fitted linear model: named coefficients and an intercept in a JSON file."""

from __future__ import annotations

import json
from pathlib import Path


class ModelFileError(ValueError):
    """A fitted model's file is missing or does not fit the features; the message says
    which, and which script makes it."""


def read_linear(path: Path, what: str, names: tuple[str, ...],
                script: str) -> tuple[tuple[float, ...], float]:
    """The coefficients (in the order of ``names``) and intercept of the ``what`` model at
    ``path``, fitted by ``script`` on exactly those features."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fitted = tuple(data["features"])
        coefficients = tuple(float(c) for c in data["coefficients"])
        intercept = float(data.get("intercept", 0.0))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelFileError(f"cannot read the {what} model {path}: {error}; run {script} "
                             "to make it") from None
    if fitted != names or len(coefficients) != len(names):
        raise ModelFileError(f"{path} was fitted on other signals ({', '.join(fitted)}); run "
                             f"{script} again")
    return coefficients, intercept
