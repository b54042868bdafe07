"""The sandbox's own tables: what Cafe24 and Sellmate know that the canonical store does not.

Per-item statuses, claim codes, receivers, shipments, products, variants,
stock, restock dates and packing merges are derived once from the store's
rows (:mod:`.derive`) and kept here, so writes through the sandbox (cancel,
address change, return request) persist across restarts. All tables are
prefixed ``sandbox_`` and live in their own :class:`MetaData`; the seven
canonical tables are only ever read.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, DateTime, Integer, MetaData, Numeric, String, Table, Text

sandbox_metadata = MetaData()
Money = Numeric(14, 2, asdecimal=True)
Stamp = DateTime(timezone=False)

sandbox_orders = Table(
    "sandbox_orders",
    sandbox_metadata,
    Column("order_id", String(64), primary_key=True),
    Column("member_id", String(64), nullable=True),
    Column("ordered_at", Stamp, nullable=False),
    Column("payment_methods", String(255), nullable=False),
    Column("payment_amount", Money, nullable=False),
    Column("order_price_amount", Money, nullable=False),
    Column("shipping_fee", Money, nullable=False),
    Column("initial_payment_amount", Money, nullable=False),
    Column("initial_order_price_amount", Money, nullable=False),
    Column("initial_shipping_fee", Money, nullable=False),
    Column("pay_date", Stamp, nullable=True),
    Column("cancel_date", Stamp, nullable=True),
    Column("return_complete_date", Stamp, nullable=True),
    Column("refund_date", Stamp, nullable=True),
    Column("buyer_name", String(255), nullable=True),
    Column("buyer_email", String(255), nullable=True),
    Column("buyer_cellphone", String(32), nullable=True),
)

sandbox_order_items = Table(
    "sandbox_order_items",
    sandbox_metadata,
    Column("order_item_code", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("item_no", Integer, nullable=False),
    Column("product_no", BigInteger, nullable=False),
    Column("variant_code", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("price", Money, nullable=False),
    Column("option_price", Money, nullable=False),
    Column("status", String(8), nullable=False),
    Column("shipping_code", String(64), nullable=True),
    Column("tracking_no", String(64), nullable=True),
    Column("claim_code", String(64), nullable=True),
    Column("shipped_date", Stamp, nullable=True),
    Column("delivered_date", Stamp, nullable=True),
    Column("cancel_date", Stamp, nullable=True),
    Column("return_request_date", Stamp, nullable=True),
    Column("exchange_request_date", Stamp, nullable=True),
    Column("refund_date", Stamp, nullable=True),
)

sandbox_receivers = Table(
    "sandbox_receivers",
    sandbox_metadata,
    Column("shipping_code", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("phone", String(32), nullable=True),
    Column("cellphone", String(32), nullable=True),
    Column("zipcode", String(16), nullable=False),
    Column("address1", String(255), nullable=False),
    Column("address2", String(255), nullable=False),
)

sandbox_products = Table(
    "sandbox_products",
    sandbox_metadata,
    Column("product_no", BigInteger, primary_key=True, autoincrement=False),
    Column("product_code", String(16), nullable=False),
    Column("name", String(255), nullable=False),
    Column("price", Money, nullable=False),
)

sandbox_variants = Table(
    "sandbox_variants",
    sandbox_metadata,
    Column("variant_code", String(32), primary_key=True),
    Column("product_no", BigInteger, nullable=False, index=True),
    Column("option_value", String(64), nullable=False),
    Column("additional_amount", Money, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("restock_date", Date, nullable=True),
)

sandbox_packing = Table(
    "sandbox_packing",
    sandbox_metadata,
    Column("order_id", String(64), primary_key=True),
    Column("pack_no", String(64), nullable=False),
)

sandbox_claims = Table(
    "sandbox_claims",
    sandbox_metadata,
    Column("claim_code", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("detail", Text, nullable=False),
)

#: The order an issued coupon was used on, and when a cancellation gave it back
#: (``restored_at``: the issue is then served unused, without ``related_order_id``).
sandbox_issue_orders = Table(
    "sandbox_issue_orders",
    sandbox_metadata,
    Column("issue_no", BigInteger, primary_key=True, autoincrement=False),
    Column("order_id", String(64), nullable=True),
    Column("restored_at", Stamp, nullable=True),
)

#: Members who left the mall: Cafe24 no longer returns them, their carts or their coupons.
sandbox_withdrawn = Table(
    "sandbox_withdrawn",
    sandbox_metadata,
    Column("member_id", String(64), primary_key=True),
    Column("withdrawn_at", Stamp, nullable=False),
)

#: OAuth grants, the refresh tokens they rotated away and the access tokens issued, as SHA-256
#: hashes (:mod:`.oauth`): a restarted sandbox honours what it handed out.
sandbox_oauth_grants = Table(
    "sandbox_oauth_grants",
    sandbox_metadata,
    Column("grant_id", Integer, primary_key=True, autoincrement=False),
    Column("refresh_hash", String(64), nullable=False, unique=True),
    Column("refresh_expires", Stamp, nullable=False),
)

sandbox_oauth_retired = Table(
    "sandbox_oauth_retired",
    sandbox_metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("grant_id", Integer, nullable=False),
)

sandbox_oauth_access = Table(
    "sandbox_oauth_access",
    sandbox_metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("grant_id", Integer, nullable=False),
    Column("expires", Stamp, nullable=False),
)

sandbox_meta = Table(
    "sandbox_meta",
    sandbox_metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)
