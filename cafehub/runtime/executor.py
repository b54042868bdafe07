"""The write side: perform one decided write exactly once.

:meth:`Executor.perform` takes what a rule decided (the action, the order,
the payload that identifies the write) and three functions supplied by the
command step: ``check`` (re-read the order and say whether the write is
still allowed, or has already happened), ``write`` (make it, through the
connectors' settled writes) and ``label`` for the outcome. In order:

1. the idempotency key is recorded in the ledger before anything is sent;
   a ``done`` record answers at once with the first result, a running one
   is waited for;
2. the order lock is taken (in the same transaction when it is free), so
   two different writes on one order never interleave;
3. the order is read again (``check``) unless the ledger saw no other write
   on it since the caller read it: refused now → nothing is written;
   already done (a previous attempt that died after writing) → recorded as
   done without writing again;
4. the write is sent; Cafe24's timeouts are settled by reading back inside
   the connectors; a failure is recorded (``unknown`` when the write may
   have happened) and raised as :class:`WriteFailed`.

Errors and logs carry endpoints, statuses and ids only, never the
customer's data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from cafehub.connectors.errors import AmbiguousWriteError, ConnectorError
from cafehub.runtime.ledger import Ledger, LockTimeout, action_key
from cafehub.runtime.result import Outcome

log = logging.getLogger("cafehub.runtime")

Check = Literal["allowed", "already", "refused"]
Action = Literal["cancel", "cancel_request", "return", "exchange", "address"]


class WriteFailed(Exception):
    """Cafe24 or the warehouse failed; the customer gets the failure message and an operator."""


class WriteRefused(Exception):
    """Re-reading the order just before the write showed it is no longer allowed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Executor:
    """Performs writes for one mall, recording each in the ledger first."""

    def __init__(self, ledger: Ledger, *, wait_for_running: float = 20.0) -> None:
        self.ledger = ledger
        self.wait_for_running = wait_for_running

    def perform(
        self,
        *,
        action: Action,
        order_id: str,
        payload: Any,
        check: Callable[[], Check],
        write: Callable[[], str | None],
        status: Literal["completed", "requested", "pending"] = "completed",
        read_at: datetime | None = None,
    ) -> Outcome:
        """Make the write once. ``read_at``: when the caller read the order that ``check`` would read
        again; if the ledger saw no other write on the order since, the re-read is skipped."""
        key = action_key(self.ledger.mall_id, action, payload)
        begun = self.ledger.begin(key, action, order_id, read_at=read_at)
        if begun.kind == "done" and begun.outcome is not None:
            log.info("write %s on %s: already done (key %s)", action, order_id, key[:12])
            return begun.outcome.model_copy(update={"repeated": True})
        if begun.kind == "running":
            finished = self.ledger.wait_done(key, self.wait_for_running)
            if finished is not None:
                return finished.model_copy(update={"repeated": True})
            return Outcome(action=action, order_id=order_id, status="in_progress", key=key)
        holder = begun.holder
        try:
            if holder is None:
                holder = self.ledger.acquire(order_id)
            seen: Check = "allowed" if begun.fresh and begun.kind == "new" else check()
            if seen == "refused":
                self.ledger.forget(key, order_id, holder=holder)
                raise WriteRefused("not_eligible")
            if seen == "already":  # an earlier attempt wrote it, then died or timed out
                outcome = Outcome(action=action, order_id=order_id, status=status, key=key, repeated=True)
            else:
                reference = write()
                outcome = Outcome(action=action, order_id=order_id, status=status, reference=reference, key=key)
        except WriteRefused:
            raise
        except LockTimeout:
            self.ledger.fail(key, order_id)
            return Outcome(action=action, order_id=order_id, status="in_progress", key=key)
        except AmbiguousWriteError as error:
            self.ledger.fail(key, order_id, unknown=True, holder=holder)
            log.warning("write %s on %s: outcome unknown: %s", action, order_id, error.endpoint)
            raise WriteFailed(str(error)) from error
        except ConnectorError as error:
            self.ledger.fail(key, order_id, unknown=begun.kind == "takeover", holder=holder)
            log.warning("write %s on %s failed: %s", action, order_id, error.endpoint)
            raise WriteFailed(str(error)) from error
        except BaseException:
            self.ledger.fail(key, order_id, unknown=True, holder=holder)
            raise
        self.ledger.finish(key, outcome, holder=holder)
        log.info("write %s on %s: %s (key %s)", action, order_id, outcome.status, key[:12])
        return outcome
