"""The command engine: run one step of a chat command. The public, stable API of the runtime.

Contract
--------
::

    engine = CommandEngine(connectors, store_engine, settings, mall_id="myshop")
    result = engine.step(Identity.member("m0001"), "/cancel", Answers(), language="ja")
    result.state      # "asking" | "done" | "refused" | "failed"
    result.message    # the structured message to show (text blocks, orders, buttons, what to answer next)
    # the customer answers; call again with every answer so far:
    result = engine.step(identity, "/cancel", answers.merged({"order": "20250301-0000012"}), language="ja")

- **Stateless.** A step is a function of (identity, command, answers so
  far) and the shop's current data: the engine keeps no conversation
  state, re-reads the orders every step and re-checks every rule, so a
  conversation layer only stores the answers (and may be restarted at any
  time). ``message.expect`` names the next answer (``order``, ``scope``,
  ``items``, ``kind``, ``reason``, ``variants.<item>``, ``photos``,
  ``account``, ``address``, ``confirm``) and its shape; every button
  carries the command and the answers it adds (merge them with
  :meth:`Answers.merged`).
- **Identity** is a member id, or the set of guest order ids a verified
  phone or e-mail unlocked; an order outside it is "not found".
- **Writes** happen only on ``confirm: true`` and exactly once: the same
  confirmation repeated, retried or sent concurrently returns the first
  result (``outcome.repeated``), never a second cancellation, filing or
  refund. ``outcome`` tells what was done (ids and codes only).
- **Failures** of Cafe24 or the warehouse come back as ``state="failed"``
  with the guide's failure message and ``handoff=True``; user mistakes are
  asked again with the problem named. No exception escapes for either,
  and nothing personal is logged.
- **Languages**: ``ja``, ``ko``, ``en`` from one catalogue
  (:mod:`cafehub.runtime.messages.catalogue`); add keys by adding a TOML
  file there.

Commands: ``/orders`` (history; ``order`` → details with the ETA and the
allowed actions), ``/eta`` (with a warehouse), ``/cancel``, ``/return``
(return or exchange), ``/address``, also by their Japanese and Korean
names (:data:`~cafehub.runtime.answers.COMMAND_NAMES`). Staff decide held
returns and exchanges with :attr:`CommandEngine.pending`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cafehub.connectors.errors import ConnectorError
from cafehub.runtime.answers import Answers, Identity, named_kind, parse_command
from cafehub.runtime.executor import Executor
from cafehub.runtime.flows import address, cancel, eta, orders, returns
from cafehub.runtime.flows.context import Context
from cafehub.runtime.ledger import Ledger
from cafehub.runtime.messages.catalogue import Catalogue, default_catalogue
from cafehub.runtime.messages.model import Language, Message
from cafehub.runtime.pending import PendingClaims
from cafehub.runtime.reads import ShopConnectors, ShopReader
from cafehub.runtime.result import StepResult, StepState
from cafehub.runtime.rules.returns import PhotoProblem, image_type
from cafehub.runtime.rules.surcharges import load_table
from cafehub.runtime.settings import CommandName, MallSettings, ShopSettings

log = logging.getLogger("cafehub.runtime")

FLOWS: dict[CommandName, Callable[[Context], StepResult]] = {
    CommandName.ORDERS: orders.run,
    CommandName.ETA: eta.run,
    CommandName.CANCEL: cancel.run,
    CommandName.RETURN: returns.run,
    CommandName.ADDRESS: address.run,
}


class BadAnswers(ValueError):
    """Answers that do not have the documented shape (a caller's mistake); names the fields, not the values."""


def parse_answers(raw: dict[str, Any]) -> Answers:
    try:
        return Answers.model_validate(raw)
    except ValidationError as error:
        where = sorted({".".join(str(p) for p in e["loc"]) for e in error.errors(include_input=False)})
        raise BadAnswers(f"answers with the wrong shape: {', '.join(where)}") from None


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PhotoUpload:
    """An uploaded photo's id, or why it was refused."""

    photo_id: str | None
    problem: PhotoProblem | None = None


class CommandEngine:
    """Runs command steps for one shop over its connectors, recording writes in the store at ``store``.

    ``settings.mall`` is used as given when ``mall_from_cafe24`` is false;
    otherwise the mall's settings are read from Cafe24 (cached) and
    ``mall_overrides`` (a settings file's ``[mall]`` table) are put on top.
    """

    def __init__(
        self,
        connectors: ShopConnectors,
        store: Engine,
        settings: ShopSettings,
        *,
        mall_id: str,
        mall_from_cafe24: bool = True,
        mall_overrides: dict[str, Any] | None = None,
        catalogue: Catalogue | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.connectors = connectors
        self.mall_from_cafe24 = mall_from_cafe24
        self.reader = ShopReader(connectors, zone=settings.hub.zone, history_months=settings.hub.history_months,
                                 mall_overrides=mall_overrides)
        self.ledger = Ledger(store, mall_id, clock=clock)
        self.executor = Executor(self.ledger)
        self.catalogue = catalogue or default_catalogue()
        self.clock = clock
        self.zone = ZoneInfo(settings.hub.zone)
        self.table = load_table(settings.hub.remote_areas_file)
        self.pending = PendingClaims(self)

    def mall_settings(self) -> MallSettings:
        return self.reader.mall_settings() if self.mall_from_cafe24 else self.settings.mall

    def step(
        self,
        identity: Identity,
        command: str | CommandName,
        answers: Answers | dict[str, Any] | None = None,
        *,
        language: Language | None = None,
    ) -> StepResult:
        """Run one step of ``command`` for ``identity`` with the answers so far."""
        lang: Language = language or self.settings.hub.language
        name = parse_command(command)
        if name is None:
            return self._plain(CommandName.ORDERS, "refused", "common.unknown_command", lang, "unknown_command")
        if not self.settings.hub.enabled(name):
            key = "eta.needs_wms" if name is CommandName.ETA and self.settings.hub.wms == "none" else "common.off"
            return self._plain(name, "refused", key, lang, "command_off")
        given = answers if isinstance(answers, Answers) else parse_answers(answers or {})
        kind = named_kind(command)
        if kind is not None and given.kind is None:  # "/交換": the exchange, without asking which
            given = given.merged({"kind": kind})
        try:
            ctx = Context(identity=identity, command=name, answers=given, language=lang, hub=self.settings.hub,
                          mall=self.mall_settings(), reader=self.reader, executor=self.executor,
                          ledger=self.ledger, catalogue=self.catalogue, now=self.clock(), zone=self.zone,
                          table=self.table)
            return FLOWS[name](ctx)
        except ConnectorError as error:
            log.warning("command %s failed: %s", name.value, error.endpoint or type(error).__name__)
            return self._plain(name, "failed", "common.failure", lang, "failure", handoff=True)
        except SQLAlchemyError as error:  # the store holding the ledger is down or locked
            log.warning("command %s failed: store %s", name.value, type(error).__name__)
            return self._plain(name, "failed", "common.failure", lang, "failure", handoff=True)

    def _plain(self, command: CommandName, state: StepState, key: str, language: Language, reason: str,
               *, handoff: bool = False) -> StepResult:
        from cafehub.runtime.messages.model import TextBlock

        message = Message(key=key, language=language,
                          blocks=[TextBlock(key=key, text=self.catalogue.text(key, language))])
        return StepResult(command=command, state=state, message=message, reason=reason, handoff=handoff)

    def upload_photo(self, data: bytes) -> PhotoUpload:
        """Keep a photo of a defective or wrong item; checked by its bytes (type) and size."""
        kind = image_type(data)
        if kind is None:
            return PhotoUpload(None, PhotoProblem.NOT_AN_IMAGE)
        if len(data) > self.settings.hub.photos.max_bytes:
            return PhotoUpload(None, PhotoProblem.TOO_LARGE)
        return PhotoUpload(self.ledger.save_photo(data, kind))

    def close(self) -> None:
        self.connectors.close()
