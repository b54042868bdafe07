"""Slash commands in English, Japanese and Korean (``/cancel``, ``/注文キャンセル``, ``/주문취소``)."""

from __future__ import annotations

from .base import Intent, Lang, normalize

#: name (as typed after ``/``) -> (intent, language of the name)
SLASH_COMMANDS: dict[str, tuple[Intent, Lang]] = {
    "orders": ("orders", "en"), "order": ("orders", "en"), "history": ("orders", "en"),
    "eta": ("eta", "en"), "shipping": ("eta", "en"),
    "cancel": ("cancel", "en"),
    "return": ("return", "en"), "exchange": ("return", "en"),
    "address": ("address", "en"),
    "operator": ("operator", "en"), "agent": ("operator", "en"),
    "注文履歴": ("orders", "ja"), "注文照会": ("orders", "ja"),
    "発送予定日": ("eta", "ja"),
    "注文キャンセル": ("cancel", "ja"), "キャンセル": ("cancel", "ja"),
    "返品交換": ("return", "ja"), "返品/交換": ("return", "ja"), "返品": ("return", "ja"), "交換": ("return", "ja"),
    "配送先変更": ("address", "ja"), "お届け先変更": ("address", "ja"),
    "オペレーター": ("operator", "ja"),
    "주문내역": ("orders", "ko"), "주문조회": ("orders", "ko"),
    "배송예정일": ("eta", "ko"), "발송예정일": ("eta", "ko"),
    "주문취소": ("cancel", "ko"), "취소": ("cancel", "ko"),
    "반품교환": ("return", "ko"), "반품/교환": ("return", "ko"), "교환반품": ("return", "ko"),
    "반품": ("return", "ko"), "교환": ("return", "ko"),
    "배송지변경": ("address", "ko"),
    "상담원": ("operator", "ko"),
}
_FOLDED = {normalize(name): value for name, value in SLASH_COMMANDS.items()}


def parse_slash(text: str) -> tuple[Intent, Lang, str] | None:
    """``(intent, language of the command name, the rest of the line)`` for ``/name rest``; else None."""
    stripped = text.strip()
    if not stripped.startswith(("/", "／")):
        return None
    name, _, rest = stripped[1:].partition(" ")
    found = _FOLDED.get(normalize(name).replace(" ", ""))
    if found is None:
        return None
    return found[0], found[1], rest.strip()
