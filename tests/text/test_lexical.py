"""Words and stems: the terms every lexical match in the assistant is made on."""

from __future__ import annotations

from assistant.text.lexical import stem, terms


def test_stems_meet_across_inflections():
    assert stem("denied") == stem("denies") == stem("deny")
    assert stem("troops") == stem("troop")
    assert stem("deployment") == stem("deployed") == stem("deploying")
    assert terms("Who denied the deployment?") == ["deny", "deploy"]
    assert terms("approximately 1,500 troops") == ["approximately", "1500", "troop"]
