"""Senders of one-time codes, behind one interface.

- :class:`SmsCodeSender`: through an HTTP SMS provider
  (:mod:`cafehub.connectors.sms`, configurable like the Sellmate adapter);
- :class:`EmailCodeSender`: through SMTP (:mod:`cafehub.connectors.mail`);
- :class:`ConsoleSender`: prints to a terminal for development, the number
  masked (the code is shown: that is its job, and it never goes to a log);
- :class:`RoutingSender`: picks the sender by the contact's channel.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol, TextIO

from .phones import Contact

if TYPE_CHECKING:
    from cafehub.connectors.mail import SmtpMailer
    from cafehub.connectors.sms import SmsClient

def code_text(lang: str, code: str, shop: str, minutes: int) -> str:
    """The text that carries a code (``chat.code_sms`` in the message catalogue)."""
    from cafehub.runtime.messages.catalogue import default_catalogue

    language = lang if lang in ("ja", "ko", "en") else "en"
    return default_catalogue().text("chat.code_sms", language, shop=shop, code=code,  # type: ignore[arg-type]
                                    minutes=minutes)


def code_subject(text: str) -> str:
    """An e-mail subject in the language of ``text`` (``chat.code_mail_subject``)."""
    from cafehub.runtime.intent.base import detect_language
    from cafehub.runtime.messages.catalogue import default_catalogue

    return default_catalogue().text("chat.code_mail_subject", detect_language(text))


class CodeSender(Protocol):
    def send(self, contact: Contact, text: str) -> None:
        """Deliver ``text`` (holding the code); raise on failure."""


class ConsoleSender:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, contact: Contact, text: str) -> None:
        print(f"[{contact.channel} to {contact.masked}] {text}", file=self.stream or sys.stderr, flush=True)


class SmsCodeSender:
    def __init__(self, client: SmsClient) -> None:
        self.client = client

    def send(self, contact: Contact, text: str) -> None:
        if contact.channel != "sms":
            raise ValueError("the SMS sender only sends to phone numbers")
        self.client.send(contact.address, text)


class EmailCodeSender:
    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer

    def send(self, contact: Contact, text: str) -> None:
        if contact.channel != "email":
            raise ValueError("the e-mail sender only sends to e-mail addresses")
        self.mailer.send(contact.address, code_subject(text), text)


class RoutingSender:
    def __init__(self, sms: CodeSender, email: CodeSender) -> None:
        self.sms = sms
        self.email = email

    def send(self, contact: Contact, text: str) -> None:
        (self.sms if contact.channel == "sms" else self.email).send(contact, text)
