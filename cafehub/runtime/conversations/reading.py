"""Reading a customer's typed reply as the answer the command engine asked for (pure functions).

The engine says what it wants next (:class:`~cafehub.runtime.messages.model.Expect`):
a yes/no (``confirm``), one of some options (``order``, ``choice``), items
(``items``), a small form (``fields``: the refund account or a new
address) or photos. Buttons cover the first two on every surface (a typed
number presses one, see :mod:`.render`); this module reads the rest from
free text, in Japanese, Korean or English, full-width digits and all.
``None`` means the reply is not that answer (the conversation asks again).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from cafehub.runtime.messages.model import Expect

YES = frozenset({"yes", "y", "ok", "okay", "sure", "confirm", "go ahead", "yes please", "please do",
                 "はい", "ええ", "お願いします", "おねがいします", "確定", "確定する", "大丈夫です", "ok です",
                 "네", "예", "응", "넵", "네네", "확인", "좋아요", "진행", "진행해 주세요", "부탁드려요"})
NO = frozenset({"no", "n", "stop", "cancel that", "never mind", "nope",
                "いいえ", "やめる", "やめます", "やめて", "中止", "結構です",
                "아니요", "아니오", "아니", "그만", "그만두기", "취소할게요 아니요", "안 할래요"})
RESEND = frozenset({"resend", "again", "send again", "new code", "再送", "再送信", "もう一度", "재전송", "다시"})

#: Cafe24 refund bank codes (``bank_`` + the Korean financial institution code) by the names customers type.
BANKS: dict[str, str] = {
    "산업": "bank_02", "kdb": "bank_02", "기업": "bank_03", "ibk": "bank_03", "국민": "bank_04", "kb": "bank_04",
    "kookmin": "bank_04", "수협": "bank_07", "농협": "bank_11", "nh": "bank_11", "nonghyup": "bank_11",
    "우리": "bank_20", "woori": "bank_20", "sc": "bank_23", "sc제일": "bank_23", "제일": "bank_23",
    "씨티": "bank_27", "citi": "bank_27", "대구": "bank_31", "dgb": "bank_31", "im": "bank_31", "부산": "bank_32",
    "busan": "bank_32", "광주": "bank_34", "제주": "bank_35", "전북": "bank_37", "경남": "bank_39",
    "새마을": "bank_45", "새마을금고": "bank_45", "신협": "bank_48", "우체국": "bank_71", "post": "bank_71",
    "하나": "bank_81", "hana": "bank_81", "keb하나": "bank_81", "신한": "bank_88", "shinhan": "bank_88",
    "케이뱅크": "bank_89", "kbank": "bank_89", "카카오": "bank_90", "카카오뱅크": "bank_90", "kakao": "bank_90",
    "kakaobank": "bank_90", "토스": "bank_92", "토스뱅크": "bank_92", "toss": "bank_92",
}
_BANK_SUFFIXES = ("은행", "뱅크", "bank", "銀行")


def fold(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII), lower case, single spaces, no end punctuation."""
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    folded = re.sub(r"\s+", " ", folded)
    return folded.rstrip(".!。！?？~〜")


def number(text: str) -> int | None:
    """``2``, ``２``, ``2번``, ``2番``, ``no. 2`` → 2."""
    match = re.fullmatch(r"(?:no\.?\s*|#)?(\d{1,2})\s*(?:번|番|번째|番目)?", fold(text))
    return int(match.group(1)) if match else None


def yes_no(text: str) -> bool | None:
    folded = fold(text)
    if folded in YES:
        return True
    if folded in NO:
        return False
    return None


def is_resend(text: str) -> bool:
    return fold(text) in RESEND


def bank_code(text: str) -> str:
    """A bank's Cafe24 code from its name (``국민은행``, ``KB``, ``bank_04``); the text itself if unknown."""
    folded = fold(text).replace(" ", "")
    if re.fullmatch(r"bank_\d{2,3}", folded):
        return folded
    for suffix in _BANK_SUFFIXES:
        if folded.endswith(suffix) and folded != suffix:
            folded = folded[: -len(suffix)]
            break
    return BANKS.get(folded, text.strip())


def read_items(text: str, item_codes: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """``1,3`` / ``1 3`` / ``1x2`` (two of item 1) / item codes → the ``items`` answer."""
    parts = [p for p in re.split(r"[,、，\s/]+", fold(text)) if p]
    picked: list[dict[str, Any]] = []
    for part in parts:
        match = re.fullmatch(r"(?P<ref>[^x×*:]+?)(?:[x×*:](?P<qty>\d{1,3}))?(?:번|番)?", part)
        if match is None:
            return None
        ref = match.group("ref")
        if ref.isdigit() and len(ref) <= 2:
            if not 1 <= int(ref) <= len(item_codes):
                return None
            code = item_codes[int(ref) - 1]
        else:
            found = next((c for c in item_codes if c.lower() == ref), None)
            if found is None:
                return None
            code = found
        entry: dict[str, Any] = {"order_item_code": code}
        if match.group("qty"):
            entry["quantity"] = int(match.group("qty"))
        picked.append(entry)
    codes = [p["order_item_code"] for p in picked]
    return picked if picked and len(codes) == len(set(codes)) else None


def read_fields(text: str, expect: Expect) -> dict[str, str] | None:
    """A form from text: ``label: value`` lines, or the values in the fields' order (one per line,
    or separated by commas when written on one line)."""
    names = [f.name for f in expect.fields]
    labels = {fold(f.label): f.name for f in expect.fields} | {f.name: f.name for f in expect.fields}
    raw = unicodedata.normalize("NFKC", text).strip()
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    values: dict[str, str] = {}
    if lines and all(re.match(r"^[^:]{1,30}:", line) for line in lines):
        for line in lines:
            key, _, value = line.partition(":")
            name = labels.get(fold(key))
            if name is None:
                return None
            values[name] = value.strip()
    else:
        parts = lines if len(lines) > 1 else [p.strip() for p in re.split(r"[,，、]", raw)]
        required = [f.name for f in expect.fields if f.required]
        if len(parts) == len(required) < len(names):
            values = dict(zip(required, parts, strict=True))
        elif len(required) <= len(parts) <= len(names):
            values = dict(zip(names, parts, strict=False))
        else:
            return None
    if expect.answer == "account" and "bank_code" in values:
        values["bank_code"] = bank_code(values["bank_code"])
    return {k: v for k, v in values.items() if v}


def read_choice(text: str, expect: Expect) -> str | None:
    """An option of an ``order`` or ``choice`` question by its value or label."""
    folded = fold(text)
    for option in expect.options:
        if option.available and folded in (fold(option.value), fold(option.label)):
            return option.value
    return None


def read_answer(expect: Expect, item_codes: tuple[str, ...], text: str) -> dict[str, Any] | None:
    """The answers ``text`` gives to ``expect`` (to merge into the task's), or ``None``."""
    if expect.kind == "confirm":
        said = yes_no(text)
        return None if said is None else {"confirm": said}
    if expect.kind in ("order", "choice"):
        value = read_choice(text, expect)
        return None if value is None else put(expect.answer, value)
    if expect.kind == "items":
        items = read_items(text, item_codes)
        return None if items is None else {"items": items}
    if expect.kind == "fields":
        fields = read_fields(text, expect)
        return None if not fields else {expect.answer: fields}
    return None  # photos come as uploads, not text


def put(answer: str, value: Any) -> dict[str, Any]:
    """``variants.CODE`` → ``{"variants": {"CODE": value}}``; other names as they are."""
    head, _, rest = answer.partition(".")
    return {head: {rest: value}} if rest else {head: value}


def merge(answers: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """``answers`` with ``more`` on top; ``variants`` (one entry per exchanged item) are merged key by key."""
    out = dict(answers)
    for key, value in more.items():
        if key == "variants" and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out
