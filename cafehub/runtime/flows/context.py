"""What every command step shares: the request, the shop, and helpers that build localised messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from cafehub.runtime.answers import Answers, Identity
from cafehub.runtime.executor import Executor
from cafehub.runtime.ledger import Ledger
from cafehub.runtime.messages.catalogue import Catalogue, Formatter
from cafehub.runtime.messages.model import (
    Button,
    ChoiceOption,
    Expect,
    FieldSpec,
    ItemLine,
    Language,
    Message,
    OrderBlock,
    TextBlock,
)
from cafehub.runtime.reads import ShopReader
from cafehub.runtime.result import Outcome, StepResult, StepState
from cafehub.runtime.rules.surcharges import RemoteAreaTable
from cafehub.runtime.settings import CommandName, HubSettings, MallSettings
from cafehub.runtime.snapshots import ItemSnapshot, OrderSnapshot
from cafehub.runtime.statuses import display_status, order_display


@dataclass(slots=True)
class Context:
    """One command step: who asks, what they answered, the shop's settings and connectors, the clock."""

    identity: Identity
    command: CommandName
    answers: Answers
    language: Language
    hub: HubSettings
    mall: MallSettings
    reader: ShopReader
    executor: Executor
    ledger: Ledger
    catalogue: Catalogue
    now: datetime
    zone: ZoneInfo
    table: RemoteAreaTable

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def fmt(self) -> Formatter:
        return Formatter(self.language)

    # -- words ----------------------------------------------------------------

    def t(self, key: str, /, **values: Any) -> str:
        return self.catalogue.text(key, self.language, **values)

    def text(self, key: str, /, **values: Any) -> TextBlock:
        return TextBlock(key=key, text=self.t(key, **values))

    def money(self, amount: Decimal, currency: str) -> str:
        return self.fmt.money(amount, currency)

    def day(self, value: date) -> str:
        return self.fmt.day(value)

    def status_label(self, code: str) -> str:
        return self.t(f"status.{display_status(code).value}")

    # -- building blocks --------------------------------------------------------

    def button(self, key: str, answers: Mapping[str, Any], *, command: CommandName | None = None,
               style: str = "secondary", **values: Any) -> Button:
        return Button(label=self.t(key, **values), command=(command or self.command).value,
                      answers=dict(answers), style=style)

    def item_line(self, order: OrderSnapshot, item: ItemSnapshot, *, note: str | None = None,
                  selectable: bool = False, quantity: int | None = None) -> ItemLine:
        count = quantity or item.quantity
        return ItemLine(
            order_item_code=item.order_item_code, name=item.product_name, option=item.option_text,
            quantity=count, status=display_status(item.status).value, status_label=self.status_label(item.status),
            amount=self.money(item.unit_price * count, order.currency), note=note, selectable=selectable,
        )

    def order_block(
        self,
        order: OrderSnapshot,
        *,
        items: Sequence[ItemSnapshot] | None = None,
        quantities: Mapping[str, int] | None = None,
        notes: Mapping[str, str] | None = None,
        lines: Iterable[str] = (),
        buttons: Iterable[Button] = (),
        selectable: Iterable[str] = (),
        total: bool = True,
    ) -> OrderBlock:
        shown = list(items if items is not None else order.items)
        chosen = set(selectable)
        state = order_display(i.status for i in shown)
        return OrderBlock(
            order_id=order.order_id,
            ordered_on=self.day(order.ordered_at.astimezone(self.zone).date()),
            status_label=self.t(f"status.{state.value}") if state is not None else None,
            items=[self.item_line(order, i, note=(notes or {}).get(i.order_item_code),
                                  selectable=i.order_item_code in chosen,
                                  quantity=(quantities or {}).get(i.order_item_code)) for i in shown],
            total=self.t("orders.total", amount=self.money(order.payment_amount, order.currency)) if total else "",
            lines=list(lines),
            buttons=list(buttons),
        )

    # -- results ----------------------------------------------------------------

    def message(self, key: str, *blocks: TextBlock | OrderBlock, buttons: Iterable[Button] = (),
                expect: Expect | None = None, lead: bool = True, **values: Any) -> Message:
        head = [self.text(key, **values)] if lead else []
        return Message(key=key, language=self.language, blocks=[*head, *blocks], buttons=list(buttons),
                       expect=expect)

    def result(self, state: StepState, message: Message, *, reason: str | None = None,
               outcome: Outcome | None = None, handoff: bool = False) -> StepResult:
        return StepResult(command=self.command, state=state, message=message, reason=reason, outcome=outcome,
                          handoff=handoff)

    def ask(self, key: str, expect: Expect, *blocks: TextBlock | OrderBlock, buttons: Iterable[Button] = (),
            **values: Any) -> StepResult:
        return self.result("asking", self.message(key, *blocks, buttons=buttons, expect=expect, **values))

    def done(self, key: str, *blocks: TextBlock | OrderBlock, buttons: Iterable[Button] = (),
             reason: str | None = None, outcome: Outcome | None = None, **values: Any) -> StepResult:
        return self.result("done", self.message(key, *blocks, buttons=buttons, **values), reason=reason,
                           outcome=outcome)

    def refused(self, key: str, reason: str, *blocks: TextBlock | OrderBlock, **values: Any) -> StepResult:
        return self.result("refused", self.message(key, *blocks, **values), reason=reason)

    def failed(self) -> StepResult:
        """The guide's failure message, and the operator hand-off signal."""
        return self.result("failed", self.message("common.failure"), reason="failure", handoff=True)

    # -- common questions ---------------------------------------------------------

    def choose_order(self, key: str, orders: Sequence[OrderSnapshot], button_key: str) -> StepResult:
        """List orders, each with a button that answers ``order``."""
        blocks = [self.order_block(o, buttons=[self.button(button_key, {"order": o.order_id}, style="primary")])
                  for o in orders]
        options = [ChoiceOption(value=o.order_id, label=o.order_id) for o in orders]
        return self.ask(key, Expect(answer="order", kind="order", options=options), *blocks)

    def choose(self, key: str, answer: str, options: Sequence[tuple[str, str]], *blocks: TextBlock | OrderBlock,
               **values: Any) -> StepResult:
        """Ask for one of ``options`` (``(value, label key)``), each also offered as a button."""
        choices = [ChoiceOption(value=value, label=self.t(label)) for value, label in options]
        buttons = [self.button(label, {answer: value}) for value, label in options]
        return self.ask(key, Expect(answer=answer, kind="choice", options=choices), *blocks, buttons=buttons,
                        **values)

    def ask_fields(self, key: str, answer: str, fields: Sequence[tuple[str, int | None, bool]],
                   problems: Mapping[str, str], *blocks: TextBlock | OrderBlock) -> StepResult:
        """Ask for a form (``(field name, max length, required)``), showing the problem of each bad field."""
        specs = [FieldSpec(name=name, label=self.t(f"field.{name}"), required=required, max_length=limit,
                           problem=problems.get(name)) for name, limit, required in fields]
        notes = [self.text("field.problem", field=self.t(f"field.{n}"), problem=p) for n, p in problems.items()]
        return self.ask(key, Expect(answer=answer, kind="fields", fields=specs), *notes, *blocks)

    def confirm(self, key: str, *blocks: TextBlock | OrderBlock, **values: Any) -> StepResult:
        buttons = [self.button("common.confirm", {"confirm": True}, style="primary"),
                   self.button("common.stop", {"confirm": False})]
        return self.ask(key, Expect(answer="confirm", kind="confirm"), *blocks, buttons=buttons, **values)
