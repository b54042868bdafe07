"""Remote-area shipping surcharges by postal code: the tables and the lookup.

A change of delivery address is refused when it changes the shipping fee
(Tokyo → Okinawa, Seoul → Jeju). The fee difference comes from the mall's
regional surcharges (:class:`~cafehub.runtime.settings.RegionalSurcharges`):
with Cafe24's ``zipcode`` mode the mall's own ranges decide; with its
``simple`` mode (one amount for Jeju or Okinawa, one for remote islands) and
its ``name`` mode, the postal code is classified by the tables in
``data/remote_areas.toml`` (or a shop's own file), whose sources are named
in that file and in docs/COMMANDS.md.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from cafehub.runtime.settings import RegionalSurcharges, SettingsError
from cafehub.runtime.snapshots import Snapshot

AreaClass = Literal["jeju", "remote"]
Country = Literal["KR", "JP"]
#: Postal-code length per country (digits).
POSTAL_DIGITS: dict[str, int] = {"KR": 5, "JP": 7}


class RemoteAreaTable(Snapshot):
    """Inclusive postal-code ranges per country and area class."""

    ranges: dict[str, dict[str, tuple[tuple[str, str], ...]]]

    def classify(self, zipcode: str, country: str) -> AreaClass | None:
        code = postal_digits(zipcode, country)
        if code is None:
            return None
        for area in ("jeju", "remote"):
            for first, last in self.ranges.get(country, {}).get(area, ()):
                if first <= code <= last:
                    return area
        return None


def postal_digits(zipcode: str, country: str) -> str | None:
    """The postal code as bare digits of the country's length (``"900-0001"`` → ``"9000001"``), else None."""
    digits = "".join(ch for ch in zipcode if ch.isdigit())
    wanted = POSTAL_DIGITS.get(country)
    return digits if wanted is not None and len(digits) == wanted else None


def parse_table(raw: dict[str, object], origin: str) -> RemoteAreaTable:
    ranges: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {}
    for country, areas in raw.items():
        if country not in POSTAL_DIGITS or not isinstance(areas, dict):
            raise SettingsError(f"{origin}: {country}: expected a table for KR or JP")
        ranges[country] = {}
        for area, rows in areas.items():
            if area not in ("jeju", "remote") or not isinstance(rows, list):
                raise SettingsError(f"{origin}: {country}.{area}: expected 'jeju' or 'remote' with a list of ranges")
            parsed = []
            for index, row in enumerate(rows):
                ok = (isinstance(row, list) and len(row) == 2
                      and all(isinstance(x, str) and postal_digits(x, country) == x for x in row)
                      and row[0] <= row[1])
                if not ok:
                    raise SettingsError(f"{origin}: {country}.{area}[{index}]: expected [first, last] postal codes "
                                        f"of {POSTAL_DIGITS[country]} digits, first <= last")
                parsed.append((row[0], row[1]))
            ranges[country][area] = tuple(parsed)
    return RemoteAreaTable(ranges=ranges)


@lru_cache(maxsize=8)
def load_table(path: Path | None = None) -> RemoteAreaTable:
    """The built-in tables, or a shop's own file with the same layout."""
    if path is None:
        text = resources.files("cafehub.runtime.data").joinpath("remote_areas.toml").read_text(encoding="utf-8")
        origin = "remote_areas.toml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"{path}: cannot be read ({exc.strerror})") from None
        origin = str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{origin}: not valid TOML ({exc})") from None
    return parse_table(raw, origin)


def surcharge(zipcode: str, country: str, mall: RegionalSurcharges, table: RemoteAreaTable) -> Decimal:
    """The regional surcharge the mall adds for shipping to ``zipcode``."""
    if not mall.enabled:
        return Decimal(0)
    if mall.mode == "zipcode":
        code = postal_digits(zipcode, country)
        if code is None:
            return Decimal(0)
        for r in mall.ranges:
            first, last = postal_digits(r.start, country), postal_digits(r.end, country)
            if first is not None and last is not None and first <= code <= last:
                return r.amount
        return Decimal(0)
    area = table.classify(zipcode, country)
    if area == "jeju":
        return mall.jeju_amount
    if area == "remote":
        return mall.remote_amount
    return Decimal(0)


def fee_changes(old_zip: str, new_zip: str, country: str, mall: RegionalSurcharges, table: RemoteAreaTable) -> bool:
    """Moving the delivery from ``old_zip`` to ``new_zip`` changes the shipping fee.

    Under the ``simple`` and ``name`` modes a change of area class counts even
    when the mall's amounts happen to be equal or zero: the carrier's own
    surcharge follows the area, and the guide refuses any move such as
    Tokyo → Okinawa.
    """
    if mall.enabled and mall.mode == "zipcode":
        return surcharge(old_zip, country, mall, table) != surcharge(new_zip, country, mall, table)
    return table.classify(old_zip, country) != table.classify(new_zip, country)
