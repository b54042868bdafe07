"""The demo shop's fixed facts: products, coupon definitions, names, calendar and habits.

A small Korean lifestyle shop (clothing, beauty, home goods) selling in KRW,
with some Japanese and English-speaking customers. Everything here is
static, so product and coupon numbers mean the same in every generated shop
whatever the seed; the example segments (:mod:`cafehub.demo.segments`) rely
on that. The randomness lives in :mod:`cafehub.demo.generator`.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- products


@dataclass(frozen=True, slots=True)
class Product:
    """One catalogue entry: a price in KRW, optional surcharged options, and how it sells."""

    no: int
    name: str
    category: str
    price: int
    #: (option, surcharge in KRW); the first option is the default one.
    options: tuple[tuple[str, int], ...] = (("default", 0),)
    #: relative popularity (bestsellers high)
    weight: float = 1.0
    #: days after which a satisfied buyer typically buys it again (consumables only)
    cycle_days: int | None = None


_SIZES = (("S", 0), ("M", 0), ("L", 0), ("XL", 2_000))
_COLOURS = (("black", 0), ("ivory", 0), ("navy", 0), ("limited colour", 3_000))
_WRAP = (("no wrapping", 0), ("gift wrapping", 2_000))
_SETS = (("single", 0), ("set of 2", 9_000))

PRODUCTS: tuple[Product, ...] = (
    Product(1, "Linen Shirt", "tops", 39_000, _SIZES, 3.0),
    Product(2, "Oxford Shirt", "tops", 45_000, _SIZES, 2.0),
    Product(3, "Cotton T-Shirt", "tops", 19_900, _SIZES, 5.0),
    Product(4, "Striped Long Sleeve", "tops", 29_000, _SIZES, 2.0),
    Product(5, "Cable Knit Sweater", "tops", 59_000, _SIZES, 1.5),
    Product(6, "Hooded Sweatshirt", "tops", 49_000, _SIZES, 2.0),
    Product(7, "Wide Denim Pants", "bottoms", 55_000, _SIZES, 2.5),
    Product(8, "Chino Pants", "bottoms", 42_000, _SIZES, 1.5),
    Product(9, "Pleated Skirt", "bottoms", 39_900, _SIZES, 1.2),
    Product(10, "Jogger Pants", "bottoms", 32_000, _SIZES, 1.8),
    Product(11, "Wool Coat", "outer", 219_000, _SIZES, 0.6),
    Product(12, "Light Down Jacket", "outer", 129_000, _SIZES, 0.9),
    Product(13, "Trench Coat", "outer", 189_000, _SIZES, 0.5),
    Product(14, "Denim Jacket", "outer", 79_000, _SIZES, 0.8),
    Product(15, "Canvas Tote Bag", "bags", 25_000, _COLOURS, 2.2),
    Product(16, "Leather Crossbody Bag", "bags", 98_000, _COLOURS, 0.7),
    Product(17, "Daily Hand Cream 50ml", "beauty", 12_900, _SETS, 9.0, cycle_days=45),
    Product(18, "Lip Balm", "beauty", 8_900, _SETS, 4.0, cycle_days=60),
    Product(19, "Sunscreen SPF50+", "beauty", 18_900, _SETS, 5.0, cycle_days=50),
    Product(20, "Cleansing Foam", "beauty", 15_900, _SETS, 4.0, cycle_days=40),
    Product(21, "Sheet Mask (10 pack)", "beauty", 19_800, _SETS, 3.5, cycle_days=30),
    Product(22, "Vitamin Serum", "beauty", 32_000, _SETS, 2.5, cycle_days=60),
    Product(23, "Body Lotion 300ml", "beauty", 22_000, _SETS, 2.0, cycle_days=70),
    Product(24, "Shampoo 500ml", "beauty", 17_500, _SETS, 2.5, cycle_days=50),
    Product(25, "Ceramic Mug", "home", 14_000, _WRAP, 2.0),
    Product(26, "Linen Bedding Set", "home", 149_000, (("single", 0), ("queen", 30_000), ("king", 50_000)), 0.5),
    Product(27, "Scented Candle", "home", 24_000, _WRAP, 2.5),
    Product(28, "Cotton Bath Towel", "home", 16_000, _WRAP, 2.0),
    Product(29, "Glass Tumbler (2 pack)", "home", 18_000, _WRAP, 1.3),
    Product(30, "Cushion Cover", "home", 21_000, _COLOURS, 1.1),
    Product(31, "Room Spray", "home", 19_000, _WRAP, 1.6, cycle_days=75),
    Product(32, "Wool Socks (3 pack)", "accessories", 12_000, _COLOURS, 3.0),
    Product(33, "Knit Beanie", "accessories", 19_000, _COLOURS, 1.4),
    Product(34, "Silk Scarf", "accessories", 45_000, _COLOURS, 0.8),
    Product(35, "Leather Belt", "accessories", 38_000, _SIZES, 0.7),
    Product(36, "Silver Ring", "accessories", 58_000, (("size 9", 0), ("size 11", 0), ("size 13", 0)), 0.6),
    Product(37, "Canvas Sneakers", "shoes", 69_000, (("230", 0), ("250", 0), ("270", 0), ("290", 3_000)), 1.4),
    Product(38, "Leather Loafers", "shoes", 119_000, (("230", 0), ("250", 0), ("270", 0)), 0.6),
    Product(39, "Slides", "shoes", 29_000, (("230", 0), ("250", 0), ("270", 0)), 1.2),
    Product(40, "Rain Boots", "shoes", 65_000, (("230", 0), ("250", 0), ("270", 0)), 0.5),
    Product(41, "Foam Cleanser Refill", "beauty", 11_900, _SETS, 2.0, cycle_days=40),
    Product(42, "Hydrating Toner 200ml", "beauty", 28_000, _SETS, 7.0, cycle_days=60),
    Product(43, "Hydrating Toner Refill 200ml", "beauty", 21_000, _SETS, 2.0, cycle_days=60),
    Product(44, "Moisture Cream 50ml", "beauty", 34_000, _SETS, 3.0, cycle_days=70),
    Product(45, "Eye Cream", "beauty", 38_000, _SETS, 1.2, cycle_days=90),
    Product(46, "Travel Pouch", "bags", 15_000, _COLOURS, 1.5),
    Product(47, "Backpack", "bags", 89_000, _COLOURS, 0.8),
    Product(48, "Gift Card Envelope", "accessories", 1_000, (("default", 0),), 0.8),
    Product(49, "Summer Linen Dress", "tops", 69_000, _SIZES, 1.2),
    Product(50, "Padded Vest", "outer", 89_000, _SIZES, 0.7),
)

PRODUCT_BY_NO = {p.no: p for p in PRODUCTS}

#: Free shipping from this order amount; below it the flat fee.
FREE_SHIPPING_FROM = 50_000
SHIPPING_FEE = 3_000
REMOTE_SURCHARGE = 3_000  # Jeju and islands

# ---------------------------------------------------------------- coupons


@dataclass(frozen=True, slots=True)
class CouponDef:
    """A coupon definition (the ``coupons`` row) and how it is issued and used."""

    coupon_no: str
    name: str
    issue_type: str
    #: fixed discount in KRW, or a percentage of the order amount
    amount: int = 0
    percent: int = 0
    max_discount: int = 0
    min_order: int = 0
    #: days the coupon stays valid after issue (until the end of that day, shop time)
    valid_days: int = 30


def _coupon_no(index: int) -> str:
    return f"607{index:016d}"


#: Issued-coupon numbers are 19 digits in Cafe24 (``6073442924700000532``); the demo's count up from here.
ISSUE_NO_BASE = 6_073_442_924_700_000_000


# fmt: off
COUPONS: tuple[CouponDef, ...] = (
    CouponDef(_coupon_no(1), "신규가입 10% 할인 쿠폰", "signup", percent=10, max_discount=10_000, valid_days=30),
    CouponDef(_coupon_no(2), "Welcome 3,000원", "signup", amount=3_000, min_order=20_000, valid_days=14),
    CouponDef(_coupon_no(3), "생일 축하 15% 쿠폰", "anniversary", percent=15, max_discount=20_000, valid_days=30),
    CouponDef(_coupon_no(4), "가입 1주년 5,000원", "anniversary", amount=5_000, min_order=30_000, valid_days=30),
    CouponDef(
        _coupon_no(5), "배송완료 감사 2,000원", "delivery_complete", amount=2_000, min_order=20_000, valid_days=14
    ),
    CouponDef(_coupon_no(6), "포토리뷰 감사 3,000원", "review", amount=3_000, min_order=30_000, valid_days=30),
    CouponDef(_coupon_no(7), "다음 주문 5% 할인", "order_complete", percent=5, max_discount=5_000, valid_days=30),
    CouponDef(_coupon_no(8), "10개 구매 달성 10,000원", "purchase_quantity", amount=10_000, min_order=50_000),
    CouponDef(_coupon_no(9), "첫 구매 감사 5,000원", "first_purchase", amount=5_000, min_order=30_000, valid_days=30),
    CouponDef(_coupon_no(10), "SUMMER SALE 15%", "all_members", percent=15, max_discount=15_000, valid_days=14),
    CouponDef(_coupon_no(11), "블랙프라이데이 20% 쿠폰", "all_members", percent=20, max_discount=30_000, valid_days=12),
    CouponDef(_coupon_no(12), "연말 감사 10,000원", "all_members", amount=10_000, min_order=70_000, valid_days=20),
    CouponDef(
        _coupon_no(13), "시즌오프 여름 세일 5,000원", "all_members", amount=5_000, min_order=40_000, valid_days=14
    ),
    CouponDef(_coupon_no(14), "VIP 감사 15,000원", "targeted", amount=15_000, min_order=100_000, valid_days=21),
    CouponDef(_coupon_no(15), "장바구니 리마인드 7%", "targeted", percent=7, max_discount=7_000, valid_days=7),
    CouponDef(_coupon_no(16), "다시 만나요 5,000원", "dormant", amount=5_000, min_order=30_000, valid_days=30),
    CouponDef(_coupon_no(17), "월간 정기 쿠폰 3,000원", "recurring", amount=3_000, min_order=30_000, valid_days=0),
    CouponDef(_coupon_no(18), "お誕生日クーポン 10%", "anniversary", percent=10, max_discount=10_000, valid_days=30),
)
# fmt: on

COUPON_BY_NO = {c.coupon_no: c for c in COUPONS}


def coupon(issue_type: str, index: int = 0) -> CouponDef:
    """The ``index``-th definition of an issue type."""
    return [c for c in COUPONS if c.issue_type == issue_type][index]


SIGNUP = coupon("signup")
SIGNUP_SMALL = coupon("signup", 1)
BIRTHDAY = coupon("anniversary")
JOIN_ANNIVERSARY = coupon("anniversary", 1)
BIRTHDAY_JA = coupon("anniversary", 2)
DELIVERY = coupon("delivery_complete")
REVIEW = coupon("review")
NEXT_ORDER = coupon("order_complete")
QUANTITY = coupon("purchase_quantity")
FIRST_PURCHASE = coupon("first_purchase")
SUMMER = coupon("all_members")
BLACK_FRIDAY = coupon("all_members", 1)
YEAR_END = coupon("all_members", 2)
SEASON_OFF = coupon("all_members", 3)
VIP = coupon("targeted")
CART_REMINDER = coupon("targeted", 1)
DORMANT = coupon("dormant")
MONTHLY = coupon("recurring")

# ---------------------------------------------------------------- people

#: (family name, romanised), (given name, romanised): Korean members.
KO_FAMILY = (
    ("김", "kim"), ("이", "lee"), ("박", "park"), ("최", "choi"), ("정", "jung"), ("강", "kang"),
    ("조", "cho"), ("윤", "yoon"), ("장", "jang"), ("임", "lim"), ("한", "han"), ("오", "oh"),
    ("서", "seo"), ("신", "shin"), ("권", "kwon"), ("황", "hwang"), ("안", "ahn"), ("송", "song"),
)  # fmt: skip
KO_GIVEN = (
    ("민지", "minji"), ("서연", "seoyeon"), ("지우", "jiwoo"), ("하은", "haeun"), ("수아", "sua"),
    ("지민", "jimin"), ("예린", "yerin"), ("다은", "daeun"), ("유진", "yujin"), ("채원", "chaewon"),
    ("민준", "minjun"), ("서준", "seojun"), ("도윤", "doyun"), ("예준", "yejun"), ("시우", "siwoo"),
    ("하준", "hajun"), ("지호", "jiho"), ("현우", "hyunwoo"), ("준호", "junho"), ("태윤", "taeyun"),
    ("은비", "eunbi"), ("소희", "sohee"), ("나연", "nayeon"), ("혜진", "hyejin"), ("성민", "sungmin"),
)  # fmt: skip
JA_FAMILY = (
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"), ("伊藤", "ito"),
    ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"), ("小林", "kobayashi"), ("加藤", "kato"),
)  # fmt: skip
JA_GIVEN = (
    ("さくら", "sakura"), ("陽菜", "hina"), ("結衣", "yui"), ("美咲", "misaki"), ("葵", "aoi"),
    ("蓮", "ren"), ("大翔", "hiroto"), ("悠真", "yuma"), ("湊", "minato"), ("健太", "kenta"),
)  # fmt: skip
EN_GIVEN = (
    "Emily", "Olivia", "Grace", "Chloe", "Hannah", "James", "Daniel", "Ethan", "Lucas", "Noah",
    "Sophie", "Mia", "Liam", "Ryan", "Ava",
)  # fmt: skip
EN_FAMILY = (
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Miller", "Davis", "Clark", "Walker", "Young",
)  # fmt: skip

#: Fake, masked-looking contact details: reserved example domains only.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# ---------------------------------------------------------------- calendar and habits

#: Shopping intensity by month (Nov/Dec peaks, a summer sale in July, a February lull).
MONTH_FACTOR = (1.05, 0.8, 0.95, 0.95, 1.05, 0.9, 1.35, 1.0, 1.05, 1.0, 1.6, 1.5)
#: Monday first; Sunday evenings are busy.
WEEKDAY_FACTOR = (1.1, 1.0, 1.0, 1.0, 0.9, 0.85, 1.15)
#: Orders by hour of day, shop time: lunch and late-evening peaks.
HOUR_WEIGHTS = (
    0.5, 0.3, 0.15, 0.1, 0.08, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.1,
    1.3, 1.2, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.4, 1.6, 1.6, 1.1,
)  # fmt: skip
#: (month, first day, last day, boost, discount percent): sale days.
EVENTS = (
    (7, 1, 10, 1.8, 20),  # summer sale
    (11, 11, 11, 3.0, 11),  # 11.11
    (11, 24, 30, 2.2, 25),  # Black Friday week
    (12, 18, 24, 1.5, 10),  # Christmas
)
#: The shop opened (members may be older than the order history).
SHOP_OPENED = (2022, 3, 1)

#: (method, weight): how a paid order's main payment is made. Points (``point``, ``pointfy``) are not
#: here: they are discounts, taken off ``paid_amount`` (see the generator).
PRIMARY_METHODS = (
    ("card", 50.0),
    ("tcash", 10.0),
    ("cash", 7.0),
    ("icash", 7.0),
    ("cell", 6.0),
    ("prepaid", 1.5),
    ("credit", 1.5),
    ("giftcard", 1.2),
    ("pointcard", 1.0),
    ("etc", 1.0),
    ("cvs", 1.2),
    ("cod", 1.2),
)
#: Japanese customers pay at convenience stores or later more often.
PRIMARY_METHODS_JA = (("card", 45.0), ("cvs", 18.0), ("cod", 14.0), ("icash", 6.0), ("cell", 5.0), ("pointcard", 3.0))
#: Methods where the shop waits for the money (orders stay pending for a few days).
DEPOSIT_METHODS = frozenset({"cash", "icash", "cvs"})
