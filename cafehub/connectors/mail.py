"""E-mail through SMTP (standard library), for codes sent to an address.

STARTTLS or implicit TLS as configured; a login only when a user is set.
Errors name the server and the kind of failure, never the recipient.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from cafehub.connectors.errors import ConfigError, TransportError


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig:
    host: str
    port: int = 587
    sender: str = "no-reply@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: ``starttls`` (port 587), ``tls`` (implicit, port 465) or ``none`` (loopback sinks only).
    security: str = "starttls"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "tls", "none"):
            raise ConfigError("SMTP security must be starttls, tls or none")
        if self.security == "none" and self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError("SMTP without TLS is only allowed to a loopback address")


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def send(self, to: str, subject: str, text: str) -> None:
        cfg = self.config
        message = EmailMessage()
        message["From"] = cfg.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        endpoint = f"SMTP {cfg.host}:{cfg.port}"
        try:
            if cfg.security == "tls":
                with smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                      context=ssl.create_default_context()) as smtp:
                    self._deliver(smtp, message)
            else:
                with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
                    if cfg.security == "starttls":
                        smtp.starttls(context=ssl.create_default_context())
                    self._deliver(smtp, message)
        except (smtplib.SMTPException, OSError) as error:
            raise TransportError(type(error).__name__, endpoint=endpoint) from error

    def _deliver(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        if self.config.username:
            smtp.login(self.config.username, self.config.password or "")
        smtp.send_message(message)
