"""Compile latency: parse + check of reference segments, against Lark's stock parser.

Target (issue 2): parse + check of a 10-atom segment under 300 µs median on
the CI machine. The baseline measured in the same run is Lark's own
``Lark.parse`` building a parse tree for the same text (parse only, no
checking), which shows what the lean driver buys.
"""

from __future__ import annotations

from typing import Any

from lark import Lark

from bench.common import time_calls
from cafehub import api
from cafehub.grammar.parser import _engine

TEN_ATOMS = (
    "order(status = paid).count >= 3 and no order(ordered_at within last 60d)"
    " and cart() and coupon(expires_at within next 1d)"
    " and order(product = 42 and ordered_at < 90d ago)"
)

REFERENCE = {
    "coupon_expiring": 'coupon(coupon_no = "6070000000000000001" and expires_at within next 1d)',
    "cart_no_recent_order": "cart(product = 17) and no order(ordered_at within last 3d)",
    "lapsed_repeat_buyer": "order(status = paid).count >= 3 and no order(ordered_at within last 60d)",
    "rebuy_after_90d": (
        "order(product = 42 and ordered_at < 90d ago) and no order(product = 42 and ordered_at within last 90d)"
    ),
    "big_cart": "cart().sum(amount) >= 100_000",
    "cross_sell": "order(product = 42 and ordered_at within last 30d) and no order(product = 43)",
    "ten_atoms": TEN_ATOMS,
}

TARGET_US = 300.0


def _atoms(text: str) -> int:
    from cafehub.grammar import syntax as s

    return sum(1 for node in s.walk(api.parse(text)) if isinstance(node, s.ATOM_TYPES))


def run(runs: int = 3000, **_: Any) -> dict[str, Any]:
    grammar = _engine().lark
    stock = Lark(grammar.source_grammar, parser="lalr", maybe_placeholders=True)
    rows = []
    for name, text in REFERENCE.items():
        ours = time_calls(lambda text=text: api.check(text), runs=runs)
        baseline = time_calls(lambda text=text: stock.parse(text), runs=runs)
        rows.append({
            "segment": name,
            "atoms": _atoms(text),
            "parse_check": ours,
            "lark_parse_only": baseline,
            "ratio_vs_lark_parse": ours.median_us / baseline.median_us,
        })
    ten = next(r for r in rows if r["segment"] == "ten_atoms")
    assert ten["atoms"] == 10, ten["atoms"]
    return {
        "rows": rows,
        "target": {"segment": "ten_atoms", "median_us": ten["parse_check"].median_us, "target_us": TARGET_US,
                   "met": ten["parse_check"].median_us < TARGET_US},
    }


def report(result: dict[str, Any]) -> str:
    lines = [f"{'segment':<22}{'atoms':>6}{'median µs':>11}{'p95 µs':>9}{'Lark parse µs':>15}{'ratio':>7}"]
    for r in result["rows"]:
        lines.append(
            f"{r['segment']:<22}{r['atoms']:>6}{r['parse_check'].median_us:>11.1f}{r['parse_check'].p95_us:>9.1f}"
            f"{r['lark_parse_only'].median_us:>15.1f}{r['ratio_vs_lark_parse']:>7.2f}"
        )
    t = result["target"]
    lines.append(f"target: parse + check of a 10-atom segment < {t['target_us']:.0f} µs median: "
                 f"{t['median_us']:.1f} µs -> {'met' if t['met'] else 'MISSED'}")
    return "\n".join(lines)
