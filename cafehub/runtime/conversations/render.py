"""Messages as plain text for surfaces without buttons (Channel Talk text, the terminal), numbered.

Every button of a message gets a number, in reading order: each order
block's buttons, then the message's own (:func:`numbered`). The reducer
keeps the same list, so a customer who types ``2`` presses the second
button, whatever surface they use. In an ``items`` question the selectable
items are numbered instead (``1,3`` or ``1x2`` picks them).
"""

from __future__ import annotations

from cafehub.runtime.messages.model import Button, Message, OrderBlock, TextBlock


def numbered(message: Message) -> list[Button]:
    """The message's buttons in the order :func:`render_text` numbers them."""
    out: list[Button] = []
    for block in message.blocks:
        if isinstance(block, OrderBlock):
            out.extend(block.buttons)
    out.extend(message.buttons)
    return out


def selectable_items(message: Message) -> list[str]:
    """Order item codes an ``items`` question offers, in the order they are numbered."""
    return [item.order_item_code for block in message.blocks if isinstance(block, OrderBlock)
            for item in block.items if item.selectable]


def render_text(message: Message) -> str:
    """The message as numbered plain text."""
    lines: list[str] = []
    button = 0
    item_number = 0
    expect = message.expect
    items_question = expect is not None and expect.kind == "items"
    for block in message.blocks:
        if isinstance(block, TextBlock):
            lines.append(block.text)
            continue
        head = f"#{block.order_id}  {block.ordered_on}"
        if block.status_label:
            head += f"  [{block.status_label}]"
        if len(block.buttons) == 1:
            button += 1
            head = f"{button}. {head}  → {block.buttons[0].label}"
        lines.append(head)
        for item in block.items:
            option = f" ({item.option})" if item.option else ""
            state = "" if block.status_label else f"  [{item.status_label}]"
            mark = "  - "
            if items_question and item.selectable:
                item_number += 1
                mark = f"  {item_number}) "
            amount = f"  {item.amount}" if item.amount else ""
            lines.append(f"{mark}{item.name}{option} x{item.quantity}{state}{amount}")
            if item.note:
                lines.append(f"      {item.note}")
        lines.extend(f"  {line}" for line in block.lines)
        if block.total:
            lines.append(f"  {block.total}")
        if len(block.buttons) > 1:
            for each in block.buttons:
                button += 1
                lines.append(f"  {button}. {each.label}")
    if expect is not None and expect.kind == "fields":
        lines.extend(f"  - {f.label}" + ("" if f.required else " (-)") + (f"  ! {f.problem}" if f.problem else "")
                     for f in expect.fields)
    for each in message.buttons:
        button += 1
        lines.append(f"{button}. {each.label}")
    return "\n".join(lines)
