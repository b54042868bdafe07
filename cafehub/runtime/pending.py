"""Returns and exchanges held for staff (``defect_mode = pending``): list, approve, reject.

Approving files the held request in Cafe24 (once: it goes through the
executor's ledger like any write); rejecting keeps the order's status as it
was in Cafe24 and produces the message, with the staff's reason, that the
conversation layer sends to the customer in the language they used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from cafehub.runtime.executor import WriteFailed
from cafehub.runtime.messages.model import Language, Message, TextBlock
from cafehub.runtime.rules.returns import ClaimWrite

if TYPE_CHECKING:
    from cafehub.runtime.engine import CommandEngine


class PendingError(ValueError):
    """No such pending claim, or it was already decided."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What staff decided: the claim, its new state, Cafe24's reference, and the message for the customer."""

    claim_id: str
    order_id: str
    state: Literal["approved", "rejected", "failed"]
    message: Message
    reference: str | None = None


class PendingClaims:
    def __init__(self, engine: CommandEngine) -> None:
        self.engine = engine

    def waiting(self) -> list[dict[str, Any]]:
        """Claims waiting for staff (ids, order, kind, photo ids, when); the write is not shown."""
        rows = self.engine.ledger.pending()
        return [{k: v for k, v in row.items() if k not in ("write",)} for row in rows]

    def photos(self, claim_id: str) -> list[tuple[str, str, bytes]]:
        """The customer's photos of a claim: ``(photo id, content type, bytes)``, for staff to look at."""
        rows = self.engine.ledger.pending(claim_id, state=None)
        if not rows:
            raise PendingError(f"no pending claim {claim_id}")
        out = []
        for photo_id in rows[0]["photos"]:
            found = self.engine.ledger.photo(photo_id)
            if found is not None:
                out.append((photo_id, found[0], found[1]))
        return out

    def _one(self, claim_id: str) -> dict[str, Any]:
        rows = self.engine.ledger.pending(claim_id, state=None)
        if not rows:
            raise PendingError(f"no pending claim {claim_id}")
        row = rows[0]
        if row["state"] not in ("pending", "failed"):
            raise PendingError(f"claim {claim_id} was already {row['state']}")
        return row

    def _message(self, key: str, language: Language, **values: Any) -> Message:
        text = self.engine.catalogue.text(key, language, **values)
        return Message(key=key, language=language, blocks=[TextBlock(key=key, text=text)])

    def approve(self, claim_id: str) -> Decision:
        """File the held request in Cafe24 and tell the customer."""
        from cafehub.runtime.flows.returns import file_claim

        row = self._one(claim_id)
        write = ClaimWrite.model_validate(row["write"])
        language: Language = row["language"]

        def send() -> str | None:
            return file_claim(self.engine.reader.cafe24, write)

        try:
            outcome = self.engine.executor.perform(
                action=write.kind.value, order_id=write.order_id,  # type: ignore[arg-type]
                payload={**write.model_dump(mode="json"), "approved": claim_id},
                check=lambda: "allowed", write=send, status="requested")
        except WriteFailed:
            self.engine.ledger.decide(claim_id, "failed")
            return Decision(claim_id, write.order_id, "failed", self._message("common.failure", language))
        self.engine.ledger.decide(claim_id, "approved", reference=outcome.reference)
        return Decision(claim_id, write.order_id, "approved",
                        self._message("return.approved", language, order_id=write.order_id), outcome.reference)

    def reject(self, claim_id: str, reason: str) -> Decision:
        """Refuse the held request: nothing changes in Cafe24; the customer gets the reason."""
        row = self._one(claim_id)
        if not reason.strip():
            raise PendingError("a reason for the customer is required")
        self.engine.ledger.decide(claim_id, "rejected", reason=reason.strip())
        return Decision(claim_id, row["order_id"], "rejected",
                        self._message("return.rejected", row["language"], order_id=row["order_id"],
                                      reason=reason.strip()))
