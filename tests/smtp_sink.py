"""An SMTP server on loopback that keeps what it is handed: the email side of the reminder fault tests,
as tests/robot_server.py is the robots' side (aiosmtpd, in a thread of the test process)."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.harness import free_port


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    message_id: str
    subject: str
    body: str


class SmtpSink:
    """``with SmtpSink() as sink:`` — the messages accepted, in order, in ``sink.received``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Mail] = []
        # Called with each message once it is kept, before the client hears 250 (a fault test's hook).
        self.on_receive: Callable[[Mail], None] | None = None
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        mail = Mail(
            to=tuple(envelope.rcpt_tos),
            message_id=str(message["Message-ID"] or ""),
            subject=str(message["Subject"] or ""),
            body=message.get_body(preferencelist=("plain",)).get_content(),
        )
        with self._lock:
            self.received.append(mail)
        if self.on_receive is not None:
            self.on_receive(mail)
        return "250 Message accepted for delivery"

    def settings(self) -> dict[str, str]:
        """The environment that points the project's SMTP backend here."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
        }

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
