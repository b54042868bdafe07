"""A deterministic keyword classifier for Japanese, Korean and English.

Each intent has weighted keywords. English is matched on words, a word of
six letters or more also with one slip (``cancle``, ``adress``, ``staus``:
one insertion, deletion, substitution or swap of neighbours). Japanese and
Korean are matched as substrings of the text with spaces removed (customers
often skip them), hiragana folded to katakana; Korean keywords of two
The Korean command nouns (``취소``, ``교환``, ``반품``...) also match with
one jamo wrong (``최소`` for ``취소``, ``교활`` for ``교환``), at a lower weight. The intent with the highest total
wins; ties go to the more consequential command (cancel, return, address,
operator, ETA, orders); below :data:`MIN_SCORE` the answer is ``none``.

Shipping words (and time words) count for the ETA only next to a time word ("when", "いつ",
"언제", "date"...), so "Do you ship to Canada?" is not an ETA question.
The labelled phrasings in ``tests/runtime/data/intent_phrases.tsv`` measure
it; ``python -m cafehub.runtime.intent.evaluate`` prints the accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .base import Classification, Intent, Lang, detect_language, normalize

MIN_SCORE = 2
PRIORITY: tuple[Intent, ...] = ("cancel", "return", "address", "operator", "eta", "orders")

#: (phrase, weight) per intent; English phrases are word sequences.
EN: dict[Intent, list[tuple[str, int]]] = {
    "orders": [("order history", 3), ("history", 2), ("status", 2), ("where is my order", 3), ("where", 1),
               ("recent orders", 3), ("all my orders", 3), ("check", 1), ("went through", 2), ("delivered", 2),
               ("purchase", 1), ("what did i order", 3), ("track", 2), ("tracking", 2), ("order", 1)],
    "eta": [("dispatch", 3), ("dispatched", 3), ("sent out", 3), ("go out", 2), ("delivery date", 3),
            ("shipping date", 3), ("ship date", 3), ("estimated", 2), ("restock", 2), ("restocked", 2),
            ("how long", 2), ("when", 1), ("whens", 1), ("arrive", 1), ("ship", 1), ("shipped", 1), ("shipping", 1)],
    "cancel": [("cancel", 5), ("cancellation", 5), ("don't want it", 2), ("call off", 4)],
    "return": [("return", 4), ("exchange", 4), ("send it back", 4), ("send this back", 4), ("refund", 2),
               ("damaged", 3), ("defective", 3), ("broken", 3), ("wrong item", 4), ("swap", 3),
               ("different size", 2), ("bigger size", 2), ("smaller size", 2)],
    "address": [("address", 4), ("zip code", 4), ("postal code", 4), ("postcode", 4), ("recipient", 2),
                ("change where", 5), ("deliver to", 2), ("moved", 1)],
    "operator": [("real person", 5), ("human", 5), ("agent", 5), ("operator", 5), ("representative", 5),
                 ("customer service", 4), ("staff", 3), ("talk to", 2), ("speak with", 2), ("speak to", 2)],
}
EN_TIME = ("when", "whens", "date", "until", "how long", "yet", "still", "eta")

JA: dict[Intent, list[tuple[str, int]]] = {
    "orders": [("注文履歴", 3), ("購入履歴", 3), ("りれき", 3), ("履歴", 2), ("注文照会", 3), ("照会", 2),
               ("注文内容", 3), ("状況", 2), ("確認", 1), ("どうなって", 2), ("どこ", 2), ("届いて", 2),
               ("注文", 1), ("ちゅうもん", 1)],
    "eta": [("発送予定", 3), ("お届け予定", 3), ("予定日", 3), ("よていび", 3), ("発送日", 3), ("出荷日", 3),
            ("いつ頃", 2), ("いつ", 1), ("発送", 1), ("はっそう", 1), ("出荷", 1), ("入荷", 1), ("届き", 1),
            ("届く", 1)],
    "cancel": [("キャンセル", 5), ("取り消", 5), ("取消", 5)],
    "return": [("返品", 5), ("へんぴん", 5), ("交換", 4), ("不良", 3), ("壊れ", 3), ("破損", 3), ("違う商品", 4),
               ("間違った商品", 4), ("別の商品", 4), ("色違い", 2), ("返金", 2)],
    "address": [("配送先", 4), ("お届け先", 4), ("届け先", 4), ("送り先", 4), ("宛先", 4), ("住所", 4),
                ("郵便番号", 4), ("引っ越", 2), ("変更", 1)],
    "operator": [("オペレーター", 5), ("担当者", 4), ("人と話", 5), ("有人", 5), ("スタッフ", 4), ("人間", 4)],
}
JA_TIME = ("いつ", "予定", "何日", "まだ")

KO: dict[Intent, list[tuple[str, int]]] = {
    "orders": [("주문내역", 3), ("구매내역", 3), ("내역", 2), ("주문조회", 3), ("조회", 2), ("상태", 2),
               ("확인", 1), ("어떻게됐", 2), ("어디쯤", 2), ("어디", 2), ("도착했", 2), ("주문", 1)],
    "eta": [("배송예정", 3), ("발송예정", 3), ("예정일", 3), ("출고일", 3), ("언제쯤", 2), ("언제", 1), ("발송", 1),
            ("출고", 1), ("입고", 1), ("배송", 1), ("받을수", 1)],
    "cancel": [("취소", 5)],
    "return": [("반품", 5), ("교환", 4), ("불량", 3), ("파손", 3), ("다른상품", 4), ("잘못온", 4),
               ("잘못배송", 4), ("환불", 2)],
    "address": [("배송지", 4), ("주소", 4), ("우편번호", 4), ("받는곳", 4), ("수령인", 3), ("연락처", 2),
                ("이사", 2), ("바꿔", 1), ("변경", 1)],
    "operator": [("상담원", 5), ("상담사", 5), ("사람", 4), ("직원", 4), ("통화", 2), ("연결", 1)],
}
KO_TIME = ("언제", "예정", "며칠", "아직")

_WORD = re.compile(r"[a-z0-9']+")
#: Korean command nouns that may match with one jamo wrong, and the weight taken off. Only these: a
#: general rule would read the ubiquitous ``주세(요)`` as ``주소`` (address).
FUZZY_KO = frozenset({"취소", "교환", "반품", "배송지", "주문내역", "주문조회", "상담원"})
FUZZY_PENALTY = 2


def _osa(a: str, b: str, limit: int = 1) -> int:
    """Optimal string alignment distance, stopping early past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _word_matches(token: str, word: str) -> bool:
    if token == word:
        return True
    return len(word) >= 6 and _osa(token, word) <= 1


def _phrase_in(tokens: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(all(_word_matches(tokens[i + k], phrase[k]) for k in range(n)) for i in range(len(tokens) - n + 1))


def _jamo(syllable: str) -> tuple[int, int, int] | None:
    code = ord(syllable) - 0xAC00
    if not 0 <= code <= 11171:
        return None
    return code // 588, (code % 588) // 28, code % 28


def _one_jamo_off(window: str, keyword: str) -> bool:
    differences = 0
    for a, b in zip(window, keyword, strict=True):
        if a == b:
            continue
        ja, jb = _jamo(a), _jamo(b)
        if ja is None or jb is None:
            return False
        differences += sum(x != y for x, y in zip(ja, jb, strict=True))
        if differences > 1:
            return False
    return differences == 1


def _fuzzy_in(text: str, keyword: str) -> bool:
    n = len(keyword)
    return n >= 2 and any(_one_jamo_off(text[i : i + n], keyword) for i in range(len(text) - n + 1))


class KeywordClassifier:
    """The default :class:`~cafehub.runtime.intent.base.IntentClassifier` (no model, no network)."""

    def __init__(self) -> None:
        self._en = {intent: [(phrase.split(), phrase, w) for phrase, w in rows] for intent, rows in EN.items()}
        self._cjk = {
            "ja": {intent: [(normalize(k), k, w) for k, w in rows] for intent, rows in JA.items()},
            "ko": {intent: [(normalize(k), k, w) for k, w in rows] for intent, rows in KO.items()},
        }
        self._time = {"ja": [normalize(t) for t in JA_TIME], "ko": list(KO_TIME)}

    def classify(self, text: str, *, lang: Lang | None = None) -> Classification:
        detected = detect_language(text, lang or "en")
        folded = normalize(text)
        scores: dict[Intent, int] = {}
        evidence: list[str] = []
        tokens = _WORD.findall(folded)
        compact = folded.replace(" ", "").replace("\u3000", "")
        if tokens:
            timed = any(_phrase_in(tokens, t.split()) for t in EN_TIME)
            self._score_en(tokens, timed, scores, evidence)
        for script in ("ja", "ko"):
            if script == "ko" and detected != "ko":
                continue
            timed = any(t in compact for t in self._time[script])
            self._score_cjk(script, compact, timed, scores, evidence)
        return self._decide(scores, detected, evidence)

    def _score_en(self, tokens: list[str], timed: bool, scores: dict[Intent, int], evidence: list[str]) -> None:
        for intent, rows in self._en.items():
            for words, phrase, weight in rows:
                if intent == "eta" and weight == 1 and not timed:
                    continue
                if _phrase_in(tokens, words):
                    scores[intent] = scores.get(intent, 0) + weight
                    evidence.append(f"{intent}:{phrase}")

    def _score_cjk(self, script: str, compact: str, timed: bool, scores: dict[Intent, int],
                   evidence: list[str]) -> None:
        for intent, rows in self._cjk[script].items():
            for key, shown, weight in rows:
                if intent == "eta" and weight == 1 and not timed:
                    continue
                if key in compact:
                    scores[intent] = scores.get(intent, 0) + weight
                    evidence.append(f"{intent}:{shown}")
                elif script == "ko" and key in FUZZY_KO and _fuzzy_in(compact, key):
                    scores[intent] = scores.get(intent, 0) + weight - FUZZY_PENALTY
                    evidence.append(f"{intent}:~{shown}")

    @staticmethod
    def _decide(scores: dict[Intent, int], lang: Lang, evidence: Iterable[str]) -> Classification:
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], PRIORITY.index(kv[0])))
        if not ranked or ranked[0][1] < MIN_SCORE:
            return Classification("none", 1.0 if not ranked else 0.5, lang, tuple(evidence))
        best, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0
        return Classification(best, round(top / (top + second), 3), lang, tuple(evidence))
