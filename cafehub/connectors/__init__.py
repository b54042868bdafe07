"""Connectors to Cafe24's Admin API and to the Sellmate warehouse system.

Layout: ``config`` (one frozen value per mall, carrying the httpx transport),
``errors`` (the exception tree), ``retry`` (retry decisions as values),
``ratelimit`` (the per-mall leaky bucket), ``oauth`` and ``tokens`` (token
endpoint and the refresh protocol between workers), ``http`` (one call),
``paging`` (limit/offset pages and order date windows), ``cafe24/`` (client,
models, code tables, writes) and ``sellmate`` (the configurable WMS adapter).
Only this package imports httpx; it never imports the compiler or runtime.
"""
