"""The write side: perform one decided write exactly once.

:meth:`Executor.perform` takes what a rule decided (the action, the order,
the payload that identifies the write) and three functions supplied by the
command step: ``check`` (re-read the order and say whether the write is
still allowed, or has already happened), ``write`` (make it, through the
connectors' settled writes) and ``label`` for the outcome. In order:

1. the idempotency key is recorded in the ledger before anything is sent;
   a ``done`` record answers at once with the first result, a running one
   is waited for;
2. the order lock is taken, so two different writes on one order never
   interleave;
3. the order is re-read (``check``): refused now → nothing is written;
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
    ) -> Outcome:
        key = action_key(self.ledger.mall_id, action, payload)
        begun = self.ledger.begin(key, action, order_id)
        if begun.kind == "done" and begun.outcome is not None:
            log.info("write %s on %s: already done (key %s)", action, order_id, key[:12])
            return begun.outcome.model_copy(update={"repeated": True})
        if begun.kind == "running":
            finished = self.ledger.wait_done(key, self.wait_for_running)
            if finished is not None:
                return finished.model_copy(update={"repeated": True})
            return Outcome(action=action, order_id=order_id, status="in_progress", key=key)
        try:
            with self.ledger.order_lock(order_id):
                seen = check()
                if seen == "refused":
                    self.ledger.forget(key)
                    raise WriteRefused("not_eligible")
                if seen == "already":  # an earlier attempt wrote it, then died or timed out
                    outcome = Outcome(action=action, order_id=order_id, status=status, key=key, repeated=True)
                else:
                    reference = write()
                    outcome = Outcome(action=action, order_id=order_id, status=status, reference=reference, key=key)
        except LockTimeout:
            self.ledger.fail(key)
            return Outcome(action=action, order_id=order_id, status="in_progress", key=key)
        except AmbiguousWriteError as error:
            self.ledger.fail(key, unknown=True)
            log.warning("write %s on %s: outcome unknown: %s", action, order_id, error.endpoint)
            raise WriteFailed(str(error)) from error
        except ConnectorError as error:
            self.ledger.fail(key, unknown=begun.kind == "takeover")
            log.warning("write %s on %s failed: %s", action, order_id, error.endpoint)
            raise WriteFailed(str(error)) from error
        self.ledger.finish(key, outcome)
        log.info("write %s on %s: %s (key %s)", action, order_id, outcome.status, key[:12])
        return outcome
