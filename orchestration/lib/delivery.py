"""Delivery: e-mail (SMTP, or ``.eml`` files in an outbox for a dry run) and webhook posts, with bounded retries.

Secrets (the SMTP password, the webhook URL) come only from environment
variables, are never logged and are cut out of any error message that is
recorded. A delivery never raises: it returns a ``DeliveryResult`` saying
what happened, after at most ``attempts`` tries that all end before the
caller's deadline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal

from orchestration.lib.settings import REPO_ROOT, EmailSettings, RetrySettings

WEBHOOK_URL_ENV = "ROI_ALERT_WEBHOOK_URL"
SMTP_USERNAME_ENV = "ROI_SMTP_USERNAME"
SMTP_PASSWORD_ENV = "ROI_SMTP_PASSWORD"
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class DeliveryResult:
    channel: Literal["email", "webhook"]
    status: Literal["sent", "written", "failed", "skipped"]
    attempts: int = 0
    error: str | None = None
    location: str | None = None  # the .eml file of a dry run

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "written")


class Deadline:
    """A point in time all deliveries of one evaluation must finish by."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())


def with_retries(
    action: Callable[[float], None],
    retry: RetrySettings,
    deadline: Deadline,
    *,
    secrets: Sequence[str] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, str | None]:
    """Call ``action(timeout)`` until it returns, at most ``retry.attempts`` times, backing off exponentially.

    Returns the attempts made and the last error (``None`` on success). No
    attempt starts, and no wait is begun, that would end after the deadline.
    """
    error: str | None = "deadline reached before the first attempt"
    attempts = 0
    for attempt in range(1, retry.attempts + 1):
        timeout = min(retry.timeout_seconds, deadline.remaining())
        if timeout <= 0:
            break
        attempts = attempt
        try:
            action(timeout)
        except Exception as failure:  # every failure is recorded, none escapes
            error = redact(f"{type(failure).__name__}: {failure}", secrets)
        else:
            return attempts, None
        wait = retry.backoff_seconds * 2 ** (attempt - 1)
        if attempt == retry.attempts or wait >= deadline.remaining():
            break
        sleep(wait)
    return attempts, error


def redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:500]


# --- addresses and settings from the environment -----------------------------------------------------------


def recipients(configured: Sequence[str], env_var: str, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The addresses in ``env_var`` (comma-separated) if set, else the configured ones; each validated."""
    raw = environ.get(env_var)
    values = [value.strip() for value in raw.split(",")] if raw is not None else list(configured)
    addresses = []
    for value in values:
        if not value:
            continue
        _, address = parseaddr(value)
        if not address or "@" not in address or any(char in value for char in "\r\n"):
            raise ValueError(f"not an e-mail address: {value!r} (from {env_var} or the config file)")
        addresses.append(value)
    return addresses


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: Literal["none", "starttls", "ssl"]
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def smtp_target(settings: EmailSettings, environ: Mapping[str, str] = os.environ) -> SmtpTarget:
    """The SMTP server: config, overridden by ``ROI_SMTP_HOST``/``_PORT``/``_SENDER``; credentials from env only."""
    return SmtpTarget(
        host=environ.get("ROI_SMTP_HOST") or settings.smtp_host,
        port=int(environ.get("ROI_SMTP_PORT") or settings.smtp_port),
        security=settings.security,
        sender=environ.get("ROI_SMTP_SENDER") or settings.sender,
        username=environ.get(SMTP_USERNAME_ENV) or None,
        password=environ.get(SMTP_PASSWORD_ENV) or None,
    )


def outbox_dir(settings: EmailSettings, environ: Mapping[str, str] = os.environ) -> Path:
    path = Path(environ.get("ROI_OUTBOX_DIR") or settings.outbox_dir).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def webhook_url(environ: Mapping[str, str] = os.environ) -> str | None:
    """The alert webhook (``ROI_ALERT_WEBHOOK_URL``): http(s) only."""
    url = (environ.get(WEBHOOK_URL_ENV) or "").strip()
    if not url:
        return None
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"{WEBHOOK_URL_ENV} must be an http(s) URL")
    return url


# --- messages ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InlineImage:
    content_id: str  # without angle brackets
    png: bytes


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


def build_message(
    *,
    subject: str,
    sender: str,
    to: Sequence[str],
    text: str,
    html: str | None = None,
    images: Sequence[InlineImage] = (),
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """A MIME message: text, HTML with its images inline (``cid:``), then attachments."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
        html_part = message.get_payload()[-1]
        for image in images:
            html_part.add_related(image.png, maintype="image", subtype="png", cid=f"<{image.content_id}>")
    for attachment in attachments:
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=SAFE_NAME.sub("_", attachment.filename),
            params={"charset": "utf-8"} if attachment.maintype == "text" else {},
        )
    return message


def _domain(sender: str) -> str:
    _, address = parseaddr(sender)
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"


def send_email(
    message: EmailMessage,
    settings: EmailSettings,
    retry: RetrySettings,
    deadline: Deadline,
    *,
    name_hint: str = "message",
    environ: Mapping[str, str] = os.environ,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Send (``smtp``), write to the outbox (``dry_run``) or skip (``off``); never raises."""
    if settings.mode == "off":
        return DeliveryResult("email", "skipped", error="delivery.email.mode is off")
    if not message["To"]:
        return DeliveryResult("email", "skipped", error="no recipients")
    if settings.mode == "dry_run":
        try:
            path = write_eml(message, outbox_dir(settings, environ), name_hint)
        except OSError as error:
            return DeliveryResult("email", "failed", attempts=1, error=f"{type(error).__name__}: {error}")
        return DeliveryResult("email", "written", attempts=1, location=str(path))
    target = smtp_target(settings, environ)
    attempts, error = with_retries(
        lambda timeout: _smtp_send(message, target, timeout),
        retry,
        deadline,
        secrets=[target.password or "", target.username or ""],
        sleep=sleep,
    )
    return DeliveryResult("email", "failed" if error else "sent", attempts=attempts, error=error)


def _smtp_send(message: EmailMessage, target: SmtpTarget, timeout: float) -> None:
    context = ssl.create_default_context()
    if target.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with client:
        client.ehlo()
        if target.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if target.username and target.password:
            client.login(target.username, target.password)
        client.send_message(message)


def write_eml(message: EmailMessage, folder: Path, name_hint: str) -> Path:
    """Write the message as ``<folder>/<UTC time>_<hint>_<digest>.eml`` (atomically); the hint is sanitised."""
    folder.mkdir(parents=True, exist_ok=True)
    content = bytes(message)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    digest = hashlib.sha256(content).hexdigest()[:10]
    path = folder / f"{stamp}_{SAFE_NAME.sub('_', name_hint)[:60]}_{digest}.eml"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
    return path


# --- webhook ---------------------------------------------------------------------------------------------------


def post_webhook(
    payload: Mapping[str, Any],
    url: str,
    retry: RetrySettings,
    deadline: Deadline,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """POST the JSON payload; any 2xx answer is success. Never raises, never logs the URL."""
    if not url.lower().startswith(("http://", "https://")):  # never file:// or other urllib schemes
        return DeliveryResult("webhook", "failed", error="the webhook URL is not http(s)")
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")

    def post(timeout: float) -> None:
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "roi-warehouse-alerts"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"the webhook answered HTTP {error.code}") from None
        except urllib.error.URLError as error:
            raise RuntimeError(f"the webhook could not be reached: {error.reason}") from None

    attempts, error = with_retries(post, retry, deadline, secrets=[url], sleep=sleep)
    return DeliveryResult("webhook", "failed" if error else "sent", attempts=attempts, error=error)
