"""Laws of the formatter and the JSON AST, over random trees covering every construct."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cafehub import api
from cafehub.diagnostics import SegmentError
from cafehub.grammar import json_ast
from cafehub.grammar.format import format_segment
from cafehub.testing.syntax import segments


@given(segments)
def test_parse_of_format_is_identity(tree: object) -> None:
    text = format_segment(tree)  # type: ignore[arg-type]
    assert api.parse(text) == tree


@given(segments, st.integers(min_value=20, max_value=120))
def test_format_is_idempotent_at_any_width(tree: object, width: int) -> None:
    text = format_segment(tree, width)  # type: ignore[arg-type]
    assert format_segment(api.parse(text), width) == text
    assert api.parse(text) == tree


@given(segments)
def test_json_round_trip(tree: object) -> None:
    document = json_ast.to_json(tree)  # type: ignore[arg-type]
    # Through real JSON text, as a visual builder would send it.
    again = api.from_json(json.dumps(document))
    assert again == tree
    assert json_ast.to_json(again) == document


@given(segments)
def test_text_json_text_is_identity_on_canonical_text(tree: object) -> None:
    canonical = format_segment(tree)  # type: ignore[arg-type]
    assert api.format(api.from_json(api.to_json(canonical))) == canonical


@settings(max_examples=50)
@given(segments)
def test_wrapped_lines_stay_within_width_when_possible(tree: object) -> None:
    text = format_segment(tree, 60)  # type: ignore[arg-type]
    one_line = format_segment(tree, 10_000)  # type: ignore[arg-type]
    if len(one_line) <= 60:
        assert text == one_line
    else:
        # Breaking only ever shortens lines (an unbreakable atom may still exceed the width).
        assert max(len(line) for line in text.splitlines()) <= len(one_line)


def test_long_segment_wraps_readably() -> None:
    text = (
        "order(payment_method in [card, tcash] and ordered_at between 2025-01-01 and 2025-01-31)"
        " and order(ordered_at between 2025-01-01 and 2025-01-31).sum(paid_amount) >= 50000"
    )
    assert api.format(text) == (
        "order(payment_method in [card, tcash] and ordered_at between 2025-01-01 and 2025-01-31)\n"
        "  and order(ordered_at between 2025-01-01 and 2025-01-31).sum(paid_amount) >= 50000"
    )
    assert api.format(text, width=50) == (
        "order(\n"
        "  payment_method in [card, tcash]\n"
        "  and ordered_at between 2025-01-01 and 2025-01-31\n"
        ")\n"
        "  and order(\n"
        "    ordered_at between 2025-01-01 and 2025-01-31\n"
        "  ).sum(paid_amount) >= 50000"
    )


def test_canonical_spelling() -> None:
    assert api.format('ORDER( Status=PAID  and  product In[1 ,2]).COUNT>=100_000') == (
        "order(Status = paid and product in [1, 2]).count >= 100000"
    )
    assert api.format("not (order() or cart()) and (coupon() and not not order())") == (
        "not (order() or cart()) and coupon() and not not order()"
    )
    assert api.format('coupon(name = "a\\"b\\\\c\\u00e9\\n")') == 'coupon(name = "a\\"b\\\\cé\\n")'


def test_format_keeps_leading_comments_only() -> None:
    text = "# audience: lapsed\n\n# second line\norder() # trailing comment\n  and cart()"
    assert api.format(text) == "# audience: lapsed\n\n# second line\norder() and cart()"


def test_shipped_schema_matches_the_models() -> None:
    from importlib import resources

    shipped = json.loads(resources.files("cafehub.grammar").joinpath("segment.schema.json").read_text("utf-8"))
    assert shipped == api.json_schema()


@settings(max_examples=60)
@given(segments)
def test_json_documents_validate_against_the_published_schema(tree: object) -> None:
    import jsonschema

    jsonschema.validate(api.to_json(tree), api.json_schema())  # type: ignore[arg-type]


#: Small documents that together hold every node type and field; each of their values is
#: replaced in turn by each of :data:`_OTHER_VALUES` (small, so the schema validates them fast).
_DOCUMENTS = (
    "order(status = paid).sum(paid_amount) > 10.5",
    "no cart(product in [1, 2])",
    'segment("vip", version = 2)',
    'coupon(name not contains "x")',
    "not order(ordered_at between 2025-01-01 and 2025-01-02T10:00Z)",
    "cart(added_at > 3d ago or quantity >= 2)",
    "order(ordered_at within last 3d)",
)
#: Python's equalities the schema does not share (True == 1, False == 0), and null. (1.0: JSON Schema
#: counts it as an integer while the reader wants an integer literal, except for the version.)
_OTHER_VALUES: tuple[object, ...] = (True, False, 0, None)


def _replaced(document: object, path: tuple[object, ...], value: object) -> object:
    import copy

    if not path:
        return value
    changed = copy.deepcopy(document)
    target: object = changed
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    return changed


def _leaves(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Paths of the scalar values of a JSON document (where Python's equalities can slip in)."""
    if isinstance(node, dict | list):
        children = node.items() if isinstance(node, dict) else enumerate(node)
        return [p for key, child in children for p in _leaves(child, (*path, key))]
    return [path]


def test_from_json_accepts_nothing_the_published_schema_refuses() -> None:
    """Differential: one scalar at a time replaced by a value of another JSON type. The reader
    accepted ``"version": true`` (Python's ``True == 1``), which the schema refuses. (Only what the
    reader accepts is validated: the schema's node unions make refusing a document slow.)"""
    import jsonschema

    validator = jsonschema.Draft202012Validator(api.json_schema())
    accepted_but_invalid = []
    for text in _DOCUMENTS:
        base = api.to_json(text)
        for path in _leaves(base):
            for value in _OTHER_VALUES:
                document = _replaced(base, path, value)
                try:
                    api.from_json(document)  # type: ignore[arg-type]
                except SegmentError:
                    continue
                if not validator.is_valid(document):
                    accepted_but_invalid.append((text, path, value))
    assert accepted_but_invalid == []


def test_version_true_is_unsupported() -> None:
    for version, shown in ((True, "true"), (None, "null"), ("1", '"1"'), (2, "2")):
        with pytest.raises(SegmentError) as caught:
            api.from_json({"version": version, "segment": {"type": "exists", "collection": "cart"}})
        (problem,) = caught.value.diagnostics
        assert (problem.code, problem.message) == (
            "E0703", f"unsupported JSON AST version {shown}; this cafehub reads version 1")
    assert api.format(api.from_json({"version": 1.0, "segment": {"type": "exists", "collection": "cart"}})) == "cart()"
