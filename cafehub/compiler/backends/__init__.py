"""Backends: what a checked segment's IR is compiled to.

- :mod:`cafehub.compiler.backends.sql`: a sqlglot expression tree, printed as
  SQL for each supported dialect (one query returning member ids);
- :mod:`cafehub.compiler.backends.python`: a predicate over one customer's rows.

Both implement the semantics written down in :mod:`cafehub.compiler.ir` and
resolve time only through :func:`cafehub.compiler.evaluation.resolve`, so they
agree on every segment.
"""
