"""Saved segments: the registry of named, versioned segments per shop, audiences and live membership.

- :class:`SegmentRegistry` (:mod:`.registry`): save, list, read, history,
  soft delete, and checking text whose ``segment("name")`` references
  resolve to the shop's saved segments.

The registry's tables live in the store database beside the canonical
tables (:mod:`.tables`); every row carries its shop.
"""

from cafehub.registry.registry import (
    DEFAULT_SHOP,
    NAME_PATTERN,
    SHOP_PATTERN,
    ConcurrentChange,
    InvalidName,
    RegistryError,
    RegistryResolver,
    SaveResult,
    SegmentInfo,
    SegmentInUse,
    SegmentNotFound,
    SegmentRegistry,
    SegmentVersion,
    VersionNotFound,
    check_name,
    check_shop,
)

__all__ = [
    "DEFAULT_SHOP",
    "NAME_PATTERN",
    "SHOP_PATTERN",
    "ConcurrentChange",
    "InvalidName",
    "RegistryError",
    "RegistryResolver",
    "SaveResult",
    "SegmentInUse",
    "SegmentInfo",
    "SegmentNotFound",
    "SegmentRegistry",
    "SegmentVersion",
    "VersionNotFound",
    "check_name",
    "check_shop",
]
