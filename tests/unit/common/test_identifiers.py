"""The table of parameter shapes: each shape's pattern reads the same in Python (what the API
checks) and in JSON Schema (what the OpenAPI document tells clients); prefixes it admits are the
ones the key rules admit; request bodies are bounded in size and depth."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewra.common.errors import BadRequest, InvalidKey, PayloadTooLarge
from viewra.common.http_answers import MAX_BODY_BYTES, MAX_JSON_DEPTH, json_depth, parse_json
from viewra.common.identifiers import PATH_PARAMETERS, PREFIX, bad_path_parameters
from viewra.common.object_keys import validate_key

# by pattern and description: two shapes may share a pattern, and set order differs per process
SHAPES = sorted({*PATH_PARAMETERS.values(), PREFIX}, key=lambda s: (s.pattern, s.description))


def _schema_admits(shape, value: str) -> bool:
    try:
        jsonschema.validate(value, shape.schema())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.description[:30])
@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=80) | st.from_regex(r"[A-Za-z0-9._/%-]{0,70}", fullmatch=True))
def test_a_shape_reads_the_same_in_python_and_in_json_schema(shape, value: str) -> None:
    if value.endswith("\n"):  # Python's $ (jsonschema's) also matches before a final newline
        assert not shape.matches(value)
        return
    assert shape.matches(value) == _schema_admits(shape, value)


@settings(max_examples=300, deadline=None)
@given(value=st.text(st.characters(codec="utf-8"), min_size=1, max_size=60))
def test_a_prefix_the_shape_admits_passes_the_key_rules(value: str) -> None:
    if PREFIX.matches(value):
        validate_key(value, "prefix")  # raises InvalidKey if the shape admitted a bad one


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("movies/", True),
        ("tv/shows", True),
        ("...", True),
        ("Фильмы/", True),
        ("", False),
        (".", False),
        ("a/../b", False),
        ("a/./b", False),
        ("a//b", False),
        ("/abs", False),
        ("a\\b", False),
        ("50%off", False),
        ("a%2F..%2Fb", False),
        ("a\x01b", False),
        ("a\x85b", False),
        ("a" * 257, False),
    ],
)
def test_prefixes(value: str, ok: bool) -> None:
    assert PREFIX.matches(value) is ok


def test_ids_are_bounded_and_anchored() -> None:
    assert bad_path_parameters({"item_id": "a" * 64, "h": "0" * 64}) == []
    assert bad_path_parameters({"item_id": "a" * 65}) == ["item_id"]
    assert bad_path_parameters({"item_id": "abc\n"}) == ["item_id"]
    assert bad_path_parameters({"item_id": ""}) == ["item_id"]
    assert bad_path_parameters({"h": "A" * 64, "nope": "x"}) == ["h", "nope"]


def test_bodies_are_bounded_in_size_and_depth() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_json(b" " * (MAX_BODY_BYTES + 1))
    for depth in (MAX_JSON_DEPTH + 1, 5000, 100_000):
        with pytest.raises(BadRequest) as exc:
            parse_json("[" * depth + "]" * depth)
        assert exc.value.code == "TooDeep"
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_depth(parse_json(at_limit)) == MAX_JSON_DEPTH
    assert json_depth({"a": [1, {"b": []}]}) == 4 and json_depth(5) == 0
    wide = json.dumps([[i] for i in range(10_000)])
    assert json_depth(parse_json(wide)) == 2


@pytest.mark.parametrize("raw", ["NaN", '{"a": Infinity}', '"\\udc00"', '{"\\ud800": 1}', "{"])
def test_what_json_or_unicode_does_not_allow_is_a_400(raw: str) -> None:
    with pytest.raises(BadRequest) as exc:
        parse_json(raw)
    assert exc.value.code == "InvalidJSON"
    assert not isinstance(exc.value, InvalidKey)
