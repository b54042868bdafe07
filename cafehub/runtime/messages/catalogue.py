"""One message catalogue for Japanese, Korean and English, and Babel formatting of dates and money.

The catalogue is every ``*.toml`` file in ``messages/catalogue/``: each table
is a key with one template per language, placeholders in ``{braces}``::

    ["cancel.done"]
    ja = "ご依頼通りに注文キャンセルが完了しました。"
    ko = "요청하신 대로 주문 취소가 완료되었습니다."
    en = "Your order has been cancelled as requested."

An area adds its words by adding its own file (``identity.toml`` for the
conversations); a key defined twice, a missing language or placeholders
that differ between languages stop the catalogue from loading, and
``tests/runtime/test_messages.py`` checks every file. Values are formatted
before they are put in: dates, weekdays and money by Babel for the
language (:class:`Formatter`), never by hand.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_currency

from .model import LANGUAGES, Language

#: Babel locale per chat language.
LOCALES: dict[str, str] = {"ja": "ja_JP", "ko": "ko_KR", "en": "en_US"}


class CatalogueError(ValueError):
    """A catalogue file that cannot be used (the message names the file and the key)."""


def placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


class Catalogue:
    """Message templates by key and language."""

    def __init__(self, entries: Mapping[str, Mapping[str, str]]) -> None:
        self.entries = dict(entries)

    @classmethod
    def from_texts(cls, texts: Mapping[str, str]) -> Catalogue:
        """Build from ``{origin: TOML text}``, checking every entry."""
        entries: dict[str, dict[str, str]] = {}
        origins: dict[str, str] = {}
        for origin, text in sorted(texts.items()):
            try:
                raw = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise CatalogueError(f"{origin}: not valid TOML ({exc})") from None
            for key, value in raw.items():
                if key in entries:
                    raise CatalogueError(f"{origin}: key {key!r} is already defined in {origins[key]}")
                if not isinstance(value, dict) or set(value) != set(LANGUAGES):
                    raise CatalogueError(f"{origin}: key {key!r} must have exactly ja, ko and en")
                if not all(isinstance(v, str) for v in value.values()):
                    raise CatalogueError(f"{origin}: key {key!r}: every language must be a string")
                names = {lang: placeholders(value[lang]) for lang in LANGUAGES}
                if len(set(names.values())) != 1:
                    raise CatalogueError(f"{origin}: key {key!r}: placeholders differ between languages")
                entries[key] = dict(value)
                origins[key] = origin
        return cls(entries)

    def text(self, key: str, language: Language, /, **values: Any) -> str:
        """The template of ``key`` in ``language`` with ``values`` put in."""
        try:
            template = self.entries[key][language]
        except KeyError:
            raise KeyError(f"no message {key!r} in {language}") from None
        return template.format(**values) if values or "{" in template else template

    def __contains__(self, key: object) -> bool:
        return key in self.entries


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """Every ``*.toml`` shipped in ``cafehub/runtime/messages/catalogue/``."""
    folder = resources.files("cafehub.runtime.messages").joinpath("catalogue")
    texts = {entry.name: entry.read_text(encoding="utf-8") for entry in folder.iterdir()
             if entry.name.endswith(".toml")}
    return Catalogue.from_texts(texts)


def catalogue_from_folder(path: Path) -> Catalogue:
    return Catalogue.from_texts({p.name: p.read_text(encoding="utf-8") for p in sorted(path.glob("*.toml"))})


class Formatter:
    """Dates, weekdays and money for one chat language (Babel)."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.locale = LOCALES[language]

    def day(self, value: date) -> str:
        """``2025年3月6日(木)``, ``2025년 3월 6일 (목)``, ``Thu, Mar 6, 2025``."""
        return _skeleton("yMMMEd", value, self.language)

    def short_day(self, value: date) -> str:
        """``3月6日(木)``, ``3월 6일 (목)``, ``Thu, Mar 6`` (month, day and weekday)."""
        return _skeleton("MMMEd", value, self.language)

    def money(self, amount: Decimal, currency: str) -> str:
        """``₩30,000``, ``￥3,000``; KRW and JPY have no minor unit."""
        return _currency(amount, currency, self.language)


# Babel reads its patterns again on every call (25-60 µs); a chat turn shows the same prices and days over
# and over (every order card of a list), so the formatted texts are kept.
@lru_cache(maxsize=8192)
def _skeleton(skeleton: str, value: date, language: Language) -> str:
    return format_skeleton(skeleton, value, locale=LOCALES[language])


@lru_cache(maxsize=8192)
def _currency(amount: Decimal, currency: str, language: Language) -> str:
    return format_currency(amount, currency, locale=LOCALES[language])
