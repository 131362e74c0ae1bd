"""A loopback stand-in for the WeCom and DingTalk robot webhooks, strict about what they check.

    with RobotServer() as server:
        robot = server.dingtalk_robot(secret="SEC123")
        send_markdown(robot, title="…", text="…")
        server.received  # what arrived, after the server's own checks

It answers like the real services: HTTP 200 with ``{"errcode": …, "errmsg": …}``. It verifies the message
format, the webhook key/token, and for a signed DingTalk robot recomputes the signature and rejects a
timestamp more than an hour from its clock. ``fail_next(n, how)`` makes the next ``n`` requests answer a
rate-limit errcode, an invalid-key errcode, HTTP 5xx, HTTP 429, a redirect or a slow reply.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from reminders.robots import Robot

WECOM_PATH = "/cgi-bin/webhook/send"
DINGTALK_PATH = "/robot/send"
MAX_WECOM_MARKDOWN_BYTES = 4096
SIGN_TOLERANCE_MS = 3600 * 1000  # "与请求调用时间误差不能超过1小时"


@dataclass
class Received:
    kind: str
    query: dict[str, str]
    body: dict
    at: float = dataclasses.field(default_factory=time.time)


class RobotServer:
    def __init__(self) -> None:
        self.wecom_keys: set[str] = set()
        self.dingtalk_tokens: dict[str, str] = {}  # access_token → secret ("" for none)
        self.received: list[Received] = []
        self.requests = 0
        self._failures: list[str] = []
        self._lock = threading.Lock()
        self.slow_seconds = 1.0
        self.retry_after = "7"
        # Called with each message taken, before the robot answers: a fault "between send and mark".
        self.on_receive: Callable[[Received], None] | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> RobotServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    # --- set-up ---------------------------------------------------------------------------------

    def wecom_robot(self) -> Robot:
        key = str(uuid.uuid4())
        self.wecom_keys.add(key)
        return Robot(kind="wecom", webhook_url=f"{self.base_url}{WECOM_PATH}?key={key}")

    def dingtalk_robot(self, *, secret: str = "") -> Robot:
        token = uuid.uuid4().hex
        self.dingtalk_tokens[token] = secret
        return Robot(kind="dingtalk", webhook_url=f"{self.base_url}{DINGTALK_PATH}?access_token={token}", secret=secret)

    def fail_next(self, n: int, how: str) -> None:
        """``how``: "rate_limit", "invalid_key", "http_500", "http_429", "redirect" or "slow"."""
        with self._lock:
            self._failures += [how] * n

    # --- the emulation --------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self._lock:
            self.requests += 1
            failure = self._failures.pop(0) if self._failures else None
        kind = {WECOM_PATH: "wecom", DINGTALK_PATH: "dingtalk"}.get(url.path)
        if kind is None:
            return self._reply(request, 404, {"errcode": 404, "errmsg": "not found"})
        if failure == "http_500":
            return self._reply(request, 502, {"errcode": -1, "errmsg": "bad gateway"})
        if failure == "http_429":
            return self._reply(request, 429, {"errcode": -1, "errmsg": "too many"}, {"Retry-After": self.retry_after})
        if failure == "redirect":
            return self._reply(request, 302, {}, {"Location": f"{self.base_url}{request.path}"})
        if failure == "slow":
            time.sleep(self.slow_seconds)
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return self._reply(request, 200, {"errcode": 40035, "errmsg": "content type must be application/json"})
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self._reply(request, 200, {"errcode": 40035, "errmsg": "invalid json"})
        check = self._wecom if kind == "wecom" else self._dingtalk
        errcode, errmsg = check(query, body, failure)
        if errcode == 0:
            with self._lock:
                self.received.append(Received(kind, query, body))
            if self.on_receive is not None:
                self.on_receive(self.received[-1])
        return self._reply(request, 200, {"errcode": errcode, "errmsg": errmsg})

    def _wecom(self, query: dict, body: dict, failure: str | None) -> tuple[int, str]:
        if failure == "invalid_key" or query.get("key") not in self.wecom_keys:
            return 93000, "invalid webhook url, hint: [test]"
        if failure == "rate_limit":
            return 45009, "api freq out of limit, hint: [test]"
        markdown = body.get("markdown")
        if body.get("msgtype") != "markdown" or not isinstance(markdown, dict) or set(markdown) != {"content"}:
            return 40008, "invalid message type"
        content = markdown["content"]
        if not isinstance(content, str) or not content:
            return 44004, "empty content"
        if len(content.encode("utf-8")) > MAX_WECOM_MARKDOWN_BYTES:
            return 40058, "markdown.content exceed max length 4096"
        return 0, "ok"

    def _dingtalk(self, query: dict, body: dict, failure: str | None) -> tuple[int, str]:
        token = query.get("access_token")
        if failure == "invalid_key" or token not in self.dingtalk_tokens:
            return 300001, "token is not exist"
        secret = self.dingtalk_tokens[token]
        if secret:
            try:
                timestamp = int(query["timestamp"])
            except (KeyError, ValueError):
                return 310000, "sign not match"
            if abs(time.time() * 1000 - timestamp) > SIGN_TOLERANCE_MS:
                return 310000, "invalid timestamp"
            digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(base64.b64encode(digest).decode(), query.get("sign", "")):
                return 310000, "sign not match"
        if failure == "rate_limit":
            return 130101, "send too fast, exceed 20 times per minute"
        markdown = body.get("markdown")
        if body.get("msgtype") != "markdown" or not isinstance(markdown, dict):
            return 40035, "缺少参数 markdown"
        for field in ("title", "text"):
            if not isinstance(markdown.get(field), str) or not markdown[field]:
                return 40035, f"缺少参数 markdown.{field}"
        return 0, "ok"

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json;charset=UTF-8")
            request.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting ("slow"): nothing to answer
