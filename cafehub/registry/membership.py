"""Live membership: which of a shop's saved segments one customer is in right now, and why.

This is what a marketing tool calls when an event arrives (a cart updated,
an order placed): one customer, one instant, every live saved segment.

Per call the store is read once, by one statement
(:func:`~cafehub.execution.python.one_member_statement`): a ``UNION ALL`` of
the latest version of every live segment (the registry's query) and that
customer's rows in each table, each through the ``member_id`` index. One
round trip instead of seven: on PostgreSQL each was a wake-up of the server
process, most of a call's time. One statement also reads one snapshot, so
the versions and the rows agree.
Every segment is then evaluated in memory by its compiled predicate, the
same function ``cafehub segment run --engine python`` uses, so the verdicts
are those of running each segment and looking for the id.

Checking and compiling a segment costs milliseconds, so :class:`LiveMembership`
keeps each segment's compiled predicate (and, once asked for, its explain
probes) for as long as it is current: the same version, and every saved
segment it uses without a version pin still at the version it was compiled
with. A new version of ``vip`` therefore recompiles ``vip`` and every
segment that follows ``segment("vip")``, and nothing else. Keep one
instance per shop for the life of a process (the HTTP service does).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cafehub.compiler.backends.python import CustomerData, Predicate, compile_predicate, compile_probes
from cafehub.compiler.backends.python.compiler import Probes
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext
from cafehub.compiler.references import SavedSegment, UnknownSegment
from cafehub.diagnostics import SegmentError
from cafehub.execution.explain import Explanation, explain
from cafehub.execution.python import (
    FIRST_FREE_TAG,
    SLOTS,
    one_member_statement,
    one_statement_connection,
    read_one_member,
    slotted,
)
from cafehub.registry.registry import RegistryError, RegistryResolver, SegmentRegistry
from cafehub.store.engines import store_errors

#: Where the latest version sits in a row of the registry's branch (after its tag).
_VERSION = [name for name, _ in SLOTS].index("n1")


class CustomerNotFound(RegistryError):
    """The store has no customer with that member id."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """One saved segment's answer for the customer: in or out (and why, when asked)."""

    name: str
    version: int
    matches: bool
    explanation: Explanation | None = None
    error: str | None = None
    """Set when the segment's latest version no longer checks (it then never matches)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "matches": self.matches,
            "explanation": self.explanation.to_dict() if self.explanation is not None else None,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Membership:
    """A customer's verdicts at one instant, one per live saved segment, by name."""

    member_id: str
    now: datetime
    verdicts: tuple[Verdict, ...]

    @property
    def segments(self) -> list[str]:
        """The names of the segments the customer is in."""
        return [v.name for v in self.verdicts if v.matches]

    def to_dict(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "now": self.now.isoformat(),
            "segments": self.segments,
            "verdicts": [v.to_dict() for v in self.verdicts],
        }


@dataclass(slots=True)
class _Compiled:
    """One saved segment checked and compiled, and what must stay true for it to stay current."""

    version: int
    checked: CheckedSegment | None
    predicate: Predicate | None
    error: str | None
    follows: tuple[tuple[str, int], ...]
    """Saved segments used without a version pin, at the versions compiled in."""
    probes: Probes | None = field(default=None)

    def current(self, latest: dict[str, int], version: int) -> bool:
        return self.version == version and all(latest.get(n) == v for n, v in self.follows)


class _AsOf(RegistryResolver):
    """Resolves unpinned references to the versions of one reading of the latest versions."""

    def __init__(self, registry: SegmentRegistry, latest: dict[str, int]) -> None:
        super().__init__(registry)
        self.latest = latest

    def resolve(self, name: str, version: int | None) -> SavedSegment:
        if version is None:
            if name not in self.latest:
                raise UnknownSegment(name, sorted(self.latest))
            version = self.latest[name]
        return super().resolve(name, version)


class LiveMembership:
    """Membership of one customer in every live saved segment of ``registry``'s shop (see the module doc)."""

    def __init__(self, registry: SegmentRegistry) -> None:
        self.registry = registry
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        #: The one statement of a call: the registry's latest versions, then the customer's rows.
        self._statement = one_member_statement(
            registry.latest_versions_query(lambda name, version: slotted(FIRST_FREE_TAG, key=name, n1=version)))

    def membership(
        self, member_id: str, ctx: EvalContext, *, explain: bool = False, names: Sequence[str] | None = None
    ) -> Membership:
        """The customer's verdict in every live saved segment (only ``names``, when given) at ``ctx``.

        With ``explain``, each verdict carries the clause-by-clause
        explanation of ``cafehub segment explain``. Raises
        :class:`CustomerNotFound`, and :class:`~cafehub.registry.SegmentNotFound`
        for a name in ``names`` that is not a live segment.
        """
        with store_errors(self.registry.engine), one_statement_connection(self.registry.engine) as conn:
            customer, extra = read_one_member(conn, self._statement, member_id)
        latest = {str(row[0]): int(row[_VERSION]) for row in extra.get(FIRST_FREE_TAG, ())}
        if names is not None:
            missing = [n for n in names if n not in latest]
            if missing:
                self.registry.resolve(missing[0])  # raises SegmentNotFound, with "did you mean"
            wanted = list(dict.fromkeys(names))
        else:
            wanted = sorted(latest)
        compiled = {name: self._current(name, latest) for name in wanted}
        if customer is None:
            raise CustomerNotFound(f"no customer with member id {member_id!r} in the store")
        verdicts = tuple(self._verdict(name, compiled[name], customer, ctx, explain) for name in wanted)
        return Membership(member_id, ctx.now, verdicts)

    def _verdict(self, name: str, entry: _Compiled, customer: CustomerData, ctx: EvalContext,
                 with_explanation: bool) -> Verdict:
        if entry.predicate is None or entry.checked is None:
            return Verdict(name, entry.version, False, error=entry.error)
        if not with_explanation:
            return Verdict(name, entry.version, entry.predicate.bind(ctx)(customer))
        if entry.probes is None:
            entry.probes = compile_probes(entry.checked)
        explained = explain(entry.checked, customer, ctx, probes=entry.probes)
        return Verdict(name, entry.version, explained.matches, explained)

    def _current(self, name: str, latest: dict[str, int]) -> _Compiled:
        entry = self._compiled.get(name)
        if entry is not None and entry.current(latest, latest[name]):
            return entry
        found = self.registry.get(name, latest[name])
        entry = self._compile(SavedSegment(found.name, found.version, found.text), latest)
        with self._lock:
            self._compiled[name] = entry
        return entry

    def _compile(self, saved: SavedSegment, latest: dict[str, int]) -> _Compiled:
        from cafehub.compiler.check import check_tree
        from cafehub.grammar.parser import parse

        options = self.registry.options
        try:
            tree = parse(saved.text, limits=options.limits)
            checked = check_tree(tree, saved.text, options, resolver=_AsOf(self.registry, latest),
                                 saved_as=(saved.name, saved.version))
        except SegmentError as error:
            return _Compiled(saved.version, None, None, error.diagnostics[0].message, tuple(latest.items()))
        follows = tuple(sorted(key for key, unpinned in checked.saved_segments().items() if unpinned))
        return _Compiled(saved.version, checked, compile_predicate(checked), None, follows)


__all__ = ["CustomerNotFound", "LiveMembership", "Membership", "Verdict"]
