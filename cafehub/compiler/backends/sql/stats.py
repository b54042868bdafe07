"""What the compiler may know of a store's data, to choose a plan shape from it.

A plan that is fastest on one shop can be several times slower on another
(docs/SQL.md, "Compiled SQL against the best hand-written SQL"): whether
``order(status = paid).count >= 3 and no order(ordered_at within last 60d)``
is faster as one pass over every order or as a probe of every customer's
last 60 days first depends on how many orders belong to customers who did
order recently. :class:`StoreStats` holds a small sample of customers'
order histories, taken through the ``(member_id, ordered_at)`` index
(:func:`cafehub.execution.stats.store_stats` gathers and caches it per
store), and answers such questions. The compiler reads it only to choose
between shapes that return the same rows; without statistics it plans as
before, and for given statistics it always plans the same.

It may also hold counts of the rows in a short range on an indexed column
(:class:`RangeRows`: the coupons expiring in the next day), from which the
compiler chooses between reading that index range and probing every customer.
"""

from __future__ import annotations

from dataclasses import dataclass

#: How much a probe of one customer costs against reading one order row (SQLite, CPU time,
#: fitted on the benchmark's five shops at 100k customers: 1.2 to 2.3; docs/SQL.md).
PROBE_COST = 1.5
#: A probe-first plan is chosen only where it is estimated this much cheaper (a margin for the model).
PROBE_FIRST_BELOW = 0.9

#: A short range's plans (:meth:`StoreStats.exists_rather_than_range`), in units of one row of the
#: collection's table read in the member index's order (SQLite, CPU time, fitted on the benchmark's
#: five shops at 100k customers; docs/SQL.md): probing one customer's rows through the member index,
#: and reading one row of the range from the column's index (a lookup of its table row out of order,
#: then the row de-duplicated).
RANGE_CUSTOMER_COST = 1.5
RANGE_ROW_COST = 12.0
#: ``EXISTS`` per customer is chosen only where it is estimated this much cheaper than the range.
EXISTS_BELOW = 0.9


@dataclass(frozen=True, slots=True)
class RangeRows:
    """How many rows of a collection's table have ``field`` from ``lower`` to ``upper`` seconds after
    the statistics' reference, counted through the column's index, with the table's rows and the
    customers (largest row ids). ``rows`` stops at ``capped`` (a count above it changes no choice)."""

    collection: str
    field: str
    lower: int
    upper: int
    rows: int
    table_rows: int
    customers: int
    capped: bool = False

    def exists_ratio(self) -> float | None:
        """Estimated cost of ``EXISTS`` per customer against reading the range (``None``: an empty
        range, which the range answers at once)."""
        if self.rows == 0:
            return None
        return (RANGE_CUSTOMER_COST * self.customers + self.table_rows) / (RANGE_ROW_COST * self.rows)


def range_cap(table_rows: int, customers: int) -> int:
    """The count above which :meth:`RangeRows.exists_ratio` is below :data:`EXISTS_BELOW` whatever the
    exact figure: counting stops there, so gathering reads at most that many index entries."""
    return int((RANGE_CUSTOMER_COST * customers + table_rows) / (RANGE_ROW_COST * EXISTS_BELOW)) + 1


#: PostgreSQL fences an absence probe (:meth:`StoreStats.fence_probe`) where the driver's products'
#: rows are at most this share of the probed table's rows: on the dense shop the two plans were even
#: at 1.9% for an order-line driver (all its rows are candidates); a cart driver's count also holds
#: rows outside the cart's retention (cart of product 17: 9,041 rows, 4,493 in retention, 1.7% of
#: the orders, 2x faster fenced; demo shop 1.9%, 2.1x).
FENCE_SHARE = 0.02


def fence_cap(table_rows: int) -> int:
    """The count of a product's rows above which :meth:`StoreStats.fence_probe` is false whatever the
    exact figure, for a probed table of ``table_rows`` rows: counting stops there."""
    return int(FENCE_SHARE * table_rows) + 1


@dataclass(frozen=True, slots=True)
class StoreStats:
    """A sample of customers and their orders, relative to ``reference`` (an instant as UTC text).

    ``orders`` holds, per sampled customer, how many orders it has up to the reference
    and how many seconds before the reference its last one was (``None``: no order).
    The sample is of customers (by position, evenly spread), so means over it are means
    over customers.
    """

    reference: str
    orders: tuple[tuple[int, int | None], ...]
    product_lines: tuple[tuple[int, int], ...] = ()
    """(product number, order lines of it) for the products a segment names, counted through the
    ``product_no`` index; empty when not gathered."""
    ranges: tuple[RangeRows, ...] = ()
    """Rows in the short ranges a segment names (``coupon(expires_at within next 1d)``); empty when
    not gathered."""
    table_rows: tuple[tuple[str, int], ...] = ()
    """(logical table, rows) of the tables a probe reads, as the engine estimates them (PostgreSQL's
    ``pg_class.reltuples``); empty when not gathered."""
    product_rows: tuple[tuple[str, int, int], ...] = ()
    """(collection, product number, rows) for the products a segment's cart and order tests name:
    cart rows, or order lines, of the product whatever their time, counted through the
    ``product_no`` index up to :func:`fence_cap` (a count above it changes no choice)."""

    def fence_probe(self, driver: str, products: tuple[object, ...], probed: str) -> bool:
        """Whether an absence test on table ``probed``, checked per key of a driving test on
        collection ``driver`` naming ``products``, is cheaper fenced into one probe per key
        (PostgreSQL's ``fenced_probe``) than as the anti-join PostgreSQL would choose.

        Unfenced, PostgreSQL hashes the probed table's rows in the window from a sequential scan of
        the whole table (nothing indexes the window alone); fenced, it probes the member index
        once per driver row. The driver's rows are at most its products' rows (their time
        ignored). Measured on the dense shop (530k orders, ``no order(ordered_at within last
        3d)``): drivers of 0.7% and 1.2% of the orders' rows 2.0x and 1.7x faster fenced, 1.9%
        even, 3.1% and 6.4% 1.06x and 1.15x slower, 17% 2.1x slower. Unknown counts: no fence.
        """
        total = dict(self.table_rows).get(probed)
        if not total or not products:
            return False
        known = {(collection, product): rows for collection, product, rows in self.product_rows}
        counts = [known.get((driver, p)) if isinstance(p, int) else None for p in products]
        if any(n is None for n in counts):
            return False
        return sum(n for n in counts if n is not None) <= FENCE_SHARE * total

    def exists_rather_than_range(self, collection: str, field: str, lower: int, upper: int) -> bool:
        """Whether a presence test on a short range of an indexed column (``coupon(expires_at within
        next 1d)``) is cheaper as ``EXISTS`` per customer, through the member index, than as the
        ``DISTINCT`` member ids of the range read from the column's index.

        The range reads each of its rows' table row out of the table's order (SQLite's page cache
        holds little of it), then de-duplicates the member id: about 3 µs a row at 100k customers.
        ``EXISTS`` probes every customer and reads its rows in the table's order: about 0.4 µs a
        customer and 0.25 µs a row. On the recent shop a day of expiries is 101k of 799k coupon
        rows (41% of the customers): the range 306 ms, ``EXISTS`` 224 ms; half a day, 154 against
        235 ms; on the other shops the range is 1-7% of the rows (``EXISTS`` 6x-450x slower).
        Unknown counts: the range.
        """
        for found in self.ranges:
            if (found.collection, found.field, found.lower, found.upper) == (collection, field, lower, upper):
                ratio = found.exists_ratio()
                return found.capped or (ratio is not None and ratio < EXISTS_BELOW)
        return False

    def lines(self, products: tuple[object, ...]) -> int | None:
        """Order lines of any of ``products`` (``None`` when one of them was not counted)."""
        known = dict(self.product_lines)
        found = [known.get(p) if isinstance(p, int) else None for p in products]
        return None if any(n is None for n in found) else sum(n for n in found if n is not None)

    def probe_rather_than_key_set(self, driver: tuple[object, ...], own: tuple[object, ...]) -> bool:
        """Whether a presence test on products ``own`` is cheaper probed per candidate of a driver on
        products ``driver`` than as a key set of every customer with ``own``'s lines.

        The candidates are at most the driver's lines; the key set reads all of ``own``'s. Where the
        driver has more lines (cross-sell on the demo and dense shops: 31k and 88k lines of A, 9k and
        6k of B) the key set was 1.2x faster; where it has fewer (recent: 22k against 61k; heavy:
        354 against 4,423) the probe was 1.5x-5x faster. Unknown counts: the probe.
        """
        first, second = self.lines(driver), self.lines(own)
        return first is None or second is None or first < second

    def probe_first_ratio(self, window_seconds: int) -> float | None:
        """Estimated cost of probing every customer's last ``window_seconds`` first (and counting
        the orders of those without one) against one pass over every order; ``None`` when the
        sample is empty or has no orders.

        Per customer, the probe costs :data:`PROBE_COST` order rows and then the rows of a
        customer with no order in the window; the pass reads every order once.
        """
        if not self.orders:
            return None
        total = sum(count for count, _ in self.orders)
        if total == 0:
            return None
        lapsed = sum(count for count, age in self.orders if age is None or age > window_seconds)
        return (PROBE_COST * len(self.orders) + lapsed) / total
