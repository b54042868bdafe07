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

#: (phrase, weight) per intent; English phrases are word sequences, matched on stems (``ordered`` is
#: ``order``, ``bought`` is ``buy``), so one entry covers a word's forms.
EN: dict[Intent, list[tuple[str, int]]] = {
    "orders": [("order history", 3), ("history", 2), ("status", 2), ("where is my order", 3), ("where", 1),
               ("recent orders", 3), ("all my orders", 3), ("check", 1), ("went through", 2),
               ("go through", 2), ("delivered", 2), ("purchase", 2), ("buy", 2), ("what did i order", 3),
               ("track", 2), ("tracking", 2), ("order", 1), ("confirm", 1), ("place", 1), ("previous", 1),
               ("recent", 1), ("list", 1), ("look at", 1), ("pull up", 1), ("see", 1)],
    "eta": [("dispatch", 3), ("sent out", 3), ("go out", 2), ("delivery date", 3), ("shipping date", 3),
            ("ship date", 3), ("estimated", 2), ("restock", 2), ("how long", 2), ("how many days", 3),
            ("leave", 1), ("warehouse", 1), ("when", 1), ("arrive", 1), ("ship", 1), ("send", 1),
            ("deliver", 1), ("update", 1), ("eta", 3)],
    "cancel": [("cancel", 5), ("cancellation", 5), ("don't want", 2), ("call off", 4), ("no longer want", 3),
               ("stop the order", 4), ("stop my order", 4), ("changed my mind", 2)],
    "return": [("return", 4), ("exchange", 4), ("send it back", 4), ("send this back", 4), ("send back", 4),
               ("refund", 3), ("money back", 4), ("damaged", 3), ("defective", 3), ("broken", 3), ("break", 3),
               ("faulty", 3), ("torn", 3), ("doesn't work", 3), ("not working", 3), ("wrong item", 4),
               ("wrong size", 3), ("wrong color", 3), ("swap", 3),
               ("replace", 3), ("replacement", 3), ("different size", 3), ("bigger size", 3), ("smaller size", 3),
               ("larger size", 3), ("doesn't fit", 3)],
    "address": [("address", 4), ("zip code", 4), ("postal code", 4), ("postcode", 4), ("zip", 3),
                ("recipient", 2), ("change where", 5), ("deliver to", 2), ("ship to", 1), ("send to", 1),
                ("go to", 1), ("instead", 2), ("office", 1), ("apartment", 2), ("move", 1)],
    "operator": [("real person", 5), ("human", 5), ("agent", 5), ("operator", 5), ("representative", 5),
                 ("customer service", 4), ("customer support", 4), ("support", 2), ("staff", 3), ("someone", 2),
                 ("person", 3), ("talk to", 2), ("speak with", 2), ("speak to", 2), ("connect me", 2)],
}
EN_TIME = ("when", "date", "until", "how long", "how many days", "yet", "still", "eta", "update")
#: Chat spellings and common slips, read as the words they stand for.
EN_SPELLINGS = {"u": "you", "ur": "your", "pls": "please", "plz": "please", "hasnt": "hasn't", "dont": "don't",
                "doesnt": "doesn't", "didnt": "didn't", "cant": "can't", "wont": "won't", "isnt": "isn't",
                "wanna": "want", "whens": "when", "recieved": "received", "recieve": "receive",
                "adress": "address", "addres": "address", "colour": "color", "cancle": "cancel"}
#: Irregular forms that matter here; regular ones are stemmed by rule (:func:`stem`).
EN_IRREGULAR = {"bought": "buy", "sent": "send", "went": "go", "gone": "go", "broke": "break", "broken": "break",
                "tore": "torn", "left": "leave", "got": "get", "paid": "pay", "made": "make", "put": "put"}

JA: dict[Intent, list[tuple[str, int]]] = {
    "orders": [("注文履歴", 3), ("購入履歴", 3), ("りれき", 3), ("履歴", 2), ("注文照会", 3), ("照会", 2),
               ("注文内容", 3), ("状況", 2), ("確認", 1), ("どうなって", 2), ("どこ", 2), ("届いて", 2),
               ("注文", 1), ("ちゅうもん", 1), ("購入", 2), ("買った", 2), ("一覧", 2), ("入って", 1),
               ("できて", 1), ("見せて", 1), ("知りたい", 1)],
    "eta": [("発送予定", 3), ("お届け予定", 3), ("予定日", 3), ("よていび", 3), ("発送日", 3), ("出荷日", 3),
            ("いつ頃", 2), ("いつ", 1), ("発送", 1), ("はっそう", 1), ("出荷", 1), ("入荷", 1), ("届き", 1),
            ("届く", 1), ("送って", 1), ("送られ", 1), ("到着", 1), ("何日", 2)],
    "cancel": [("キャンセル", 5), ("取り消", 5), ("取消", 5), ("やめたい", 3)],
    "return": [("返品", 5), ("へんぴん", 5), ("交換", 4), ("不良", 3), ("壊れ", 3), ("破損", 3), ("違う商品", 4),
               ("間違った商品", 4), ("別の商品", 4), ("違うもの", 4), ("違う物", 4), ("色違い", 2), ("返金", 3),
               ("サイズが合", 3), ("別のサイズ", 3), ("サイズ違い", 3), ("汚れ", 2), ("傷", 2), ("届いた", 1)],
    "address": [("配送先", 4), ("お届け先", 4), ("届け先", 4), ("送り先", 4), ("宛先", 4), ("住所", 4),
                ("郵便番号", 4), ("引っ越", 3), ("引越", 3), ("宛に", 3), ("実家", 2), ("会社", 1), ("変更", 1),
                ("変え", 1)],
    "operator": [("オペレーター", 5), ("担当者", 4), ("担当の方", 4), ("人と話", 5), ("人につな", 5), ("有人", 5),
                 ("スタッフ", 4), ("人間", 4), ("電話", 2), ("話したい", 2)],
}
JA_TIME = ("いつ", "予定", "何日", "まだ")

KO: dict[Intent, list[tuple[str, int]]] = {
    "orders": [("주문내역", 3), ("구매내역", 3), ("내역", 2), ("주문조회", 3), ("조회", 2), ("상태", 2),
               ("상황", 2), ("확인", 1), ("어떻게됐", 2), ("어디쯤", 2), ("어디", 2), ("도착했", 2), ("주문", 1),
               ("산거", 2), ("산것", 2), ("구매", 2), ("목록", 2), ("들어갔", 2), ("보여", 1), ("주문한", 1)],
    "eta": [("배송예정", 3), ("발송예정", 3), ("예정일", 3), ("출고일", 3), ("언제쯤", 2), ("언제", 1), ("발송", 1),
            ("출고", 1), ("입고", 1), ("배송", 1), ("받을수", 1), ("보내", 1), ("도착", 1), ("며칠", 2)],
    "cancel": [("취소", 5), ("안살래", 3), ("주문안할", 3)],
    "return": [("반품", 5), ("교환", 4), ("불량", 3), ("파손", 3), ("다른상품", 4), ("잘못온", 4), ("다른게", 3),
               ("잘못배송", 4), ("환불", 3), ("찢어", 3), ("고장", 3), ("깨져", 3), ("망가", 3), ("사이즈", 2),
               ("안맞", 2), ("하자", 3), ("얼룩", 2)],
    "address": [("배송지", 4), ("주소", 4), ("우편번호", 4), ("받는곳", 4), ("받는사람", 3), ("수령인", 3),
                ("연락처", 2), ("전화번호", 2), ("이사", 2), ("바꿔", 1), ("바꾸", 1), ("변경", 1), ("회사로", 2),
                ("집으로", 2), ("잘못적", 2), ("잘못입력", 2)],
    "operator": [("상담원", 5), ("상담사", 5), ("사람", 4), ("직원", 4), ("통화", 2), ("연결", 1), ("얘기", 1)],
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


def stem(word: str) -> str:
    """A crude English stem, enough for keywords: chat spellings, irregular forms, then -ies, -ing, -ed, -es,
    -s and a final -e (``purchase``, ``purchased``, ``purchases`` are one stem)."""
    word = EN_SPELLINGS.get(word, word)
    if word in EN_IRREGULAR:
        return EN_IRREGULAR[word]
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(("ss", "us", "is")):
            if suffix == "es" and not word[:-2].endswith(("x", "ch", "sh", "ss")):
                continue  # purchases: only the -s goes
            word = word[: -len(suffix)] + keep
            if suffix in ("ing", "ed") and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]  # shipped -> ship, stopped -> stop
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


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
        self._en = {intent: [([stem(x) for x in phrase.split()], phrase, w) for phrase, w in rows]
                    for intent, rows in EN.items()}
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
        tokens = [stem(t) for t in _WORD.findall(folded)]
        compact = folded.replace(" ", "").replace("\u3000", "")
        if tokens:
            timed = any(_phrase_in(tokens, [stem(x) for x in t.split()]) for t in EN_TIME)
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
