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

_TEXTS = {
    "en": "[{shop}] Your verification code is {code}. It is valid for {minutes} minutes.",
    "ja": "[{shop}] 認証コードは {code} です。{minutes}分以内に入力してください。",
    "ko": "[{shop}] 인증번호는 {code} 입니다. {minutes}분 안에 입력해 주세요.",
}
_SUBJECTS = {"en": "Your verification code", "ja": "認証コードのお知らせ", "ko": "인증번호 안내"}


def code_text(lang: str, code: str, shop: str, minutes: int) -> str:
    return _TEXTS.get(lang, _TEXTS["en"]).format(shop=shop, code=code, minutes=minutes)


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
        lang = "ja" if "認証" in text else "ko" if "인증" in text else "en"
        self.mailer.send(contact.address, _SUBJECTS[lang], text)


class RoutingSender:
    def __init__(self, sms: CodeSender, email: CodeSender) -> None:
        self.sms = sms
        self.email = email

    def send(self, contact: Contact, text: str) -> None:
        (self.sms if contact.channel == "sms" else self.email).send(contact, text)
