"""Laws of the formatter and the JSON AST, over random trees covering every construct."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cafehub import api
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
