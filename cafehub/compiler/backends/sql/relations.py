"""The collections as relations: which tables, which rows, which columns.

This is the SQL reading of STORE.md's "a segment's rows for one customer":

- ``coupon``: ``customer_coupons`` LEFT JOIN ``coupons`` on ``coupon_no`` (a
  coupon whose definition is missing keeps null ``name``/``issue_type``),
  unused, issued at or before ``now``, expiring at or after it. The join is
  only made when the segment reads ``name`` or ``issue_type``.
- ``cart``: ``cart_items`` added within the retention, up to ``now``.
- ``order``: ``orders`` from the history start up to ``now``; the set-valued
  ``product`` and ``payment_method`` are rows of ``order_items`` and
  ``order_payments`` keyed by ``order_id``.

Names are logical here and become physical through the
:class:`~cafehub.compiler.backends.sql.mapping.SchemaMapping`; every
identifier is quoted when printed. The tables and columns used are recorded
so that a runner can check they exist before running the query.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from cafehub.compiler import ir
from cafehub.compiler.backends.sql.dialects import SqlDialect
from cafehub.compiler.backends.sql.mapping import SchemaMapping
from cafehub.compiler.backends.sql.params import ContextBound, TimeForm
from cafehub.compiler.backends.sql.values import Exact, Predicates, Rep, Scaled, Text, Time, cast, paren
from cafehub.compiler.catalog import Collection, FieldDef, Kind
from cafehub.grammar.syntax import CmpOp

#: Aliases, fixed per logical table. Subqueries never nest a table inside itself,
#: except the element join of an aggregate, which has its own alias.
ALIASES: dict[str, str] = {
    "customers": "c",
    "customer_coupons": "cc",
    "coupons": "cd",
    "cart_items": "ci",
    "orders": "o",
    "order_items": "oi",
    "order_payments": "op",
}
ELEMENT_JOIN_ALIAS = "el"


@dataclass(frozen=True, slots=True)
class Source:
    """How a collection's rows are read: its main table, its member column, its own window."""

    table: str
    member_column: str
    lower: ContextBound | None
    upper: ContextBound
    time_column: str


SOURCES: dict[Collection, Source] = {
    Collection.COUPON: Source("customer_coupons", "member_id", None, ContextBound.NOW, "issued_at"),
    Collection.CART: Source("cart_items", "member_id", ContextBound.CART_START, ContextBound.NOW, "added_at"),
    Collection.ORDER: Source("orders", "member_id", ContextBound.HISTORY_START, ContextBound.NOW, "ordered_at"),
}


@dataclass(frozen=True, slots=True)
class Column:
    """A field stored in one column.

    ``selective`` says whether an equality on it usually picks out few rows (a product
    number among thousands, a coupon number, an order id): the planner drives a
    conjunction from such a test and merges tests only when they share one.
    """

    table: str
    column: str
    selective: bool = False
    narrow_range: bool = False
    """Whether a short range around now on it (a day or less: ``expires_at within next
    1d``) usually picks out few rows, found from the column's own index."""


#: The longest range :func:`is_narrow_range` counts as picking out few rows. A day: on the
#: demo shop (100k customers) a day of coupon expiries is 0.9% of customers and joining
#: from the index is 4x faster on PostgreSQL; a week is 28% of them, and 1.1x slower.
NARROW_RANGE_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class Amount:
    """``cart.amount``: ``(price + option_price) * quantity``."""


@dataclass(frozen=True, slots=True)
class Elements:
    """A set-valued field: rows of ``table`` whose ``key`` is the order's ``order_id``.

    ``selective`` says whether one value usually picks out few rows (products: thousands
    of values) or many (payment methods: sixteen); the plan shape is chosen on it.
    """

    table: str
    key: str
    column: str
    selective: bool


FieldSource = Column | Amount | Elements

FIELD_SOURCES: dict[tuple[Collection, str], FieldSource] = {
    (Collection.COUPON, "coupon_no"): Column("customer_coupons", "coupon_no", selective=True),
    (Collection.COUPON, "name"): Column("coupons", "name"),
    (Collection.COUPON, "issue_type"): Column("coupons", "issue_type"),
    (Collection.COUPON, "issued_at"): Column("customer_coupons", "issued_at"),
    (Collection.COUPON, "expires_at"): Column("customer_coupons", "expires_at", narrow_range=True),
    (Collection.CART, "product"): Column("cart_items", "product_no", selective=True),
    (Collection.CART, "quantity"): Column("cart_items", "quantity"),
    (Collection.CART, "price"): Column("cart_items", "price"),
    (Collection.CART, "option_price"): Column("cart_items", "option_price"),
    (Collection.CART, "amount"): Amount(),
    (Collection.CART, "added_at"): Column("cart_items", "added_at"),
    (Collection.ORDER, "order_id"): Column("orders", "order_id", selective=True),
    (Collection.ORDER, "ordered_at"): Column("orders", "ordered_at"),
    (Collection.ORDER, "status"): Column("orders", "status"),
    (Collection.ORDER, "payment_method"): Elements("order_payments", "order_id", "payment_method", selective=False),
    (Collection.ORDER, "product"): Elements("order_items", "order_id", "product_no", selective=True),
    (Collection.ORDER, "paid_amount"): Column("orders", "paid_amount"),
    (Collection.ORDER, "order_amount"): Column("orders", "order_amount"),
}

def is_selective(node: ir.Node) -> bool:
    """Whether a row condition usually picks out few rows.

    That is "some element is one of these" on a selective set field (``product = 42``),
    or an equality or ``in`` (not negated) on a selective column (``coupon_no = "A"``).
    """
    if isinstance(node, ir.AnyOf):
        elements = FIELD_SOURCES[(node.field.collection, node.field.name)]
        return not node.negated and isinstance(elements, Elements) and elements.selective
    if isinstance(node, ir.Compare):
        picks = node.op is CmpOp.EQ
    elif isinstance(node, ir.InValues):
        picks = not node.negated
    else:
        return False
    field = node.operand
    if not picks or not isinstance(field, FieldDef):
        return False
    column = FIELD_SOURCES[(field.collection, field.name)]
    return isinstance(column, Column) and column.selective


def is_narrow_range(node: ir.Node) -> bool:
    """Whether a row condition is a short range around now on a column indexed for it.

    ``expires_at within next 1d``: both ends relative to now, at most a day apart.
    """
    if not isinstance(node, ir.TimeRange) or node.negated or not isinstance(node.operand, FieldDef):
        return False
    column = FIELD_SOURCES[(node.operand.collection, node.operand.name)]
    if not isinstance(column, Column) or not column.narrow_range:
        return False
    lower, upper = node.lower, node.upper
    if lower is None or upper is None:
        return False
    if not isinstance(lower.point, ir.NowOffset) or not isinstance(upper.point, ir.NowOffset):
        return False
    return upper.point.seconds - lower.point.seconds <= NARROW_RANGE_SECONDS


#: Tables joined (LEFT) to a collection's main table when one of their columns is read.
OPTIONAL_JOINS: dict[str, tuple[str, str]] = {"coupons": ("customer_coupons", "coupon_no")}


def _ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=True)


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _text(value: str) -> exp.Expr:
    return exp.Literal.string(value)


#: SQLite's ``abs`` of the smallest integer raises "integer overflow": an error from SQL.
_OVERFLOW = exp.Anonymous(this="abs", expressions=[exp.Sub(this=exp.Neg(this=exp.Literal.number(2**63 - 1)),
                                                          expression=exp.Literal.number(1))])


def integer_or_fail(product: exp.Expr) -> exp.Expr:
    """SQLite: a product of integers (or a sum of such products) as it is (null when a factor is),
    or an "integer overflow" error where SQLite would have made it a float (beyond 64 bits): never
    a float to compare. A ``SUM`` is a float exactly when one of its terms is, so a sum of
    products is checked once, on the total, rather than on every row (cart totals: 1.1x of
    the plain float sum instead of 1.25x, where the check per row computed each product twice)."""
    test = exp.EQ(this=_fn("typeof", product.copy()), expression=_text("real"))
    return exp.Case(ifs=[exp.If(this=test, true=_OVERFLOW.copy())], default=product)


def _iso_text_as_utc(e: exp.Expr) -> exp.Expr:
    """SQLite: ISO 8601 text (``T`` or space, any fraction, an offset or ``Z``; UTC without
    one) as the store's UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``, which sorts as time does.

    ``strftime`` applies the offset to the whole seconds (given without the fraction, which it
    would round); the fraction is copied from the text (its digits, padded to six), because
    SQLite's own arithmetic keeps only milliseconds. Text SQLite cannot read gives null:
    unknown, as a null timestamp would.
    """
    def rest() -> exp.Expr:  # what follows the seconds, without its "." ("123456+09:00", "Z", "")
        return _fn("ltrim", _fn("substr", e.copy(), exp.Literal.number(20)), _text("."))

    def offset() -> exp.Expr:  # "+09:00", "Z", ""
        return _fn("ltrim", rest(), _text("0123456789"))

    digits = _fn("substr", rest(), exp.Literal.number(1),
                 exp.Sub(this=_fn("length", rest()), expression=_fn("length", offset())))
    fraction = _fn("substr", exp.DPipe(this=digits, expression=_text("000000")), exp.Literal.number(1),
                   exp.Literal.number(6))
    whole = exp.DPipe(this=_fn("substr", e.copy(), exp.Literal.number(1), exp.Literal.number(19)), expression=offset())
    seconds = _fn("strftime", _text("%Y-%m-%d %H:%M:%S"), whole)
    return exp.Paren(this=exp.DPipe(this=exp.DPipe(this=seconds, expression=_text(".")), expression=fraction))


class Relations:
    """Tables, columns and field representations for one compilation."""

    def __init__(self, mapping: SchemaMapping, dialect: SqlDialect, preds: Predicates) -> None:
        self.mapping = mapping
        self.dialect = dialect
        self.preds = preds
        self.used: dict[str, set[str]] = {}

    def table(self, logical: str, alias: str | None = None) -> exp.Table:
        parts = self.mapping.table(logical)
        self.used.setdefault(logical, set())
        args: dict[str, exp.Expr] = {"this": _ident(parts[-1])}
        if len(parts) >= 2:
            args["db"] = _ident(parts[-2])
        if len(parts) == 3:
            args["catalog"] = _ident(parts[0])
        args["alias"] = exp.TableAlias(this=_ident(alias or ALIASES[logical]))
        return exp.Table(**args)

    def column(self, logical_table: str, logical_column: str, alias: str | None = None) -> exp.Column:
        self.used.setdefault(logical_table, set()).add(logical_column)
        physical = self.mapping.column(logical_table, logical_column)
        return exp.Column(this=_ident(physical), table=_ident(alias or ALIASES[logical_table]))

    def member(self, collection: Collection) -> exp.Column:
        source = SOURCES[collection]
        return self.column(source.table, source.member_column)

    def customer_id(self) -> exp.Column:
        return self.column("customers", "member_id")

    def window(self, collection: Collection) -> list[exp.Expr]:
        """The conditions that make a table row one of the customer's collection rows at ``now``."""
        source = SOURCES[collection]
        conditions: list[exp.Expr] = []
        if collection is Collection.COUPON:
            used = self.column("customer_coupons", "used_at")
            conditions.append(exp.Is(this=used, expression=exp.Null()))
            conditions.append(self.preds.within(self.time("customer_coupons", "issued_at"), None, ContextBound.NOW))
            conditions.append(self.preds.within(self.time("customer_coupons", "expires_at"), ContextBound.NOW, None))
            return conditions
        time = self.time(source.table, source.time_column)
        conditions.append(self.preds.within(time, source.lower, source.upper))
        return conditions

    def time(self, logical_table: str, logical_column: str, alias: str | None = None) -> Time:
        """A timestamp column, as a value its bounds can be compared with exactly (see
        :class:`~cafehub.compiler.backends.sql.params.TimeForm`): what the column holds
        comes from the mapping, how such a column is compared from the dialect."""
        column = self.column(logical_table, logical_column, alias)
        if self.mapping.time_kind(logical_table, logical_column) == "utc":
            return Time(column, TimeForm.NAIVE)
        zoned = self.dialect.zoned_times
        if zoned == "epoch":
            return Time(_fn("UNIX_TIMESTAMP", column), TimeForm.EPOCH)
        if zoned == "iso_text":
            return Time(_iso_text_as_utc(column), TimeForm.NAIVE)
        return Time(column, TimeForm.AWARE)

    def joins(self, collection: Collection, fields: set[FieldDef]) -> list[exp.Join]:
        """LEFT JOINs needed to read ``fields`` (only the coupon definitions, when named)."""
        needed = {src.table for f in fields if isinstance(src := FIELD_SOURCES[(f.collection, f.name)], Column)}
        result: list[exp.Join] = []
        for table, (main, key) in OPTIONAL_JOINS.items():
            if table in needed and main == SOURCES[collection].table:
                on = self.key_equal(self.column(table, key), self.column(main, key))
                result.append(exp.Join(this=self.table(table), on=on, side="LEFT"))
        return result

    def key_equal(self, left: exp.Expr, right: exp.Expr) -> exp.Expr:
        """Equality of two text keys, exact on every engine."""
        return self.preds.text_equal(left, right)

    def not_null(self, e: exp.Expr) -> exp.Expr:
        """``NOT e IS NULL``, or ``e IS NOT NULL`` where the dialect asks for it: SQLite ranges an
        index over the latter (skipping the guest orders' null member ids) and reads the former as
        a filter on every row (1.5x on a shop with more guest orders than member orders)."""
        if self.dialect.is_not_null:
            return exp.Is(this=e, expression=exp.Not(this=exp.Null()))
        return exp.Not(this=exp.Is(this=e, expression=exp.Null()))

    # ------------------------------------------------------------ fields

    def rep(self, field: FieldDef, alias: str | None = None, *, summed: bool = False) -> Rep:
        """The representation of a scalar field (or of one element of a set field, via ``alias``).

        ``summed``: the value is only ever summed, and the caller checks the sum with
        :meth:`checked_sum` (SQLite's cart ``amount`` is then not checked on each row).
        """
        source = FIELD_SOURCES[(field.collection, field.name)]
        kind = field.type.kind
        if isinstance(source, Amount):
            return self.amount(checked=not summed)
        e: exp.Expr = self.column(source.table, source.column, alias)
        if kind is Kind.MONEY:
            return self.money(e)
        if kind is Kind.INT:
            return Scaled(e, 0)
        if kind is Kind.DECIMAL:
            return Exact(e)
        if kind is Kind.TIMESTAMP:
            return self.time(source.table, source.column, alias)
        return Text(e)

    def checked_sum(self, field: FieldDef, total: exp.Expr) -> exp.Expr:
        """``total``, a ``SUM`` of ``field`` read with ``summed=True``, checked for 64 bits where its
        terms were not (SQLite's cart ``amount``: an error where a product left them)."""
        source = FIELD_SOURCES[(field.collection, field.name)]
        return integer_or_fail(total) if isinstance(source, Amount) and not self.dialect.exact_decimals else total

    def amount(self, *, checked: bool = True) -> Scaled | Exact:
        """``(price + option_price) * quantity``, exact: integer cents on SQLite, where a product
        beyond 64 bits (which SQLite would turn into a float) is an error instead (``checked``;
        otherwise the caller checks the sum of the products, :meth:`checked_sum`); elsewhere a
        decimal product, computed wide where the engine needs telling (DuckDB)."""
        price = self.money(self.column("cart_items", "price"))
        option = self.money(self.column("cart_items", "option_price"))
        quantity: exp.Expr = self.column("cart_items", "quantity")
        unit = exp.Paren(this=exp.Add(this=paren(price.expr), expression=paren(option.expr)))
        if isinstance(price, Scaled):
            product = exp.Mul(this=unit, expression=quantity)
            return Scaled(integer_or_fail(product) if checked else product, price.scale)
        if self.dialect.wide_factor_type is not None:
            quantity = cast(quantity, self.dialect.wide_factor_type)
        return Exact(exp.Mul(this=unit, expression=quantity))

    def money(self, e: exp.Expr) -> Scaled | Exact:
        if self.dialect.exact_decimals:
            return Exact(e)
        cents = exp.Round(this=exp.Mul(this=e, expression=exp.Literal.number(100)))
        return Scaled(cast(cents, "INTEGER"), 2)

    def elements(self, field: FieldDef) -> Elements:
        source = FIELD_SOURCES[(field.collection, field.name)]
        if not isinstance(source, Elements):
            raise TypeError(f"{field} is not set-valued")
        return source
