"""Citation markers: finding, reading, removing them, and where statements end."""

from __future__ import annotations

import pytest

from assistant.answer.written.reply import split_output
from assistant.text.markers import (
    Marker,
    could_become_markers,
    find_markers,
    marker,
    marker_numbers,
    statement_ends,
    strip_markers,
)
from assistant.text.markers import without_markers as markers


def test_markers_are_read_and_removed():
    assert markers("North Korea denied it [1, 2] [7].") == ("North Korea denied it.", [1, 2, 7])
    assert markers("No markers here.") == ("No markers here.", [])
    assert markers("It did [Passage 2]. [^3]") == ("It did.", [2, 3])
    assert split_output("It did. [Passage 2] Then more [^1].") == ["It did. [Passage 2]",
                                                                   "Then more [^1]."]



@pytest.mark.parametrize(("text", "found"), [
    ("[1]", [Marker(0, 3, (1,))]),
    ("[1, 2]", [Marker(0, 6, (1, 2))]),
    ("[Passage 3]", [Marker(0, 11, (3,))]),
    ("[^4]", [Marker(0, 4, (4,))]),
    ("[passage 1; 2]", [Marker(0, 14, (1, 2))]),
    ("It did [Passage 2]. [^3]", [Marker(7, 18, (2,)), Marker(20, 24, (3,))]),
    ("No markers, and [not one] either.", []),
])
def test_markers_are_found_with_their_numbers_and_offsets(text, found):
    assert find_markers(text) == found
    for one in found:
        assert text[one.start] == "[" and text[one.end - 1] == "]"


def test_marker_numbers_come_once_each_in_order_of_first_appearance():
    assert marker_numbers("a [2] b [1, 2] c [^3] d [1]") == [2, 1, 3]
    assert marker_numbers("No markers here.") == []
    assert marker(3) == "[3]"


def test_stripping_markers_takes_the_spaces_before_them_and_keeps_other_spacing():
    assert strip_markers("It did [1]. Then [2, 3] more  text [^4]") == "It did. Then more  text"
    assert strip_markers("No markers here.") == "No markers here."


def test_removing_markers_also_tidies_the_spacing_and_punctuation():
    assert markers("It  did [1] ,  then [2] stopped [3] .") == ("It did, then stopped.", [1, 2, 3])


@pytest.mark.parametrize(("tail", "could"), [
    ("[", True),
    ("[1", True),
    ("[1, 2", True),
    ("[Pass", True),
    ("[Passage 2]", True),
    (". [1", True),
    ("The", False),
    ("[1] The", False),
])
def test_a_streamed_tail_that_may_still_become_markers(tail, could):
    assert could_become_markers(tail) is could


@pytest.mark.parametrize(("text", "ends"), [
    ("No markers here. None at all.", []),
    ("a [1] b [2]", [5]),
    ("a [1] [2] b [3]", [9]),
    ("a [1][2] b", [8]),
    ("a [1]\nb", [5]),
    ("a [1]", []),
])
def test_a_statement_ends_after_a_run_of_markers_that_whitespace_follows(text, ends):
    assert statement_ends(text) == ends
