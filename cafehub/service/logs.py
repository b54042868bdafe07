"""Keep query strings out of the logs.

Channel Talk delivers its webhook with the token in the URL (``?token=``),
and Cafe24 searches orders and members by phone or e-mail in the query
string (``?buyer_cellphone=``): an access log line would write the first,
an HTTP client's log line the second (the connectors cut httpx's, see
``cafehub/connectors/http.py``). :func:`install` puts a filter on uvicorn's
access log that cuts every URL in a record at its ``?``; the rest of the
line (method, path, status) stays useful.
"""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?[^\s\"']*")
LOGGERS = ("uvicorn.access",)


class DropQueryStrings(logging.Filter):
    """Cuts ``?…`` off every string argument (and the message) of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = _QUERY.sub("?…", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub("?…", str(a)) if "?" in str(a) and not isinstance(a, int | float) else a
                                for a in record.args)
        return True


_FILTER = DropQueryStrings()


def install() -> None:
    """Add the filter to the loggers that print URLs (once; safe to call again)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
