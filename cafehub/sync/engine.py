"""Cafe24 → canonical store sync: incremental, idempotent, resumable.

Phases run in a fixed order, each with its own cursor in ``sync_state``
(committed together with every page of rows, see :mod:`.state`):

``coupons``
    every coupon definition (cheap: at most a few pages); deleted coupons are
    listed too, only so their issues can be read.
``customers``
    members by join time (``/customersprivacy?search_type=created_date``),
    keyset-paged; the cursor is the last join time seen.
``issues``
    per coupon, issues after the last ``issue_no`` seen (``since_issue_no``);
    then, for coupons with issues we hold as unused and unexpired, the used
    ones issued since the oldest of those (a coupon can be used later).
``carts``
    for every 100 members held, which of them Cafe24 still has (members who
    withdrew are forgotten: their row, cart and coupons; their orders stay),
    then the carts of those who remain; carts have no change filter in
    Cafe24, so each run re-reads them and deletes what has left a cart.
``orders``
    a full run reads order windows from ``since`` (3 months at most each,
    narrower where the 15,000 offset cap would be hit); an incremental run
    reads, from the last run's day (minus an overlap), the orders placed,
    paid, canceled or returned in that span, plus those refunded.

Killed at any point, the next run resumes the unfinished order plan or cart
pass from the last committed page; everything else restarts from its cursor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.exc import SQLAlchemyError

from cafehub.connectors.cafe24 import models as m
from cafehub.connectors.cafe24.client import COUPON_ISSUES, MAX_LIST_VALUES, ORDERS, Cafe24Client, JoinCursor
from cafehub.connectors.errors import AuthorizationError, ConnectorError, PagingLimitError
from cafehub.connectors.tokens import token_metadata
from cafehub.store import io as store_io
from cafehub.store import schema as s
from cafehub.store.write_errors import explain_write

from . import mapping
from .state import create_state, load_cursor, save_cursor, sync_metadata
from .upsert import Changes, delete_missing, delete_pairs_missing, forget_members, upsert

PHASES = ("coupons", "customers", "issues", "carts", "orders")
#: Order events after which a coupon used on the order may have been given back.
CLAIM_EVENTS = ("cancel_date", "return_complete_date", "refund_date")
#: Event date types whose change can change an order's store row (status or amounts).
ORDER_EVENTS = ("order_date", "pay_date", "cancel_date", "return_complete_date")


class Progress(Protocol):
    """Where a sync reports how far it got (a rich progress bar in the CLI)."""

    def phase(self, name: str, total: int | None) -> None: ...

    def advance(self, name: str, rows: int) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int | None) -> None:
        pass

    def advance(self, name: str, rows: int) -> None:
        pass


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncOptions:
    """What to sync and how far back."""

    #: First order day of a full sync (the language's history boundary by default).
    since: date = date(2024, 1, 1)
    #: Ignore cursors and read everything again (an unfinished run is still finished first).
    full: bool = False
    #: Days re-read before the last run's day, for events recorded late.
    overlap_days: int = 1
    phases: tuple[str, ...] = PHASES


@dataclass(slots=True)
class PhaseReport:
    rows: int = 0
    pages: int = 0
    changes: Changes = field(default_factory=Changes)


@dataclass(slots=True)
class SyncReport:
    """What a run read and changed, and how fast."""

    phases: dict[str, PhaseReport] = field(default_factory=dict)
    calls: int = 0
    #: 429 answers, of which ``blocks`` were usage blocks waited out as the server said.
    rate_limited: int = 0
    blocks: int = 0
    retries: int = 0
    refreshes: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.phases.values())

    @property
    def changed(self) -> int:
        return sum(p.changes.total for p in self.phases.values())

    def calls_per_second(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


REAUTHORIZE = (
    "Everything read before this point is saved, but running the sync again will not help: the mall must "
    "authorize the app again. Run `cafehub sync --mall {mall} --authorize-url` and send the shop owner to the "
    "address it prints; once they approve, Cafe24 redirects to the app's redirect URI with ?code=...; then run "
    "`cafehub sync --mall {mall} --code CODE` (the code works once, within minutes)."
)


class SyncStopped(Exception):
    """A sync that stopped with an error; ``phase`` and ``where`` say how far it got, the message what to do."""

    def __init__(self, phase: str, where: str, cause: Exception, mall: str = "MALL") -> None:
        self.phase, self.where, self.cause = phase, where, cause
        if isinstance(cause, AuthorizationError):
            hint = REAUTHORIZE.format(mall=mall)
        else:
            hint = "Everything read before this point is saved; run the sync again to continue from there."
        super().__init__(f"sync stopped in {phase} ({where}): {cause}\n{hint}")


def _with_claimed(run: dict[str, Any], order_ids: Sequence[str]) -> dict[str, Any]:
    """``run`` with ``order_ids`` among the orders canceled or returned this run (kept in the cursor)."""
    return {**run, "claimed": sorted({*run.get("claimed", []), *order_ids})}


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _upserting(table: Table, rows: Sequence[Any]) -> Callable[[Connection], Changes]:
    def write(conn: Connection) -> Changes:
        return upsert(conn, table, rows)

    return write


def _customers_and_consents(customers: Sequence[Any], consents: Sequence[Any]) -> Callable[[Connection], Changes]:
    """Upsert a page of members and their marketing consents in the page's transaction."""
    def write(conn: Connection) -> Changes:
        changes = upsert(conn, s.customers, customers)
        changes += upsert(conn, s.customer_consents, consents)
        return changes

    return write


class Syncer:
    """One mall into one store."""

    def __init__(
        self,
        client: Cafe24Client,
        engine: Engine,
        options: SyncOptions = SyncOptions(),
        progress: Progress | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.client = client
        self.engine = engine
        self.options = options
        self.progress = progress or NoProgress()
        self.mall = client.config.mall_id
        self.zone = ZoneInfo(client.config.zone)
        self.now = now or client.config.now
        self.report = SyncReport()
        self.where = ""

    def run(self) -> SyncReport:
        store_io.create_schema(self.engine)
        create_state(self.engine)
        started = time.monotonic()
        stats = self.client.stats
        before = (stats.calls, stats.rate_limited, stats.retries, stats.refreshes, stats.blocks)
        steps: dict[str, Callable[[], None]] = {
            "coupons": self.sync_coupons,
            "customers": self.sync_customers,
            "issues": self.sync_issues,
            "carts": self.sync_carts,
            "orders": self.sync_orders,
        }
        try:
            for name in self.options.phases:
                self.report.phases[name] = PhaseReport()
                self.where = "start"
                try:
                    steps[name]()
                except SyncStopped:
                    raise
                except (ConnectorError, mapping.MappingError) as exc:
                    raise SyncStopped(name, self.where, exc, self.mall) from None
                except SQLAlchemyError as exc:
                    # the driver's text and SQLAlchemy's carry the rows being written: never shown
                    cause = explain_write(exc, sync_metadata, token_metadata)
                    raise SyncStopped(name, self.where, cause, self.mall) from None
        finally:
            stats = self.client.stats
            self.report.calls = stats.calls - before[0]
            self.report.rate_limited = stats.rate_limited - before[1]
            self.report.retries = stats.retries - before[2]
            self.report.refreshes = stats.refreshes - before[3]
            self.report.blocks = stats.blocks - before[4]
            self.report.seconds = time.monotonic() - started
        return self.report

    # -- helpers -----------------------------------------------------------

    def _cursor(self, resource: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return load_cursor(conn, self.mall, resource)

    def _commit(self, phase: str, resource: str, cursor: dict[str, Any] | None,
                write: Callable[[Any], Changes], rows: int) -> None:
        """Write one page and its cursor in one transaction."""
        with self.engine.begin() as conn:
            changes = write(conn)
            if cursor is not None:
                save_cursor(conn, self.mall, resource, cursor)
        report = self.report.phases[phase]
        report.rows += rows
        report.pages += 1
        report.changes += changes
        self.progress.advance(phase, rows)

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()

    # -- coupons -----------------------------------------------------------

    def sync_coupons(self) -> None:
        self.progress.phase("coupons", None)
        for page in self.client.iter_coupons():
            self.where = f"offset {page.offset}"
            rows = [mapping.coupon(c) for c in page.items]
            self._commit("coupons", "coupons", None, _upserting(s.coupons, rows), len(rows))

    def _coupon_numbers(self) -> list[str]:
        numbers: set[str] = set()
        for deleted in (False, True):
            for page in self.client.iter_coupons(deleted=deleted):
                numbers |= {c.coupon_no for c in page.items}
        return sorted(numbers)

    # -- customers ---------------------------------------------------------

    def sync_customers(self) -> None:
        self.progress.phase("customers", None)
        cursor = JoinCursor() if self.options.full else self._join_cursor()
        self.where = f"joined since {cursor.day or 'the beginning'}"
        for page, after in self.client.iter_customers(cursor):
            rows = [mapping.customer(c) for c in page]
            consents = [k for k in (mapping.consent(c) for c in page) if k is not None]
            state = {"day": after.day.isoformat() if after.day else None, "seen": sorted(after.seen)}
            self._commit("customers", "customers", state, _customers_and_consents(rows, consents), len(rows))
            self.where = f"joined since {after.day or 'the beginning'}"

    def _join_cursor(self) -> JoinCursor:
        saved = self._cursor("customers")
        if saved.get("day"):
            return JoinCursor(date.fromisoformat(saved["day"]), frozenset(saved.get("seen", [])))
        if saved.get("since"):  # an older cursor: the last join *time* seen
            day = datetime.fromisoformat(saved["since"]).astimezone(self.zone).date()
            return JoinCursor(day, frozenset(saved.get("seen", [])))
        return JoinCursor()

    # -- issued coupons ----------------------------------------------------

    def sync_issues(self) -> None:
        self.progress.phase("issues", None)
        cursor = {} if self.options.full else self._cursor("issues")
        last_seen: dict[str, int] = dict(cursor.get("last_issue_no", {}))
        for coupon_no in self._coupon_numbers():
            floor = last_seen.get(coupon_no, 0)
            while True:
                self.where = f"coupon {coupon_no} after issue {floor}"
                page = self.client.coupon_issues(coupon_no, since_issue_no=floor)
                if page:
                    floor = max(floor, max(i.issue_no for i in page))
                last_seen[coupon_no] = floor
                rows = [mapping.customer_coupon(i) for i in page]
                self._commit("issues", "issues", {"last_issue_no": last_seen},
                             _upserting(s.customer_coupons, rows), len(rows))
                if len(page) < COUPON_ISSUES.limit:
                    break
        self._recheck_used()

    def _recheck_used(self) -> None:
        """Issues we hold as unused and unexpired may have been used since: re-read used ones."""
        now = utc(self.now())
        c = s.customer_coupons.c
        with self.engine.connect() as conn:
            oldest = dict(
                conn.execute(
                    select(c.coupon_no, func.min(c.issued_at))
                    .where(c.used_at.is_(None), c.expires_at >= now)
                    .group_by(c.coupon_no)
                ).all()
            )
        end = self.today() + timedelta(days=1)
        for coupon_no, issued in sorted(oldest.items()):
            first = issued.replace(tzinfo=UTC).astimezone(self.zone).date()
            self.where = f"used issues of coupon {coupon_no} since {first}"
            for page in self.client.iter_coupon_issues(coupon_no, used=True, issued_start=first, issued_end=end):
                rows = [mapping.customer_coupon(i) for i in page]
                self._commit("issues", "issues", None, _upserting(s.customer_coupons, rows), len(rows))

    # -- carts -------------------------------------------------------------

    def sync_carts(self) -> None:
        with self.engine.connect() as conn:
            members = sorted(conn.execute(select(s.customers.c.member_id)).scalars())
        self.progress.phase("carts", len(members))
        cursor = self._cursor("carts")
        after = cursor.get("after")
        todo = [x for x in members if after is None or x > after]
        for start in range(0, len(todo), MAX_LIST_VALUES):
            batch = todo[start : start + MAX_LIST_VALUES]
            self.where = f"members {start + 1}-{start + len(batch)} of {len(todo)}"
            present = {c.member_id for c in self.client.customers_by_id(batch)}
            gone = [x for x in batch if x not in present]
            staying = [x for x in batch if x in present]
            items: list[m.CartItem] = []
            if staying:
                for page in self.client.iter_carts(staying):
                    items += page
            rows = [mapping.cart_item(x) for x in items]

            def write(conn: Any, staying: Sequence[str] = staying, gone: Sequence[str] = gone,
                      rows: list[Any] = rows) -> Changes:
                changes = upsert(conn, s.cart_items, rows)
                changes.deleted += delete_missing(conn, s.cart_items, "member_id", staying, [x.id for x in rows], "id")
                changes.deleted += forget_members(conn, gone)
                return changes

            done = start + MAX_LIST_VALUES >= len(todo)
            self._commit("carts", "carts", {"after": None if done else batch[-1]}, write, len(rows))
        if not todo:
            with self.engine.begin() as conn:
                save_cursor(conn, self.mall, "carts", {"after": None})

    # -- orders ------------------------------------------------------------

    def _order_plan(self, cursor: dict[str, Any]) -> list[list[Any]]:
        today = self.today()
        last_day = cursor.get("last_run_day")
        if self.options.full or not last_day:
            spans = [("order_date", self.options.since, today)]
        else:
            first = max(self.options.since, date.fromisoformat(last_day) - timedelta(days=self.options.overlap_days))
            spans = [(event, first, today) for event in ORDER_EVENTS] + [("refund_date", first, today)]
        plan: list[list[Any]] = []
        for event, first, last in spans:
            if first > last:
                continue
            if event == "refund_date":
                plan.append([event, first.isoformat(), last.isoformat(), None])
                continue
            self.where = f"counting {event} {first}..{last}"
            for a, b, rows in self.client.order_windows(first, last, date_type=event):
                if rows:
                    plan.append([event, a.isoformat(), b.isoformat(), rows])
        return plan

    def sync_orders(self) -> None:
        cursor = self._cursor("orders")
        run = cursor.get("run")
        if run is None:
            run = {"until": self.today().isoformat(), "plan": self._order_plan(cursor), "step": 0, "offset": 0}
            with self.engine.begin() as conn:
                save_cursor(conn, self.mall, "orders", {**cursor, "run": run})
        plan = run["plan"]
        self.progress.phase("orders", sum(step[3] or 0 for step in plan))
        # The next page is fetched while this one is written, so the store's write time
        # hides behind the rate limiter's wait instead of adding to it.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-prefetch") as pool:
            ahead: tuple[int, int, Future[list[m.Order]]] | None = None
            while run["step"] < len(plan):
                event, first, last, _ = plan[run["step"]]
                if event == "refund_date":
                    self._refunded_orders(cursor, run, date.fromisoformat(first), date.fromisoformat(last))
                    continue
                self.where = f"{event} {first}..{last}, offset {run['offset']}"
                if ahead is not None and ahead[:2] == (run["step"], run["offset"]):
                    page = ahead[2].result()
                else:
                    page = self._order_page(plan, run["step"], run["offset"])
                ahead = None
                more = len(page) == ORDERS.limit
                if more and run["offset"] + ORDERS.limit > ORDERS.max_offset:
                    raise PagingLimitError("a window grew past the offset cap while paging; run the sync again",
                                           endpoint="GET /api/v2/admin/orders")
                run = {**run, "step": run["step"] + (0 if more else 1),
                       "offset": run["offset"] + ORDERS.limit if more else 0}
                if event in CLAIM_EVENTS:
                    run = _with_claimed(run, [o.order_id for o in page])
                if run["step"] < len(plan) and plan[run["step"]][0] != "refund_date":
                    ahead = (run["step"], run["offset"],
                             pool.submit(self._order_page, plan, run["step"], run["offset"]))
                self._write_orders(page, {**cursor, "run": run})
        self._restored_coupons(run.get("claimed", []))
        with self.engine.begin() as conn:
            save_cursor(conn, self.mall, "orders", {"last_run_day": run["until"]})

    def _order_page(self, plan: list[list[Any]], step: int, offset: int) -> list[m.Order]:
        event, first, last, _ = plan[step]
        return self.client.list_orders(date.fromisoformat(first), date.fromisoformat(last), date_type=event,
                                       offset=offset, limit=ORDERS.limit, embed=("items",))

    def _refunded_orders(self, cursor: dict[str, Any], run: dict[str, Any], first: date, last: date) -> None:
        ids: list[str] = []
        self.where = f"refunds {first}..{last}"
        for page in self.client.iter_refunds(first, last):
            ids += [x.order_id for x in page.items]
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), MAX_LIST_VALUES):
            chunk = unique[start : start + MAX_LIST_VALUES]
            self.where = f"refunded orders {start + 1}-{start + len(chunk)} of {len(unique)}"
            orders = self.client.orders_by_id(chunk, embed=("items",))
            last_chunk = start + MAX_LIST_VALUES >= len(unique)
            run.update(_with_claimed(run, chunk))
            next_run = {**run, "step": run["step"] + 1, "offset": 0} if last_chunk else run
            self._write_orders(orders, {**cursor, "run": next_run})
        run["step"] += 1
        run["offset"] = 0
        if not unique:
            with self.engine.begin() as conn:
                save_cursor(conn, self.mall, "orders", {**cursor, "run": run})

    def _restored_coupons(self, order_ids: Sequence[str]) -> None:
        """Re-read the coupons used on orders canceled or returned in this run: Cafe24 may have given them back.

        A coupon restored on cancellation is unused again, with nothing newer to
        page to; only its issue record says so. ``GET /orders/coupons`` names
        the coupons used on each order; the member's issues of each are read
        again (and upserted: a restored one loses its ``used_at``).
        """
        if not order_ids:
            return
        self.where = f"coupons used on {len(order_ids)} canceled or returned orders"
        used = self.client.order_coupons(order_ids)
        wanted = sorted({u.order_id for u in used})
        members: dict[str, str] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                found = conn.execute(select(s.orders.c.order_id, s.orders.c.member_id)
                                     .where(s.orders.c.order_id.in_(chunk), s.orders.c.member_id.is_not(None)))
                members.update({str(order_id): str(member) for order_id, member in found})
        pairs = sorted({(u.coupon_code, members[u.order_id]) for u in used if u.order_id in members})
        for index, (coupon_no, member_id) in enumerate(pairs, 1):
            self.where = f"coupon {coupon_no}, restored issues {index} of {len(pairs)}"
            issues = [i for page in self.client.iter_coupon_issues(coupon_no, member_id=member_id) for i in page]
            rows = [mapping.customer_coupon(i) for i in issues]
            self._commit("orders", "orders", None, _upserting(s.customer_coupons, rows), 0)

    def _write_orders(self, orders: list[m.Order], cursor: dict[str, Any]) -> None:
        heads, items, payments = mapping.all_order_rows(orders)
        ids = [h.order_id for h in heads]

        def write(conn: Any) -> Changes:
            changes = upsert(conn, s.orders, heads)
            changes += upsert(conn, s.order_items, items)
            changes.deleted += delete_missing(conn, s.order_items, "order_id", ids,
                                              [i.order_item_code for i in items], "order_item_code")
            changes += upsert(conn, s.order_payments, payments)
            changes.deleted += delete_pairs_missing(conn, s.order_payments, "order_id", ids,
                                                    {(p.order_id, p.payment_method) for p in payments},
                                                    "payment_method")
            return changes

        self._commit("orders", "orders", cursor, write, len(heads))
