"""The answerer's confidence: the fitted file loads, fits the signals, records its data, and
turns signals into a probability."""

from __future__ import annotations

import json

import pytest

from assistant.answer.extractive.confidence import CONFIDENCE_FILE, ConfidenceModel, Signals
from assistant.answer.extractive.linear import ModelFileError

STRONG = Signals(support=0.8, dense=0.8, lexical=0.9, margin=0.2, missing_names=0.0,
                 names_outside=0.0, predicate_unsaid=0.0, kind_unmet=0.0, no_short_answer=0.0)
WEAK = Signals(support=0.2, dense=0.2, lexical=0.1, margin=0.0, missing_names=1.0,
               names_outside=1.0, predicate_unsaid=1.0, kind_unmet=1.0, no_short_answer=1.0)


def test_the_shipped_model_fits_the_signals_and_records_its_data():
    model = ConfidenceModel.load()
    data = json.loads(CONFIDENCE_FILE.read_text())
    assert tuple(data["features"]) == Signals.names()
    assert data["data"]["squad"]["sha256"] and data["data"]["wikinews_dev"]["sha256"]
    assert data["measured"]["squad-held-out"]["reliability"]
    assert 0 < model.confidence(WEAK) < model.confidence(STRONG) < 1


def test_confidence_is_the_logistic_of_the_weighted_signals():
    model = ConfidenceModel(tuple(1.0 if n == "support" else 0.0 for n in Signals.names()),
                            -0.5)
    assert model.confidence(STRONG) == pytest.approx(1 / (1 + 2.718281828 ** -0.3))
    assert model.confidence(WEAK) == pytest.approx(1 / (1 + 2.718281828 ** 0.3))


def test_a_missing_or_mismatched_file_is_a_one_line_error(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read the confidence model"):
        ConfidenceModel.load(tmp_path / "absent.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"features": ["support"], "coefficients": [1.0],
                                 "intercept": 0.0}))
    with pytest.raises(ModelFileError, match="fitted on other signals"):
        ConfidenceModel.load(other)
