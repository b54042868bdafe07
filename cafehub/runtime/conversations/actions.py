"""What effects do: one-time codes, the accounts a contact unlocks, a command step, the hand-off.

Every order rule lives in the command runtime: the ``command`` effect is one
:meth:`~cafehub.runtime.engine.CommandEngine.step` with the answers so far,
and its result (a :class:`~cafehub.runtime.result.StepResult`) goes back to
the reducer as JSON. Running it again after a crash is safe: the engine
records each write's idempotency key before it writes, and a confirmation
repeated after the write answers with the first outcome, never a second
cancellation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cafehub.connectors.errors import ConnectorError
from cafehub.runtime.answers import Identity
from cafehub.runtime.engine import BadAnswers, CommandEngine
from cafehub.runtime.identity import Contact, OtpService, find_identities
from cafehub.runtime.identity.phones import region_for_zone

from .model import Effect

log = logging.getLogger("cafehub.conversations")

#: ``on_hand_over(shop, conversation_id, reason, key)``: a channel acts on a hand-off (Channel Talk: a private
#: note and a manager), idempotent by ``key`` (the effect's key: the same hand-off may be retried after a restart).
HandOver = Callable[[str, str, str, str], None]


class ChatActions:
    """Runs effects for one shop over its command engine and its one-time code service."""

    def __init__(self, commands: CommandEngine, otp: OtpService, *, shop: str,
                 on_hand_over: HandOver | None = None, today: Callable[[], date] | None = None) -> None:
        self.commands = commands
        self.otp = otp
        self.shop = shop
        self.on_hand_over = on_hand_over
        zone = commands.settings.hub.zone
        self.region = region_for_zone(zone)
        self._today = today or (lambda: datetime.now(ZoneInfo(zone)).date())

    def run(self, conversation_id: str, effect: Effect) -> dict[str, Any]:
        handler = getattr(self, f"_{effect.kind}")
        try:
            result: dict[str, Any] = handler(conversation_id, key=effect.key, **effect.args)
        except ConnectorError as error:  # the directory's look-ups (the engine reports its own failures)
            log.warning("effect %s failed: %s", effect.kind, error.endpoint or type(error).__name__)
            result = {"status": "failed"} if effect.kind != "find_identities" else {"identities": [], "failed": True}
        return {"effect": effect.kind, **result}

    # -- identity -------------------------------------------------------------

    def _send_code(self, conversation_id: str, *, key: str, channel: str, address: str,
                   lang: str) -> dict[str, Any]:
        contact = Contact(channel, address)  # type: ignore[arg-type]
        sent = self.otp.send(self.shop, contact, lang=lang)
        return {"status": sent.status, "retry_after": sent.retry_after_seconds, "masked": contact.masked}

    def _check_code(self, conversation_id: str, *, key: str, channel: str, address: str,
                    code: str) -> dict[str, Any]:
        checked = self.otp.verify(self.shop, Contact(channel, address), code)  # type: ignore[arg-type]
        return {"status": checked.status, "tries_left": checked.tries_left}

    def identities(self, contact: Contact) -> tuple[list[Identity], list[str]]:
        """The member accounts and guest orders a verified contact unlocks, with masked labels."""
        found = find_identities(self.commands.reader.cafe24, contact, region=self.region, today=self._today())
        identities = [Identity.member(i.member_id) if i.kind == "member" and i.member_id
                      else Identity.guest(i.order_ids) for i in found]
        return identities, [i.label for i in found]

    def _find_identities(self, conversation_id: str, *, key: str, channel: str,
                         address: str) -> dict[str, Any]:
        found, labels = self.identities(Contact(channel, address))  # type: ignore[arg-type]
        return {"identities": [i.model_dump(mode="json") for i in found], "labels": labels}

    # -- commands -------------------------------------------------------------

    def _command(self, conversation_id: str, *, key: str, who: dict[str, Any], command: str,
                 answers: dict[str, Any], lang: str) -> dict[str, Any]:
        try:
            step = self.commands.step(Identity.model_validate(who), command, answers,
                                      language=lang)  # type: ignore[arg-type]
        except BadAnswers as error:
            log.info("command %s: %s", command, error)
            return {}
        return {"step": step.model_dump(mode="json")}

    def _hand_over(self, conversation_id: str, *, key: str, reason: str) -> dict[str, Any]:
        if self.on_hand_over is not None:  # run again after a restart: the channel de-duplicates by ``key``
            self.on_hand_over(self.shop, conversation_id, reason, key)
        log.info("conversation %s handed over: %s", conversation_id, reason)
        return {"reason": reason}
