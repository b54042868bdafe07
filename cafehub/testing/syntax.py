"""Hypothesis strategies for random *syntax trees* (not necessarily valid segments).

Every construct of the grammar appears: and/or/not and parentheses at both
levels, ``no``, saved segments by name (``segment("x", version = 2)``),
all three collections and arbitrary names, every aggregate
form, every test (comparison, ``in``/``not in``, ``within``, ``between``,
``contains``/``not contains``) and every literal form. Trees are kept in the
parser's normal form (flat ``And``/``Or``), so that ``parse(format(tree)) ==
tree`` can be asserted directly.

Names are drawn from the real catalog most of the time and from random
identifiers otherwise, so the same strategy feeds both the formatter and JSON
round-trip laws (which must hold for any tree) and checker robustness tests
(which must report diagnostics, never crash).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from hypothesis import strategies as st

from cafehub.compiler.catalog import ENUMS, FIELDS, AggregateFunc, Collection
from cafehub.grammar import syntax as s
from cafehub.grammar.parser import reserved_words

KEYWORDS = reserved_words()

_FIELD_NAMES = sorted({name for fields in FIELDS.values() for name in fields})
_ENUM_VALUES = sorted({v for values in ENUMS.values() for v in values})


def _is_name(text: str) -> bool:
    return text.lower() not in KEYWORDS


identifiers = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,10}\Z").filter(_is_name)
lower_identifiers = identifiers.map(str.lower).filter(_is_name)

field_names = st.one_of(st.sampled_from(_FIELD_NAMES), identifiers)
collection_names = st.one_of(st.sampled_from([c.value for c in Collection]), lower_identifiers)
aggregate_names = st.one_of(st.sampled_from([a.value for a in AggregateFunc]), lower_identifiers)
enum_names = st.one_of(st.sampled_from(_ENUM_VALUES), lower_identifiers)

#: Any text a string literal can hold: every code point but NUL and lone surrogates.
string_values = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=24)

durations = st.builds(
    s.Duration, amount=st.integers(min_value=0, max_value=10_000), unit=st.sampled_from(["h", "d", "w"])
)

def _has_places(value: Decimal) -> bool:
    """Decimal literals are written with a point: 1 to 8 places, no exponent form."""
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and -8 <= exponent < 0


_decimals = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False, places=None
).filter(_has_places)

values: st.SearchStrategy[s.Value] = st.one_of(
    st.builds(s.IntLit, value=st.integers(min_value=-(2**70), max_value=2**70)),
    st.builds(s.DecimalLit, value=_decimals),
    st.builds(s.StringLit, value=string_values),
    st.builds(s.EnumLit, name=enum_names),
    st.builds(s.DateLit, value=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))),
    st.builds(
        s.DateTimeLit,
        value=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
        offset_minutes=st.one_of(st.none(), st.integers(min_value=-18 * 60, max_value=18 * 60)),
    ),
    st.builds(s.Now),
    st.builds(s.Today),
    st.builds(s.Yesterday),
    st.builds(s.Ago, duration=durations),
    st.builds(s.FromNow, duration=durations),
)

ops = st.sampled_from(list(s.CmpOp))


def _tests(subjects: st.SearchStrategy[s.Subject]) -> st.SearchStrategy[s.Node]:
    return st.one_of(
        st.builds(s.Compare, subject=subjects, op=ops, value=values),
        st.builds(
            s.InList,
            subject=subjects,
            values=st.lists(values, max_size=4).map(tuple),
            negated=st.booleans(),
        ),
        st.builds(s.Within, subject=subjects, direction=st.sampled_from(["last", "next"]), duration=durations),
        st.builds(s.Between, subject=subjects, low=values, high=values),
        st.builds(s.Contains, subject=subjects, needle=st.builds(s.StringLit, value=string_values),
                  negated=st.booleans()),
    )


def _logic(atoms: st.SearchStrategy[s.Node], max_leaves: int) -> st.SearchStrategy[s.Node]:
    def extend(children: st.SearchStrategy[s.Node]) -> st.SearchStrategy[s.Node]:
        return st.one_of(
            st.lists(children, min_size=2, max_size=4).map(s.make_and),
            st.lists(children, min_size=2, max_size=4).map(s.make_or),
            st.builds(s.Not, operand=children),
        )

    return st.recursive(atoms, extend, max_leaves=max_leaves)


field_refs = st.builds(s.FieldRef, name=field_names)

#: Condition-level trees: predicates over fields, joined by and/or/not.
conditions: st.SearchStrategy[s.Node] = _logic(_tests(field_refs), max_leaves=6)

measures = st.builds(
    s.Measure,
    collection=st.builds(s.Ident, name=collection_names),
    condition=st.one_of(st.none(), conditions),
    aggregate=st.builds(s.Ident, name=aggregate_names),
    field=st.one_of(st.none(), field_refs),
)

exists = st.builds(
    s.Exists,
    collection=st.builds(s.Ident, name=collection_names),
    condition=st.one_of(st.none(), conditions),
    negated=st.booleans(),
)

segment_refs = st.builds(
    s.SegmentRef,
    name=st.builds(s.StringLit, value=string_values),
    version=st.one_of(st.none(), st.builds(s.IntLit, value=st.integers(min_value=-5, max_value=2**40))),
)

#: Segment-level trees: existence tests, measure tests and saved segments, joined by and/or/not.
segments: st.SearchStrategy[s.Node] = _logic(st.one_of(exists, _tests(measures), segment_refs), max_leaves=6)

__all__ = ["conditions", "identifiers", "segments", "string_values", "values"]
