"""The reducer: ``step(state, event) -> (state, messages, effects)``, pure and deterministic.

A customer's words pick a command (slash command, a button, or the intent
classifier); an unknown customer verifies first (a code by SMS or e-mail,
then which account or guest orders to use); then every turn is one step of
the command engine (:meth:`cafehub.runtime.engine.CommandEngine.step`) with
the answers so far, so every rule (cancel eligibility, modes, refund routes,
the refund account, ETA, returns, addresses) is the command runtime's. The
tasks of the guide come out of that:

- order inquiry: intent → verify → the latest orders, or an operator when
  verification fails or nothing is found;
- order cancel: intent → verify → cancellable orders → one → whole or items
  → refund account when staff pay into a bank → reason → summary → confirm
  → the Cafe24 write → the guide's success line, or its failure line and an
  operator.

At most one effect is outstanding; its key (``{conversation}:{seq}``) is
fixed here, before anything runs. Every message comes from the one
catalogue (``chat.*`` keys in ``messages/catalogue/chat.toml``).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from cafehub.runtime.answers import Answers, Identity
from cafehub.runtime.identity.phones import InvalidContact, parse_contact
from cafehub.runtime.intent import IntentClassifier, detect_language, parse_slash
from cafehub.runtime.messages.catalogue import Catalogue
from cafehub.runtime.messages.model import Button, Message, TextBlock
from cafehub.runtime.result import StepResult

from .model import MENU, PHOTO_CHANNELS, PICK_IDENTITY, TASKS, Effect, Event, Pressable, State, Step, Task
from .reading import fold, is_resend, merge, number, read_answer
from .render import numbered, selectable_items

_CODE = re.compile(r"^\s*(\d{6})\s*$")


class Reducer:
    """The pure transition function with its fixed inputs: the classifier, the catalogue, the phone region."""

    def __init__(self, classifier: IntentClassifier, catalogue: Catalogue, *, region: str = "KR") -> None:
        self.classifier = classifier
        self.catalogue = catalogue
        self.region = region

    # -- building blocks ------------------------------------------------------

    def say(self, state: State, key: str, *, buttons: list[Button] | None = None, **values: Any) -> Message:
        text = self.catalogue.text(key, state.lang, **values)
        return Message(key=key, language=state.lang, blocks=[TextBlock(key=key, text=text)], buttons=buttons or [])

    def effect(self, state: State, kind: str, **args: Any) -> tuple[State, Effect]:
        seq = state.seq + 1
        return (state.model_copy(update={"seq": seq}),
                Effect(key=f"{state.conversation_id}:{seq}", kind=kind, args=args))

    @staticmethod
    def with_task(state: State, **changes: Any) -> State:
        assert state.task is not None
        return state.model_copy(update={"task": state.task.model_copy(update=changes)})

    def hand_over(self, state: State, reason: str, messages: list[Message]) -> Step:
        state, effect = self.effect(state, "hand_over", reason=reason)
        return state.model_copy(update={"task": None}), messages, [effect]

    # -- the transition ---------------------------------------------------------

    def step(self, state: State, event: Event) -> Step:
        if state.status == "handed_over":
            return state, [], []  # an operator has the chat: the bot stays silent until given it back
        if event.kind == "result":
            state, messages, effects = self._on_result(state, event)
        elif event.kind == "button":
            state, messages, effects = self.press(state, Pressable(command=event.command or "",
                                                                   answers=dict(event.answers)))
        elif event.kind == "photos":
            state, messages, effects = self._on_photos(state, event.photos)
        else:
            state, messages, effects = self._on_text(state, event.text)
        if messages:  # the numbers a text surface shows are the last message's buttons
            state = state.model_copy(update={"buttons": tuple(
                Pressable(command=b.command, answers=b.answers) for b in numbered(messages[-1]))})
        return state, messages, effects

    def _on_text(self, state: State, text: str) -> Step:
        task = state.task
        if task is not None and task.step == "contact":
            return self._contact(state, text)
        if task is not None and task.step == "code":
            return self._code(state, task, text)
        if task is not None and task.step == "waiting":
            return state, [], []  # an effect is running for this conversation: nothing to do with the text
        if task is not None and task.step == "answer" and task.expect is not None:
            slash = parse_slash(text)
            if slash is None and task.expect.kind != "items":
                pressed = self._numbered(state, text)
                if pressed is not None:
                    return self.press(state, pressed)
            if slash is None:
                given = read_answer(task.expect, task.item_codes, text)
                if given is not None:
                    return self.run(state, merge(task.answers, given))
            return self._intent(state, text, hint=self._hint(state, task))
        if task is not None and task.step == "identity":
            pressed = self._numbered(state, text)
            if pressed is not None:
                return self.press(state, pressed)
            return state, [self.say(state, "chat.pick_number")], []
        pressed = self._numbered(state, text)
        if pressed is not None:
            return self.press(state, pressed)
        return self._intent(state, text)

    def _numbered(self, state: State, text: str) -> Pressable | None:
        chosen = number(text)
        if chosen is None or not 1 <= chosen <= len(state.buttons):
            return None
        return state.buttons[chosen - 1]

    def _hint(self, state: State, task: Task) -> Message:
        assert task.expect is not None
        kind = task.expect.kind
        if kind == "items":
            return self.say(state, "chat.hint.items")
        if kind == "fields":
            names = ", ".join(f.label for f in task.expect.fields)
            return self.say(state, "chat.hint.fields", fields=names)
        if kind == "photos":
            return self.say(state, "chat.hint.photos")
        if kind == "confirm":
            return self.say(state, "chat.hint.confirm")
        return self.say(state, "chat.pick_number")

    def _intent(self, state: State, text: str, *, hint: Message | None = None) -> Step:
        """A new request from free text, or (in the middle of a task) the hint when the text is none."""
        slash = parse_slash(text)
        if slash is not None:
            intent, lang, _ = slash
            state = state.model_copy(update={"lang": lang})
        else:
            if any(ch.isalpha() for ch in text):
                state = state.model_copy(update={"lang": detect_language(text, state.lang)})
            found = self.classifier.classify(text, lang=state.lang)
            intent = found.intent
            if hint is not None and (intent == "none" or (state.task is not None and intent == state.task.kind)):
                return state, [hint.model_copy(update={"language": state.lang})], []
        if intent == "operator":
            return self.hand_over(state, "customer_asked", [self.say(state, "chat.handed_over")])
        if intent == "none":
            buttons = [Button(label=self.catalogue.text(f"chat.menu.{k}", state.lang), command=MENU,
                              answers={"intent": k}) for k in (*TASKS, "operator")]
            return state.model_copy(update={"task": None}), [self.say(state, "chat.menu", buttons=buttons)], []
        return self.start(state, intent)

    def press(self, state: State, pressed: Pressable) -> Step:
        """A button, pressed or chosen by its number."""
        if pressed.command == MENU:
            intent = str(pressed.answers.get("intent", ""))
            if intent == "operator":
                return self.hand_over(state, "customer_asked", [self.say(state, "chat.handed_over")])
            if intent in TASKS:
                return self.start(state, intent)
            return state, [self.say(state, "chat.pick_number")], []
        if pressed.command == PICK_IDENTITY:
            task = state.task
            index = pressed.answers.get("index")
            if task is None or task.step != "identity" or not isinstance(index, int) \
                    or not 0 <= index < len(task.identities):
                return state, [self.say(state, "chat.pick_number")], []
            chosen = task.identities[index]
            return self.run(self.with_task(state.model_copy(update={"who": chosen}), identities=()), task.answers)
        task = state.task
        if not pressed.command and task is not None and task.step == "answer":  # answers to the question asked
            return self.run(state, merge(task.answers, pressed.answers))
        kind = pressed.command.lstrip("/")
        if kind not in TASKS:
            return state, [self.say(state, "chat.pick_number")], []
        if task is not None and task.kind == kind and task.step == "answer":
            return self.run(state, merge(task.answers, pressed.answers))
        return self.start(state, kind, pressed.answers)

    def start(self, state: State, kind: str, answers: dict[str, Any] | None = None) -> Step:
        task = Task(kind=kind, step="waiting", answers=dict(answers or {}))
        state = state.model_copy(update={"task": task})
        if state.who is None:
            return self.with_task(state, step="contact"), [self.say(state, "chat.ask_contact")], []
        return self.run(state, task.answers)

    def run(self, state: State, answers: dict[str, Any]) -> Step:
        """One step of the command engine with ``answers``."""
        assert state.task is not None
        assert state.who is not None
        try:
            Answers.model_validate(answers)
        except ValidationError:  # a forged or stale button: keep the answers that were fine
            return state, [self.say(state, "chat.bad_answer")], []
        who = state.who.model_dump(mode="json")
        state = self.with_task(state, step="waiting", answers=answers)
        state, effect = self.effect(state, "command", who=who, command=state.task.kind if state.task else "",
                                    answers=answers, lang=state.lang)
        return state, [], [effect]

    def _on_photos(self, state: State, photos: tuple[str, ...]) -> Step:
        task = state.task
        if task is None or task.step != "answer" or task.expect is None or task.expect.kind != "photos":
            return state, [self.say(state, "chat.photos_unexpected")], []
        return self.run(state, merge(task.answers, {"photos": list(photos)}))

    # -- verification -------------------------------------------------------------

    def _contact(self, state: State, text: str) -> Step:
        if parse_slash(text) is not None:
            return self._intent(state, text)
        try:
            contact = parse_contact(text.strip(), self.region)
        except InvalidContact:
            return state, [self.say(state, "chat.bad_contact")], []
        state = self.with_task(state, contact_channel=contact.channel, contact=contact.address, step="waiting")
        state, effect = self.effect(state, "send_code", channel=contact.channel, address=contact.address,
                                    lang=state.lang)
        return state, [], [effect]

    def _code(self, state: State, task: Task, text: str) -> Step:
        if parse_slash(text) is not None:
            return self._intent(state, text)
        if is_resend(text):
            state, effect = self.effect(self.with_task(state, step="waiting"), "send_code",
                                        channel=task.contact_channel, address=task.contact, lang=state.lang)
            return state, [], [effect]
        match = _CODE.match(fold(text))
        if match is None:
            return state, [self.say(state, "chat.code_format")], []
        state, effect = self.effect(self.with_task(state, step="waiting"), "check_code",
                                    channel=task.contact_channel, address=task.contact, code=match.group(1))
        return state, [], [effect]

    # -- effect results ------------------------------------------------------------

    def _on_result(self, state: State, event: Event) -> Step:
        result = event.result
        if event.key != f"{state.conversation_id}:{state.seq}":
            return state, [], []  # a stale result (already applied): ignore
        kind = result.get("effect")
        if kind == "hand_over":
            return state.model_copy(update={"status": "handed_over", "task": None, "buttons": (),
                                            "handoff_reason": result.get("reason")}), [], []
        task = state.task
        if task is None:
            return state, [], []
        if kind == "send_code":
            return self._sent(state, result)
        if kind == "check_code":
            return self._checked(state, task, result)
        if kind == "find_identities":
            return self._identities(state, task, result)
        if kind == "command":
            return self._stepped(state, task, result)
        return state, [], []

    def _sent(self, state: State, result: dict[str, Any]) -> Step:
        status = result.get("status")
        if status == "sent":
            return (self.with_task(state, step="code"),
                    [self.say(state, "chat.code_sent", contact=result.get("masked", ""))], [])
        if status == "cooldown":
            return (self.with_task(state, step="code"),
                    [self.say(state, "chat.code_wait", seconds=result.get("retry_after", 30))], [])
        return self.hand_over(state, f"code_not_sent_{status}", [self.say(state, "chat.verify_failed")])

    def _checked(self, state: State, task: Task, result: dict[str, Any]) -> Step:
        status = result.get("status")
        if status == "verified":
            state, effect = self.effect(state, "find_identities", channel=task.contact_channel, address=task.contact)
            return state, [], [effect]
        if status == "wrong":
            return (self.with_task(state, step="code"),
                    [self.say(state, "chat.code_wrong", tries_left=result.get("tries_left", 0))], [])
        if status in ("expired", "none"):
            return self.with_task(state, step="code"), [self.say(state, "chat.code_expired")], []
        return self.hand_over(self.with_task(state, contact=None, contact_channel=None), "verification_failed",
                              [self.say(state, "chat.verify_failed")])

    def _identities(self, state: State, task: Task, result: dict[str, Any]) -> Step:
        found = [Identity.model_validate(i) for i in result.get("identities", [])]
        state = self.with_task(state, contact=None, contact_channel=None)  # the contact is not kept once verified
        if not found:
            return self.hand_over(state, "no_identity", [self.say(state, "chat.no_orders")])
        if len(found) == 1:
            return self.run(state.model_copy(update={"who": found[0]}), task.answers)
        labels = list(result.get("labels", []))
        buttons = []
        for index, each in enumerate(found):
            label = (self.catalogue.text("chat.identity_member", state.lang, label=labels[index])
                     if each.member_id else
                     self.catalogue.text("chat.identity_guest", state.lang, count=len(each.guest_order_ids)))
            buttons.append(Button(label=label, command=PICK_IDENTITY, answers={"index": index}))
        state = self.with_task(state, step="identity", identities=tuple(found))
        return state, [self.say(state, "chat.pick_identity", buttons=buttons)], []

    def _stepped(self, state: State, task: Task, result: dict[str, Any]) -> Step:
        if "step" not in result:  # the runtime refused the answers' shape
            return self.with_task(state, step="answer"), [self.say(state, "chat.bad_answer")], []
        done = StepResult.model_validate(result["step"])
        message = done.message
        if done.state == "asking" and message.expect is not None:
            if message.expect.kind == "photos" and state.channel not in PHOTO_CHANNELS:
                return self.hand_over(state, f"{task.kind}_needs_photos",
                                      [message, self.say(state, "chat.photos_operator")])
            state = self.with_task(state, step="answer", expect=message.expect,
                                   item_codes=tuple(selectable_items(message)))
            return state, [message], []
        if done.handoff or done.state == "failed":
            return self.hand_over(state, f"{task.kind}_{done.reason or 'failed'}", [message])
        if task.kind == "orders" and done.reason == "no_orders":
            return self.hand_over(state, "no_orders", [self.say(state, "chat.no_orders")])
        return state.model_copy(update={"task": None}), [message], []
