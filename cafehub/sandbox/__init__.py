"""Loopback stand-ins for Cafe24 and Sellmate, serving a shop from the store.

``cafehub sandbox serve`` runs them; tests start them in threads with
:class:`~cafehub.sandbox.server.SandboxServers`. See docs/CONNECTORS.md.
"""
