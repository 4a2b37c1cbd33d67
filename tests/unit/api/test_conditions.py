"""If-Match and If-None-Match as RFC 9110 section 13 reads them."""

from __future__ import annotations

import pytest

from pim.api.conditions import entity_tags, if_match_condition, none_match
from pim.errors import StaleVersion


def accepts(header: str | list[str], current: int) -> bool:
    condition = if_match_condition([header] if isinstance(header, str) else header)
    if condition is None:
        return True
    try:
        condition.check("SKU-1", current)
    except StaleVersion:
        return False
    return True


def test_no_if_match_and_star_accept_any_current_version():
    assert if_match_condition([]) is None
    assert if_match_condition(["*"]) is None
    assert accepts(" * ", 12)


def test_the_current_strong_tag_matches():
    assert accepts('"7"', 7)
    assert not accepts('"6"', 7)


def test_a_weak_tag_never_matches_a_write():
    assert not accepts('W/"7"', 7)
    assert not accepts(['W/"7"', '"6"'], 7)


def test_every_tag_of_a_list_is_read():
    assert accepts('"5", "6", "7"', 7)
    assert accepts('"5" ,W/"6",  "7"', 7)
    assert accepts(['"5"', '"7"'], 7)  # two header lines are one list
    assert not accepts('"5", "6"', 7)


def test_strong_comparison_is_character_for_character():
    assert not accepts('"07"', 7)
    assert not accepts('"+7"', 7)
    assert not accepts('"7 "', 7)


def test_an_out_of_range_number_is_stale_not_version_minus_one():
    condition = if_match_condition(['"99999999999999999999"'])
    with pytest.raises(StaleVersion) as refused:
        condition.check("SKU-1", 3)
    assert "version -1" not in refused.value.message
    assert "version 99999999999999999999 is stale (current version is 3)" in refused.value.message


def test_a_refusal_names_the_weak_tag_and_how_to_send_it():
    with pytest.raises(StaleVersion) as refused:
        if_match_condition(['W/"3"']).check("SKU-1", 3)
    message = refused.value.message
    assert message.startswith("SKU-1: no version named is current (current version is 3)")
    assert 'W/"3" matches no version' in message and 'e.g. "3"' in message


def test_a_header_that_is_no_list_of_entity_tags_matches_nothing_and_says_why():
    condition = if_match_condition(["7"])
    assert condition is not None and condition.versions == frozenset()
    assert "'7' is not an entity tag" in condition.note
    assert not accepts('"7", garbage', 7)


def test_commas_inside_quotes_belong_to_the_tag():
    tags = entity_tags(['"a,b", W/"c"'])
    assert [(t.opaque, t.weak) for t in tags] == [("a,b", False), ("c", True)]
    assert entity_tags([" , ,\"1\", "])[0].opaque == "1"


def test_if_none_match_uses_the_weak_comparison():
    assert none_match([], 7)
    assert not none_match(['"7"'], 7)
    assert not none_match(['W/"7"'], 7)
    assert not none_match(['"1", "7"'], 7)
    assert not none_match(["*"], 7)
    assert none_match(['"6"'], 7)
    assert none_match(["not a tag"], 7)  # ignored: answered in full
