"""Test servers on the loopback interface: an SMTP sink and a webhook sink.

Each listens on 127.0.0.1 on a free port, records what it receives, can be
told to fail its first requests (to exercise retries), times out idle
connections and stops when its ``with`` block ends.
"""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

LOOPBACK = "127.0.0.1"
SOCKET_TIMEOUT = 5.0


class _Sink:
    server: socketserver.BaseServer

    def __enter__(self) -> _Sink:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return self.server.server_address[1]


class SmtpSink(_Sink):
    """A minimal SMTP server (EHLO, MAIL, RCPT, DATA, QUIT; no TLS, no auth) that keeps every message."""

    def __init__(self, fail_first: int = 0) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.connections = 0
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = SOCKET_TIMEOUT

            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                sink.connections += 1
                if sink.connections <= fail_first:
                    self.reply("421 try again later")
                    return
                self.reply("220 loopback ESMTP test sink")
                sender, recipients = "", []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode("ascii", "replace").strip()
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250-loopback\r\n250 SIZE 52428800")
                    elif verb == "MAIL":
                        sender, recipients = command.split(":", 1)[1].strip(), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip())
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        lines = []
                        while True:
                            data = self.rfile.readline()
                            if not data or data == b".\r\n":
                                break
                            lines.append(data[1:] if data.startswith(b"..") else data)
                        message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                        sink.messages.append(message)  # type: ignore[arg-type]
                        sink.envelopes.append((sender, recipients))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    else:
                        self.reply("502 not implemented")

        self.server = socketserver.ThreadingTCPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True


class WebhookSink(_Sink):
    """An HTTP server that records every JSON body POSTed to it; the first ``fail_first`` get HTTP 500."""

    def __init__(self, fail_first: int = 0, status: int = 200) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.requests = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            timeout = SOCKET_TIMEOUT

            def do_POST(self) -> None:
                sink.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if sink.requests <= fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                sink.payloads.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/hooks/roi"
