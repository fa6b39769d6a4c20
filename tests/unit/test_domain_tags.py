import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_orch.domain.errors import ValidationFailed
from drs_orch.domain.tags import matches, normalize_selection, select

KEYS = st.text(alphabet=string.ascii_letters + string.digits + "-_:./", min_size=1, max_size=8)
VALUES = st.text(alphabet=string.ascii_letters + string.digits + "-_ ", max_size=8)
TAGS = st.dictionaries(KEYS, VALUES, max_size=6)
PAD = st.text(alphabet=" \t", max_size=3)


def test_normalize_strips_keys_and_values():
    assert normalize_selection({" Env ": "  Prod ", "App": "web"}) == {"Env": "Prod", "App": "web"}


def test_normalize_keeps_key_case():
    assert normalize_selection({"env": "x", "ENV": "y"}) == {"env": "x", "ENV": "y"}


@pytest.mark.parametrize(
    "selection",
    [{}, {"": "x"}, {"   ": "x"}, {"a": "x", " a ": "y"}, {"k" * 129: "v"}, {"k": "v" * 257}, {"k": 1}],
)
def test_normalize_rejects(selection):
    with pytest.raises(ValidationFailed) as err:
        normalize_selection(selection)
    assert err.value.code == "VALIDATION_ERROR"
    assert err.value.details and all({"field", "message"} <= set(d) for d in err.value.details)


def test_normalize_reports_every_problem():
    with pytest.raises(ValidationFailed) as err:
        normalize_selection({"": "a", " ": "b", "ok": "c"})
    assert len(err.value.details) == 2


def test_normalize_rejects_non_mapping():
    with pytest.raises(ValidationFailed):
        normalize_selection(["Env"])  # type: ignore[arg-type]


def test_matches_value_case_and_whitespace_insensitive():
    assert matches({"Env": "PROD", "App": "web"}, {"Env": " prod "})


def test_matches_key_is_case_sensitive():
    assert not matches({"env": "prod"}, {"Env": "prod"})


def test_matches_requires_every_pair():
    assert not matches({"Env": "prod"}, {"Env": "prod", "App": "web"})


def test_matches_empty_value():
    assert matches({"Env": ""}, {"Env": "  "})
    assert not matches({"Env": "x"}, {"Env": ""})


def test_empty_selection_matches_nothing():
    assert not matches({"Env": "prod"}, {})


def test_select_keeps_input_order():
    servers = [("s3", {"Env": "prod"}), ("s1", {"Env": "dev"}), ("s2", {"Env": "Prod "})]
    assert [s for s, _ in select(servers, {"Env": "prod"}, lambda s: s[1])] == ["s3", "s2"]


def _recase(value: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if f else c.lower() for c, f in zip(value, flips + [False] * len(value), strict=False)
    )


@settings(max_examples=200, deadline=None)
@given(TAGS.filter(bool), st.data())
def test_value_case_and_whitespace_invariance(tags, data):
    keys = data.draw(st.lists(st.sampled_from(sorted(tags)), min_size=1, unique=True))
    selection = {}
    for key in keys:
        flips = data.draw(st.lists(st.booleans(), max_size=len(tags[key])))
        selection[key] = data.draw(PAD) + _recase(tags[key], flips) + data.draw(PAD)
    assert matches(tags, selection)
    padded_server = {k: data.draw(PAD) + v.swapcase() + data.draw(PAD) for k, v in tags.items()}
    assert matches(padded_server, selection)


@settings(max_examples=200, deadline=None)
@given(TAGS.filter(bool), st.data())
def test_key_exactness(tags, data):
    key = data.draw(st.sampled_from(sorted(tags)))
    other = key.swapcase()
    selection = {other: tags[key]}
    assert matches(tags, selection) == (other in tags and matches({other: tags[other]}, selection))


@settings(max_examples=200, deadline=None)
@given(TAGS, st.dictionaries(KEYS, VALUES, min_size=1, max_size=4))
def test_and_semantics(tags, selection):
    assert matches(tags, selection) == all(matches(tags, {k: v}) for k, v in selection.items())


@settings(max_examples=100, deadline=None)
@given(st.lists(TAGS, max_size=8), st.dictionaries(KEYS, VALUES, max_size=3))
def test_select_is_filter_of_matches(servers, selection):
    assert select(servers, selection, lambda t: t) == [t for t in servers if matches(t, selection)]
