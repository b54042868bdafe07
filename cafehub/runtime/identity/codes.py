"""One-time codes: issue, send, verify, as COMMANDS.md sets them out.

- 6 digits from :mod:`secrets` (a cryptographic source);
- valid 3 minutes; at most 5 tries per code; a 30-second resend cooldown;
  at most 5 sends per contact per hour (all in :class:`OtpPolicy`);
- stored only as ``HMAC-SHA256(server secret, subject, code)`` and compared
  with :func:`hmac.compare_digest`; a correct code verifies once (the store
  deletes it atomically, so a replay or a racing second answer fails);
- the subject (shop + channel + address) is itself a keyed hash, so neither
  the store nor a log line ever holds the phone number, the address or the code.

The secret comes from the operator (``CAFEHUB_OTP_SECRET``, at least 32
bytes, hex or text); :func:`load_secret` refuses a short one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .codestore import CodeStore
from .phones import Contact
from .senders import CodeSender, code_text

log = logging.getLogger("cafehub.identity")

SECRET_ENV = "CAFEHUB_OTP_SECRET"


class OtpSecretError(ValueError):
    pass


def load_secret(value: str | None = None, *, allow_random: bool = False) -> bytes:
    """The HMAC key: ``value`` or ``$CAFEHUB_OTP_SECRET`` (hex, or text of at least 32 bytes).

    ``allow_random`` gives a fresh random key when none is configured: fine for
    one process (codes die with it), wrong for several processes sharing Redis.
    """
    raw = value if value is not None else os.environ.get(SECRET_ENV)
    if not raw:
        if allow_random:
            return secrets.token_bytes(32)
        raise OtpSecretError(f"{SECRET_ENV} is not set (32 bytes or more, hex or text)")
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = raw.encode()
    if len(key) < 32:
        raise OtpSecretError(f"{SECRET_ENV} is too short: at least 32 bytes are needed")
    return key


@dataclass(frozen=True, slots=True)
class OtpPolicy:
    digits: int = 6
    ttl_seconds: int = 180
    max_tries: int = 5
    resend_cooldown_seconds: int = 30
    max_sends_per_hour: int = 5


@dataclass(frozen=True, slots=True)
class SendResult:
    """``sent``, or why not: ``cooldown`` / ``capped`` (with seconds to wait) or ``failed`` (the sender)."""

    status: Literal["sent", "cooldown", "capped", "failed"]
    retry_after_seconds: int = 0
    expires_in_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "sent"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """``verified``, or ``wrong`` (tries left), ``expired``, ``locked`` (no tries left), ``none`` (no code)."""

    status: Literal["verified", "wrong", "expired", "locked", "none"]
    tries_left: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "verified"


def _now_ms() -> int:
    return int(time.time() * 1000)


class OtpService:
    """Issues and checks codes for one deployment (thread-safe if its store and sender are)."""

    def __init__(self, store: CodeStore, sender: CodeSender, secret: bytes, *, policy: OtpPolicy = OtpPolicy(),
                 clock_ms: Callable[[], int] = _now_ms, generate: Callable[[int], str] | None = None) -> None:
        if len(secret) < 32:
            raise OtpSecretError("the OTP secret must be at least 32 bytes")
        self.store = store
        self.sender = sender
        self._secret = secret
        self.policy = policy
        self.clock_ms = clock_ms
        self._generate = generate or _random_code

    def __repr__(self) -> str:  # never the secret
        return f"OtpService(policy={self.policy!r})"

    def subject(self, shop: str, contact: Contact) -> str:
        """The keyed hash that names a contact in the store and in logs."""
        message = f"subject\0{shop}\0{contact.channel}\0{contact.address}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:40]

    def _digest(self, subject: str, code: str) -> str:
        return hmac.new(self._secret, f"code\0{subject}\0{code}".encode(), hashlib.sha256).hexdigest()

    def send(self, shop: str, contact: Contact, *, lang: str = "en", shop_name: str | None = None) -> SendResult:
        """Issue a fresh code for ``contact`` and send it (or say why not)."""
        policy = self.policy
        subject = self.subject(shop, contact)
        code = self._generate(policy.digits)
        issued = self.store.issue(subject, self._digest(subject, code), now_ms=self.clock_ms(),
                                  ttl_ms=policy.ttl_seconds * 1000, cooldown_ms=policy.resend_cooldown_seconds * 1000,
                                  hourly_cap=policy.max_sends_per_hour)
        if issued.status != "ok":
            log.info("otp send refused (%s) subject=%s", issued.status, subject[:12])
            return SendResult(issued.status, retry_after_seconds=-(-issued.retry_after_ms // 1000))
        text = code_text(lang, code, shop_name or shop, policy.ttl_seconds // 60)
        try:
            self.sender.send(contact, text)
        except Exception as error:  # the sender's own failure: forget the code, let the customer retry
            self.store.revoke(subject)
            log.warning("otp send failed subject=%s: %s", subject[:12], type(error).__name__)
            return SendResult("failed")
        log.info("otp sent via %s subject=%s", contact.channel, subject[:12])
        return SendResult("sent", expires_in_seconds=policy.ttl_seconds)

    def verify(self, shop: str, contact: Contact, code: str) -> VerifyResult:
        """Check ``code`` for ``contact``: each call is one try, a correct code works once."""
        subject = self.subject(shop, contact)
        attempt = self.store.take_try(subject, now_ms=self.clock_ms(), max_tries=self.policy.max_tries)
        if attempt.status != "ok" or attempt.digest is None:
            log.info("otp verify %s subject=%s", attempt.status, subject[:12])
            return VerifyResult("none" if attempt.status == "ok" else attempt.status)
        candidate = code.strip()
        # compare_digest on the two HMACs: the time taken does not depend on where they differ.
        matches = hmac.compare_digest(self._digest(subject, candidate), attempt.digest)
        if matches and self.store.consume(subject, attempt.digest):
            log.info("otp verified subject=%s", subject[:12])
            return VerifyResult("verified")
        left = max(0, self.policy.max_tries - attempt.tries)
        log.info("otp verify wrong subject=%s tries_left=%d", subject[:12], left)
        if matches:  # correct, but another answer consumed it first: a replay
            return VerifyResult("none")
        return VerifyResult("wrong" if left else "locked", tries_left=left)


def _random_code(digits: int) -> str:
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"
