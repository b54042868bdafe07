"""Cafe24 → canonical store sync (see :mod:`cafehub.sync.engine` and docs/CONNECTORS.md)."""
