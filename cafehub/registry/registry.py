"""Saved segments: named, versioned, checked before they are kept, one shop at a time.

A :class:`SegmentRegistry` is one shop's view of the registry tables in a
store database (:mod:`cafehub.registry.tables`)::

    registry = SegmentRegistry(engine, shop="gangnam-shoes")
    saved = registry.save("vip", "order(status = paid).count >= 3", saved_by="mina")
    saved.version.version                      # 1
    registry.get("vip").text                   # the latest version
    registry.get("vip", version=1)             # any version, also after a delete
    registry.check('segment("vip") and cart()')  # references resolved in this shop

Contract (what the HTTP API and the CLI rely on):

- **Shops.** Every query filters on the registry's shop; a name is unique
  within a shop. Two shops may use the same name; neither ever sees the
  other's segments, versions or snapshots.
- **Names** are 1 to 64 letters (any script), digits, ``_``, ``-`` or ``.``,
  starting with a letter or digit (:data:`NAME_PATTERN`). A name is
  compared exactly, but a new name that differs from a live one only in
  case is refused (``Vip`` beside ``vip`` would only confuse).
- **Saving** checks the text first, with this shop's saved segments for
  ``segment("x")``: an invalid text raises
  :class:`~cafehub.diagnostics.SegmentError` with every diagnostic and
  nothing is written. A valid text becomes the next version (1, 2, ...)
  with its JSON AST, who saved it and when (UTC). Saving the same text as
  the latest version writes no new version (``SaveResult.created`` is
  false), so a retried request is harmless. ``description`` (when given)
  replaces the segment's description.
- **Deleting** is soft: the segment leaves :meth:`list` and can no longer be
  used by ``segment("x")``, but :meth:`get` and :meth:`history` still read
  every version. A segment that a live segment's latest version uses cannot
  be deleted (:class:`SegmentInUse` names them). Saving under a deleted name
  brings the segment back, with its history and a new version.
- **Errors** are :class:`RegistryError` subclasses with one-line messages
  naming the segment (never the text); store problems are
  :class:`~cafehub.store.engines.StoreError`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from cafehub.compiler.check import DEFAULT_OPTIONS, CheckedSegment, CheckOptions, check_tree
from cafehub.compiler.references import SavedSegment, UnknownSegment, UnknownVersion
from cafehub.diagnostics import Diagnostic, did_you_mean
from cafehub.grammar import json_ast
from cafehub.grammar import syntax as s
from cafehub.grammar.parser import decode, parse
from cafehub.registry import tables as t
from cafehub.store.engines import store_errors

#: Shop ids, as the service names them in URLs (lower-case letters, digits, '-', '_'; at most 50).
SHOP_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,49}$"
#: Segment names: letters of any script, digits, '_', '-', '.'; at most 64, starting with a letter or digit.
NAME_PATTERN = r"^[^\W_][\w.-]{0,63}$"
#: The shop of a store used without the service (the CLI's default ``--shop``).
DEFAULT_SHOP = "default"
MAX_DESCRIPTION = 2_000
MAX_AUTHOR = 255
#: Versions are stored as 32-bit integers; a larger number names no version.
MAX_VERSION = 2_147_483_647
#: Attempts at a save that collides with a concurrent one before giving up.
SAVE_ATTEMPTS = 5

_SHOP = re.compile(SHOP_PATTERN)
_NAME = re.compile(NAME_PATTERN)


class RegistryError(Exception):
    """A request the registry refuses; the message says what and which segment, in one line."""


class InvalidName(RegistryError):
    """A segment name, shop id or author that is not allowed."""


class SegmentNotFound(RegistryError):
    """No segment of that name in this shop (``suggestion``: a close name, if any)."""

    def __init__(self, name: str, suggestion: str | None = None) -> None:
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        super().__init__(f"no saved segment '{name}'{hint}")
        self.name = name
        self.suggestion = suggestion


class VersionNotFound(RegistryError):
    """The segment has no such version."""

    def __init__(self, name: str, version: int, latest: int) -> None:
        super().__init__(f"segment '{name}' has no version {version} (its versions are 1 to {latest})")
        self.name = name
        self.version = version
        self.latest = latest


class SegmentInUse(RegistryError):
    """Deleting a segment that live segments use; ``used_by`` names them."""

    def __init__(self, name: str, used_by: Sequence[str]) -> None:
        super().__init__(f"segment '{name}' is used by {', '.join(repr(u) for u in used_by)}; "
                         "change or delete those first")
        self.name = name
        self.used_by = tuple(used_by)


class ConcurrentChange(RegistryError):
    """Another save of the same segment kept winning; the caller may try again."""


@dataclass(frozen=True, slots=True)
class SegmentVersion:
    """One saved version: its text as written, its JSON AST, who saved it and when (aware UTC)."""

    name: str
    version: int
    text: str
    ast: dict[str, Any]
    saved_at: datetime
    saved_by: str


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """A saved segment: its description, its latest version, and whether it is deleted."""

    name: str
    description: str
    latest_version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    deleted_at: datetime | None = None
    deleted_by: str | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What :meth:`SegmentRegistry.save` did: the segment, its (new or unchanged) latest version, warnings."""

    segment: SegmentInfo
    version: SegmentVersion
    created: bool
    warnings: tuple[Diagnostic, ...] = ()


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _author(who: str, what: str) -> str:
    who = who.strip()
    if not who or len(who) > MAX_AUTHOR or not who.isprintable():
        raise InvalidName(f"{what} must be 1 to {MAX_AUTHOR} printable characters")
    return who


def check_shop(shop: str) -> str:
    """``shop`` if it is a valid shop id, else :class:`InvalidName`."""
    if not _SHOP.match(shop):
        raise InvalidName("a shop id is 1 to 50 of a-z, 0-9, '-' and '_', starting with a letter or digit")
    return shop


def check_name(name: str) -> str:
    """``name`` if it is a valid segment name, else :class:`InvalidName` saying what is allowed."""
    if not _NAME.match(name) or unicodedata.normalize("NFC", name) != name:
        raise InvalidName("a segment name is 1 to 64 letters, digits, '_', '-' or '.', starting with a letter "
                          "or digit")
    return name


class SegmentRegistry:
    """One shop's saved segments in a store database (see the module docstring for the contract)."""

    def __init__(self, engine: Engine, shop: str = DEFAULT_SHOP, *, options: CheckOptions = DEFAULT_OPTIONS,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.shop = check_shop(shop)
        self.options = options
        self.clock = clock or (lambda: datetime.now(UTC))
        self._latest_versions: Select[Any] | None = None
        with store_errors(engine):
            t.create_registry_tables(engine)

    # ------------------------------------------------------------ reading

    def segments(self, *, include_deleted: bool = False) -> list[SegmentInfo]:
        """The shop's segments by name (code-point order); deleted ones only with ``include_deleted``."""
        with store_errors(self.engine), self.engine.connect() as conn:
            rows = conn.execute(self._info_query(include_deleted=include_deleted)).all()
        return sorted((self._info(row) for row in rows), key=lambda info: info.name)

    def info(self, name: str) -> SegmentInfo:
        """One segment (deleted too), or :class:`SegmentNotFound`."""
        with store_errors(self.engine), self.engine.connect() as conn:
            return self._info_in(conn, name)

    def get(self, name: str, version: int | None = None) -> SegmentVersion:
        """A version of a segment (the latest when ``None``), deleted segments included."""
        with store_errors(self.engine), self.engine.connect() as conn:
            info = self._info_in(conn, name)
            number = info.latest_version if version is None else version
            if not 1 <= number <= MAX_VERSION:  # no such version, and no engine's integer column could say so
                raise VersionNotFound(name, number, info.latest_version)
            row = conn.execute(self._versions_query(name).where(t.segment_versions.c.version == number)).first()
        if row is None:
            raise VersionNotFound(name, number, info.latest_version)
        return self._version(row)

    def history(self, name: str) -> list[SegmentVersion]:
        """Every version of a segment, oldest first (deleted segments included)."""
        with store_errors(self.engine), self.engine.connect() as conn:
            self._info_in(conn, name)
            rows = conn.execute(self._versions_query(name).order_by(t.segment_versions.c.version)).all()
        return [self._version(row) for row in rows]

    def latest(self) -> dict[str, SavedSegment]:
        """The latest version of every live segment, by name, in one query."""
        sv = t.segment_versions
        query = (
            select(sv.c.name, sv.c.version, sv.c.text)
            .select_from(self._latest_join())
            .where(t.segments.c.shop_id == self.shop, t.segments.c.deleted_at.is_(None))
        )
        with store_errors(self.engine), self.engine.connect() as conn:
            return {name: SavedSegment(name, version, text) for name, version, text in conn.execute(query)}

    def latest_versions(self) -> dict[str, int]:
        """The latest version number of every live segment, by name: one small query (its statement is
        built once per registry). Live membership reads the same in its one statement per call
        (:meth:`latest_versions_query`)."""
        if self._latest_versions is None:
            self._latest_versions = self.latest_versions_query()
        with store_errors(self.engine), self.engine.connect() as conn:
            return {str(name): int(version) for name, version in conn.execute(self._latest_versions)}

    def latest_versions_query(self, columns: Callable[[Any, Any], Sequence[Any]] | None = None) -> Select[Any]:
        """The query of :meth:`latest_versions`: (name, latest version) of every live segment, or the
        columns ``columns(name, version)`` makes of those two (a branch of a caller's own statement)."""
        sv, sg = t.segment_versions, t.segments
        name, version = sv.c.name, func.max(sv.c.version)
        return (
            select(*(columns(name, version) if columns is not None else (name, version)))
            .select_from(sv.join(sg, and_(sg.c.shop_id == sv.c.shop_id, sg.c.name == sv.c.name)))
            .where(sv.c.shop_id == self.shop, sg.c.deleted_at.is_(None))
            .group_by(sv.c.name)
        )

    # ------------------------------------------------------------ checking

    def resolver(self) -> RegistryResolver:
        """A resolver for ``segment("x")`` in this shop (live segments only; pass it to ``cafehub.check``)."""
        return RegistryResolver(self)

    def check(self, text: str | bytes, *, saved_as: tuple[str, int] | None = None) -> CheckedSegment:
        """Check ``text`` with this shop's saved segments; raises :class:`~cafehub.diagnostics.SegmentError`."""
        source = decode(text)
        tree = parse(source, limits=self.options.limits)
        return check_tree(tree, source, self.options, resolver=self.resolver(), saved_as=saved_as)

    def resolve(self, name: str, version: int | None = None) -> SavedSegment:
        """A live segment's text at ``version`` (the latest when ``None``), as ``segment("name")`` finds it.

        Raises :class:`SegmentNotFound` (also for a deleted segment) or :class:`VersionNotFound`.
        """
        info = self.info(name)
        if info.deleted:
            raise SegmentNotFound(name)
        found = self.get(name, version)
        return SavedSegment(found.name, found.version, found.text)

    def checked(self, name: str, version: int | None = None) -> CheckedSegment:
        """A live saved segment, checked with its references resolved now."""
        found = self.resolve(name, version)
        return self.check(found.text, saved_as=(found.name, found.version))

    # ------------------------------------------------------------ writing

    def save(self, name: str, text: str | bytes, *, saved_by: str, description: str | None = None) -> SaveResult:
        """Check ``text`` and keep it as the next version of ``name`` (see the module docstring).

        Raises :class:`~cafehub.diagnostics.SegmentError` (nothing is written)
        for an invalid text, :class:`InvalidName` for a bad name, author or
        description, :class:`ConcurrentChange` when concurrent saves of the
        same segment kept colliding.
        """
        check_name(name)
        saved_by = _author(saved_by, "saved_by")
        if description is not None and (len(description) > MAX_DESCRIPTION or "\x00" in description):
            raise InvalidName(f"a description is at most {MAX_DESCRIPTION:,} characters, without NUL")
        source = decode(text)
        with store_errors(self.engine):
            current = self._current(name)
            if current is None:
                self._refuse_case_twin(name)
            number = (current.latest_version if current is not None else 0) + 1
            checked = self._check_as(source, name, number)  # before any write: an invalid text writes nothing
            for _ in range(SAVE_ATTEMPTS):
                try:
                    with self.engine.begin() as conn:
                        if conn.dialect.name == "sqlite":
                            # pysqlite defers BEGIN to the first write, so two saves could both read
                            # the same latest version; take the write lock before reading instead.
                            conn.exec_driver_sql("BEGIN IMMEDIATE")
                        return self._write(conn, name, source, (checked, number), saved_by, description)
                except IntegrityError:
                    continue  # another save created the segment or took the version number first: again
        raise ConcurrentChange(f"segment '{name}' is being saved by someone else at the same time; try again")

    def delete(self, name: str, *, deleted_by: str) -> SegmentInfo:
        """Soft-delete a segment (see the module docstring); deleting a deleted one changes nothing."""
        deleted_by = _author(deleted_by, "deleted_by")
        with store_errors(self.engine):
            info = self.info(name)
            if info.deleted:
                return info
            users = self.used_by(name)
            if users:
                raise SegmentInUse(name, users)
            with self.engine.begin() as conn:
                conn.execute(update(t.segments).where(self._key(name), t.segments.c.deleted_at.is_(None))
                             .values(deleted_at=_naive(self.clock()), deleted_by=deleted_by))
            return self.info(name)

    def used_by(self, name: str) -> list[str]:
        """The live segments whose latest version uses ``name`` directly (by any version)."""
        users = []
        for other, saved in self.latest().items():
            if other == name or "segment" not in saved.text.lower():
                continue
            tree = parse(saved.text, limits=self.options.limits)
            if any(isinstance(n, s.SegmentRef) and n.name.value == name for n in s.walk(tree)):
                users.append(other)
        return sorted(users)

    # ------------------------------------------------------------ internals

    def _check_as(self, source: str, name: str, number: int) -> CheckedSegment:
        tree = parse(source, limits=self.options.limits)
        resolver = RegistryResolver(self, candidate=SavedSegment(name, number, source))
        return check_tree(tree, source, self.options, resolver=resolver, saved_as=(name, number))

    def _write(self, conn: Connection, name: str, source: str, checked_as: tuple[CheckedSegment, int],
               saved_by: str, description: str | None) -> SaveResult:
        """Write the version inside ``conn``'s transaction, the segment's row locked where the engine can.

        PostgreSQL and MySQL/MariaDB lock the segment's row, so concurrent
        saves of one segment queue up; SQLite's transaction starts with
        ``BEGIN IMMEDIATE`` (see :meth:`save`), so saves queue on its write
        lock; DuckDB takes its write lock at the first write, and a save that
        loses a race fails on the primary key and is retried by :meth:`save`.
        """
        checked, checked_number = checked_as
        now = _naive(self.clock())
        head = select(t.segments.c.description, t.segments.c.deleted_at).where(self._key(name))
        if conn.dialect.name in ("postgresql", "mysql", "mariadb"):
            head = head.with_for_update()
        row = conn.execute(head).first()
        changes: dict[str, Any] = {}
        if row is None:
            conn.execute(insert(t.segments).values(
                shop_id=self.shop, name=name, description=description or "", created_at=now, created_by=saved_by))
        else:
            if description is not None and description != row.description:
                changes["description"] = description
            if row.deleted_at is not None:
                changes.update(deleted_at=None, deleted_by=None)
        if changes:
            conn.execute(update(t.segments).where(self._key(name)).values(**changes))
        sv = t.segment_versions
        latest = conn.execute(select(func.max(sv.c.version)).where(sv.c.shop_id == self.shop, sv.c.name == name)
                              ).scalar() or 0
        if latest:
            newest = conn.execute(self._versions_query(name).where(sv.c.version == latest)).one()
            if newest.text == source:
                return SaveResult(self._info_in(conn, name), self._version(newest), False, checked.warnings)
        number = latest + 1
        if number != checked_number:  # saved meanwhile by someone else: check as the version it will be
            checked = self._check_as(source, name, number)
        conn.execute(insert(sv).values(
            shop_id=self.shop, name=name, version=number, text=source,
            ast=json.dumps(json_ast.to_json(checked.syntax), ensure_ascii=False), saved_at=now, saved_by=saved_by))
        row_ = conn.execute(self._versions_query(name).where(sv.c.version == number)).one()
        return SaveResult(self._info_in(conn, name), self._version(row_), True, checked.warnings)

    def _refuse_case_twin(self, name: str) -> None:
        folded = name.casefold()
        for info in self.segments():
            if info.name != name and info.name.casefold() == folded:  # the same name: saved meanwhile, fine
                raise InvalidName(f"'{name}' differs from the saved segment '{info.name}' only in case; "
                                  f"use '{info.name}' or another name")

    def _current(self, name: str) -> SegmentInfo | None:
        try:
            return self.info(name)
        except SegmentNotFound:
            return None

    def _key(self, name: str) -> Any:
        return and_(t.segments.c.shop_id == self.shop, t.segments.c.name == name)

    def _latest_join(self) -> Any:
        sv = t.segment_versions
        newest = (select(sv.c.shop_id, sv.c.name, func.max(sv.c.version).label("version"))
                  .where(sv.c.shop_id == self.shop).group_by(sv.c.shop_id, sv.c.name).subquery("newest"))
        return (
            t.segments.join(newest, and_(newest.c.shop_id == t.segments.c.shop_id, newest.c.name == t.segments.c.name))
            .join(sv, and_(sv.c.shop_id == newest.c.shop_id, sv.c.name == newest.c.name,
                           sv.c.version == newest.c.version))
        )

    def _info_query(self, *, include_deleted: bool) -> Any:
        sv = t.segment_versions
        query = (
            select(t.segments.c.name, t.segments.c.description, sv.c.version, t.segments.c.created_at,
                   t.segments.c.created_by, sv.c.saved_at, sv.c.saved_by, t.segments.c.deleted_at,
                   t.segments.c.deleted_by)
            .select_from(self._latest_join())
            .where(t.segments.c.shop_id == self.shop)
        )
        return query if include_deleted else query.where(t.segments.c.deleted_at.is_(None))

    def _info_in(self, conn: Connection, name: str) -> SegmentInfo:
        row = conn.execute(self._info_query(include_deleted=True).where(t.segments.c.name == name)).first()
        if row is None or row.name != name:
            names = conn.execute(select(t.segments.c.name).where(t.segments.c.shop_id == self.shop,
                                                               t.segments.c.deleted_at.is_(None))).scalars().all()
            raise SegmentNotFound(name, did_you_mean(name, names))
        return self._info(row)

    def _versions_query(self, name: str) -> Any:
        sv = t.segment_versions
        return select(sv.c.name, sv.c.version, sv.c.text, sv.c.ast, sv.c.saved_at, sv.c.saved_by).where(
            sv.c.shop_id == self.shop, sv.c.name == name)

    @staticmethod
    def _info(row: Row[Any]) -> SegmentInfo:
        return SegmentInfo(
            name=row.name, description=row.description, latest_version=row.version,
            created_at=_utc(row.created_at), created_by=row.created_by,  # type: ignore[arg-type]
            updated_at=_utc(row.saved_at), updated_by=row.saved_by,  # type: ignore[arg-type]
            deleted_at=_utc(row.deleted_at), deleted_by=row.deleted_by,
        )

    @staticmethod
    def _version(row: Row[Any]) -> SegmentVersion:
        return SegmentVersion(name=row.name, version=row.version, text=row.text, ast=json.loads(row.ast),
                              saved_at=_utc(row.saved_at), saved_by=row.saved_by)  # type: ignore[arg-type]


class RegistryResolver:
    """Resolves ``segment("x")`` to a live segment of the registry's shop.

    ``candidate`` is a text about to be saved: references to its name
    (without a version, or with its future version) resolve to it, which is
    how a save that would create a cycle is refused. Lookups are not cached
    here (the checker asks once per name and version within one check).
    """

    def __init__(self, registry: SegmentRegistry, candidate: SavedSegment | None = None) -> None:
        self.registry = registry
        self.candidate = candidate

    def resolve(self, name: str, version: int | None) -> SavedSegment:
        candidate = self.candidate
        if candidate is not None and name == candidate.name and version in (None, candidate.version):
            return candidate
        try:
            info = self.registry.info(name)
        except SegmentNotFound:
            raise UnknownSegment(name, [i.name for i in self.registry.segments()]) from None
        if info.deleted:
            raise UnknownSegment(name, deleted=True)
        try:
            found = self.registry.get(name, version)
        except VersionNotFound as missing:
            raise UnknownVersion(name, missing.version, missing.latest) from None
        return SavedSegment(found.name, found.version, found.text)


__all__ = [
    "DEFAULT_SHOP",
    "NAME_PATTERN",
    "SHOP_PATTERN",
    "ConcurrentChange",
    "InvalidName",
    "RegistryError",
    "RegistryResolver",
    "SaveResult",
    "SegmentInUse",
    "SegmentInfo",
    "SegmentNotFound",
    "SegmentRegistry",
    "SegmentVersion",
    "VersionNotFound",
    "check_name",
    "check_shop",
]
