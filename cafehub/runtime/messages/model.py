"""Structured chat messages: text blocks, order and item lists, buttons that carry a command, expected answers.

A :class:`Message` is what a command step returns; every surface (the
terminal, the chat HTTP API, Channel Talk, the web page) renders the same
value its own way, and :meth:`Message.plain_text` gives the fallback every
surface can show. Buttons carry a command payload (``command`` and the
``answers`` to send back) so pressing one is the same as typing the answer.
All text is already localised (:mod:`.catalogue`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["ja", "ko", "en"]
LANGUAGES: tuple[Language, ...] = ("ja", "ko", "en")


class Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Button(Part):
    """A button: pressing it sends ``command`` with ``answers`` merged into the answers so far."""

    label: str
    command: str
    answers: dict[str, Any] = Field(default_factory=dict)
    style: Literal["primary", "secondary", "danger"] = "secondary"


class TextBlock(Part):
    type: Literal["text"] = "text"
    #: Catalogue key the text came from (for surfaces that style by meaning, and for tests).
    key: str
    text: str


class ItemLine(Part):
    """One order item as the customer sees it."""

    order_item_code: str
    name: str
    option: str = ""
    quantity: int
    status: str
    status_label: str
    amount: str = ""
    #: A line about readiness (restock date, "unknown") when the ETA is shown.
    note: str | None = None
    selectable: bool = False


class OrderBlock(Part):
    """One order: number, date, state (one for the order, or per item), items, actions."""

    type: Literal["order"] = "order"
    order_id: str
    ordered_on: str
    #: ``None`` when the items are in different states (each item shows its own).
    status_label: str | None
    items: list[ItemLine]
    total: str = ""
    lines: list[str] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)


class ChoiceOption(Part):
    value: str
    label: str
    available: bool = True


class FieldSpec(Part):
    """One input field of a form-like answer (refund account, new address)."""

    name: str
    label: str
    required: bool = True
    max_length: int | None = None
    problem: str | None = None


class Expect(Part):
    """What the next answer should be: which key of the answers, and its shape."""

    answer: str
    kind: Literal["choice", "order", "items", "fields", "photos", "confirm"]
    options: list[ChoiceOption] = Field(default_factory=list)
    fields: list[FieldSpec] = Field(default_factory=list)
    #: For ``items``: several may be chosen; for ``photos``: how many at most.
    multiple: bool = False
    max_count: int | None = None


Block = Annotated[TextBlock | OrderBlock, Field(discriminator="type")]


class Message(Part):
    """One message to the customer."""

    #: The catalogue key of the message's main text.
    key: str
    language: Language
    blocks: list[Block]
    buttons: list[Button] = Field(default_factory=list)
    expect: Expect | None = None

    def texts(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, TextBlock)]

    def plain_text(self) -> str:
        """The whole message as plain text (terminal, SMS-like surfaces, transcripts)."""
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, TextBlock):
                lines.append(block.text)
                continue
            head = f"#{block.order_id}  {block.ordered_on}"
            lines.append(f"{head}  [{block.status_label}]" if block.status_label else head)
            for item in block.items:
                option = f" ({item.option})" if item.option else ""
                state = "" if block.status_label else f"  [{item.status_label}]"
                lines.append(f"  - {item.name}{option} x{item.quantity}{state}"
                             + (f"  {item.amount}" if item.amount else ""))
                if item.note:
                    lines.append(f"      {item.note}")
            lines.extend(f"  {line}" for line in block.lines)
            if block.total:
                lines.append(f"  {block.total}")
            lines.extend(f"  [{b.label}]" for b in block.buttons)
        if self.expect is not None and self.expect.options:
            lines.extend(f"  ({o.value}) {o.label}" + ("" if o.available else " -") for o in self.expect.options)
        if self.expect is not None:
            lines.extend(f"  {f.name}: {f.label}" + (f"  ! {f.problem}" if f.problem else "")
                         for f in self.expect.fields)
        lines.extend(f"[{b.label}]" for b in self.buttons)
        return "\n".join(lines)
