"""The intent interface: any classifier (keywords today, a language model later) plugs in here."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal, Protocol

Intent = Literal["orders", "eta", "cancel", "return", "address", "operator", "none"]
#: The commands of the guide plus "talk to a person"; ``none`` when nothing fits.
INTENTS: tuple[Intent, ...] = ("orders", "eta", "cancel", "return", "address", "operator", "none")
Lang = Literal["ja", "ko", "en"]


@dataclass(frozen=True, slots=True)
class Classification:
    intent: Intent
    #: 0..1; a keyword classifier gives 1.0 for a clear winner and less when intents compete.
    confidence: float
    lang: Lang
    #: The keywords (or reasons) behind the decision, for explain and tests.
    evidence: tuple[str, ...] = ()


class IntentClassifier(Protocol):
    def classify(self, text: str, *, lang: Lang | None = None) -> Classification: ...


def detect_language(text: str, default: Lang = "en") -> Lang:
    """``ko`` for Hangul, ``ja`` for kana or (without Hangul) CJK ideographs, else ``en``/``default``."""
    hangul = kana = han = latin = 0
    for ch in text:
        code = ord(ch)
        if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            hangul += 1
        elif 0x3040 <= code <= 0x30FF or 0xFF66 <= code <= 0xFF9F:
            kana += 1
        elif 0x4E00 <= code <= 0x9FFF:
            han += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
    if hangul:
        return "ko"
    if kana or han:
        return "ja"
    return "en" if latin else default


def normalize(text: str) -> str:
    """NFKC, lower case, hiragana folded to katakana (``きゃんせる`` matches ``キャンセル``)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(c) + 0x60) if 0x3041 <= ord(c) <= 0x3096 else c for c in folded)
